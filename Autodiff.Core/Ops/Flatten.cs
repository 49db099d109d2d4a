namespace Autodiff;

public static partial class Ops
{
    /// <summary>Collapses dimensions <paramref name="startDim"/> to <paramref name="endDim"/> into one. Same as <c>torch.flatten</c>.</summary>
    /// <remarks>A reshape: backward <c>dx += g</c> read as x's shape. A scalar becomes a one-element vector.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A dim is out of range, or startDim comes after endDim.</exception>
    public static Tensor Flatten(Tensor x, int startDim = 0, int endDim = -1)
    {
        Check.NotNullAnyDType("Flatten", x, nameof(x));
        if (x.Rank == 0) return ViewAs("Flatten", x, new Shape(1));
        int s = Check.Dim("Flatten", startDim, x.Shape), e = Check.Dim("Flatten", endDim, x.Shape);
        if (s > e) Check.FailRange("Flatten", $"startDim {startDim} comes after endDim {endDim} for shape {x.Shape}.", nameof(startDim));
        var dims = x.Shape.ToArray();
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= dims[i];
        return ViewAs("Flatten", x, new Shape([.. dims[..s], merged, .. dims[(e + 1)..]]));
    }
}
