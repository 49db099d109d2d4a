namespace Autodiff;

public static partial class Ops
{
    /// <summary>Element-wise logical AND, with broadcasting, as a <see cref="DType.Bool"/> tensor:
    /// true where both <paramref name="input"/> and <paramref name="other"/> are true. Same as <c>torch.logical_and(input, other)</c>.</summary>
    /// <remarks>Forward <c>y = input ∧ other</c>. Any dtypes: a non-Bool element counts
    /// as true where it is non-zero (NaN included), as in PyTorch. Not differentiable.</remarks>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together.</exception>
    public static Tensor LogicalAnd(Tensor input, Tensor other) =>
        Tape.RecordNotDifferentiable("LogicalAnd", Compute.Logical("LogicalAnd", input, other, and: true), [input, other]);
}
