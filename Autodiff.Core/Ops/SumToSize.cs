namespace Autodiff;

public static partial class Ops
{
    /// <summary>Sums x down to a shape it was broadcast from: over added leading dims and over dims that are 1 in
    /// <paramref name="size"/>. Same as <c>torch.Tensor.sum_to_size</c>; the reduction every broadcasting op's backward needs.</summary>
    /// <remarks>Forward <c>y = Σ over the broadcast dims of x</c>. Backward <c>dx += broadcast(g)</c>.</remarks>
    /// <exception cref="ArgumentException"><paramref name="size"/> does not broadcast to x's shape.</exception>
    public static Tensor SumToSize(Tensor x, params int[] size)
    {
        Check.NotNull("SumToSize", x, nameof(x));
        var shape = Check.ShapeArg("SumToSize", size, nameof(size));
        if (Shape.TryBroadcast(shape, x.Shape) != x.Shape)
            Check.Fail("SumToSize", $"{x.Shape} cannot be summed to {shape}: {shape} does not broadcast to it.", nameof(size));
        return SumTo(x, shape);
    }

    /// <summary>SumToSize without the checks, for a shape already known to broadcast to x's: the engine's recorded
    /// reduction of a broadcast gradient under <c>createGraph</c>.</summary>
    internal static Tensor SumTo(Tensor x, Shape shape)
    {
        var y = Compute.SumTo(x, shape);                                                 // y = Σ over broadcast dims
        if (ReferenceEquals(y, x)) y = x.CloneData();

        return Tape.Record("SumToSize", y, [x], "dx += broadcast(g)", [static (g, e) => ExpandAs(g, e.Inputs[0])]);
    }
}
