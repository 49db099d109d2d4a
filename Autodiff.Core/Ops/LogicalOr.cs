namespace Autodiff;

public static partial class Ops
{
    /// <summary>Element-wise logical OR, with broadcasting, as a <see cref="DType.Bool"/> tensor:
    /// true where either <paramref name="input"/> and <paramref name="other"/> are true. Same as <c>torch.logical_or(input, other)</c>.</summary>
    /// <remarks>Forward <c>y = input ∨ other</c>. Any dtypes: a non-Bool element counts
    /// as true where it is non-zero (NaN included), as in PyTorch. Not differentiable.</remarks>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together.</exception>
    public static Tensor LogicalOr(Tensor input, Tensor other) =>
        Tape.RecordNotDifferentiable("LogicalOr", Compute.Logical("LogicalOr", input, other, and: false), [input, other]);
}
