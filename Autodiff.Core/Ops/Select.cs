namespace Autodiff;

public static partial class Ops
{
    /// <summary>The slice at <paramref name="index"/> along one dimension, which is removed. Same as <c>torch.select</c> / <c>x[..., i]</c>.</summary>
    /// <remarks>A strided read, as <see cref="Slice"/>: forward <c>y = x[.., index, ..]</c>, backward <c>g</c> added into that slice of dx.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim or index is out of range.</exception>
    public static Tensor Select(Tensor x, int dim, int index)
    {
        Check.NotNullAnyDType("Select", x, nameof(x));
        int d = Check.Dim("Select", dim, x.Shape);
        int i = index < 0 ? index + x.Shape[d] : index;
        if (i < 0 || i >= x.Shape[d])
            Check.FailRange("Select", $"index {index} is out of range for dim {dim} of size {x.Shape[d]} (input {x.Shape}).", nameof(index));
        return StridedView("Select", x, d, i, 1, x.Shape.Reduce(d, keepDim: false), dropDim: true);
    }
}
