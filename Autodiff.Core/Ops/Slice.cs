namespace Autodiff;

public static partial class Ops
{
    /// <summary>Elements <c>start, start + step, ...</c> below <paramref name="end"/> along one dimension, with Python's rules:
    /// negative start and end count from the end, and both are clamped to the size. Same as <c>x[..., start:end:step]</c>.</summary>
    /// <remarks>Forward <c>y = x[.., start:end:step, ..]</c> (a strided copy). Backward: <c>g</c> is added into those positions of dx.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The step is not positive.</exception>
    public static Tensor Slice(Tensor x, int dim, int start, int end, int step = 1)
    {
        Check.NotNull("Slice", x, nameof(x));
        int d = Check.Dim("Slice", dim, x.Shape);
        if (step <= 0) Check.Fail("Slice", $"step must be positive, got {step} (input {x.Shape}).", nameof(step));
        int size = x.Shape[d];
        int s = Math.Clamp(start < 0 ? start + size : start, 0, size);
        int e = Math.Clamp(end < 0 ? end + size : end, 0, size);
        int count = e > s ? (e - s - 1) / step + 1 : 0;                               // no overflow for a huge step
        var dims = x.Shape.ToArray();
        dims[d] = count;
        return StridedView("Slice", x, d, s, step, new Shape(dims));
    }

    /// <summary>The slice at <paramref name="index"/> along one dimension, which is removed. Same as <c>torch.select</c> / <c>x[..., i]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim or index is out of range.</exception>
    public static Tensor Select(Tensor x, int dim, int index)
    {
        Check.NotNull("Select", x, nameof(x));
        int d = Check.Dim("Select", dim, x.Shape);
        int i = index < 0 ? index + x.Shape[d] : index;
        if (i < 0 || i >= x.Shape[d])
            Check.FailRange("Select", $"index {index} is out of range for dim {dim} of size {x.Shape[d]} (input {x.Shape}).", nameof(index));
        return StridedView("Select", x, d, i, 1, x.Shape.Reduce(d, keepDim: false), dropDim: true);
    }

    private static Tensor StridedView(string op, Tensor x, int d, int start, int step, Shape shape, bool dropDim = false)
    {
        var inStrides = x.Shape.Strides();
        int offset = start * inStrides[d];
        var strides = (int[])inStrides.Clone();
        strides[d] *= step;
        if (dropDim) strides = [.. strides[..d], .. strides[(d + 1)..]];
        var y = Compute.Gather(x, offset, strides, shape);                               // y = x[.., start::step, ..]

        return Tape.Record(op, y, [x], "dx[slice] += g", dy =>
            Compute.ScatterAdd(dy, x.GradBuffer(), offset, strides),                    // dx[.., start::step, ..] += g
            dy => [SliceScatter(dy, x.Shape, offset, strides)]);
    }

    /// <summary>The adjoint of a strided read, as a recorded op: zeros of <paramref name="shape"/> with g added at the
    /// positions the read visited. It is Slice's backward written as an op, for <c>createGraph</c>; its own backward
    /// reads those positions again, so gradients of any order flow through slicing.</summary>
    private static Tensor SliceScatter(Tensor g, Shape shape, int offset, int[] strides)
    {
        var y = Compute.Zeros(shape, g.DType);
        Compute.ScatterAdd(g, y, offset, strides);                                        // y[slice] = g, 0 elsewhere

        return Tape.Record("SliceScatter", y, [g], "dg += dy[slice]", dy =>
            g.AccumulateGrad(Compute.Gather(dy, offset, strides, g.Shape), owned: true),  // dg += dy[slice]
            dy => [StridedRead(dy, offset, strides, g.Shape)]);
    }

    /// <summary>Slice's forward as a recorded op on precomputed strides (the differentiable backward of SliceScatter).</summary>
    private static Tensor StridedRead(Tensor x, int offset, int[] strides, Shape shape)
    {
        var y = Compute.Gather(x, offset, strides, shape);                               // y = x[slice]

        return Tape.Record("Slice", y, [x], "dx[slice] += g", dy =>
            Compute.ScatterAdd(dy, x.GradBuffer(), offset, strides),                    // dx[slice] += g
            dy => [SliceScatter(dy, x.Shape, offset, strides)]);
    }
}
