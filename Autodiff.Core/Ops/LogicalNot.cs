namespace Autodiff;

public static partial class Ops
{
    /// <summary>Element-wise logical NOT, as a <see cref="DType.Bool"/> tensor: true where <paramref name="input"/> is false
    /// (zero). Same as <c>torch.logical_not(input)</c> (<c>~mask</c> on a bool tensor).</summary>
    /// <remarks>Forward <c>y = ¬input</c>. Any dtype: a non-Bool element counts as true where it is non-zero (NaN
    /// included), as in PyTorch. Not differentiable.</remarks>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public static Tensor LogicalNot(Tensor input) =>
        Tape.RecordNotDifferentiable("LogicalNot", Compute.LogicalNot("LogicalNot", input), [input]);
}
