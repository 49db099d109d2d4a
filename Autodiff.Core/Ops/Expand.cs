namespace Autodiff;

public static partial class Ops
{
    /// <summary>Repeats size-1 dimensions (and adds leading ones) to reach <paramref name="shape"/>; -1 keeps a size.
    /// Same as <c>torch.Tensor.expand</c>, but the result is a copy.</summary>
    /// <remarks>Forward <c>y = broadcast(x)</c>. Backward <c>dx = SumTo(g, x.shape)</c>: the repeated copies' gradients add up (the engine's one SumTo).</remarks>
    /// <exception cref="ArgumentException">The shape has fewer dims than x, or a non-1 size would have to change.</exception>
    public static Tensor Expand(Tensor x, params int[] shape)
    {
        Check.NotNullAnyDType("Expand", x, nameof(x));
        Check.NotNullArg("Expand", shape, nameof(shape));
        if (shape.Length < x.Rank)
            Check.Fail("Expand", $"target {Shape.Format(shape)} has fewer dims than input {x.Shape}.", nameof(shape));
        var dims = (int[])shape.Clone();
        int offset = shape.Length - x.Rank;
        for (int i = 0; i < dims.Length; i++)
        {
            int own = i >= offset ? x.Shape[i - offset] : 1;
            if (dims[i] == -1 && i >= offset) dims[i] = own;
            if (dims[i] < 0 || (own != 1 && own != dims[i]))
                Check.Fail("Expand", $"cannot expand {x.Shape} to {Shape.Format(shape)} (dim {i}: {own} -> {shape[i]}).", nameof(shape));
        }
        var y = Compute.Expand(x, Check.ShapeArg("Expand", dims));                                      // y = broadcast(x)
        if (ReferenceEquals(y, x)) y = x.CloneData();

        return Tape.Record("Expand", y, [x], "dx += SumTo(g)", [static (g, _) => g]);   // the engine sums g over the repeats
    }
}
