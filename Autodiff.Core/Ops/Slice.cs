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
        Check.NotNullAnyDType("Slice", x, nameof(x));
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

    /// <summary>The shared body of Slice and Select: reads every <paramref name="step"/>-th element from
    /// <paramref name="start"/> along <paramref name="d"/>, as <paramref name="shape"/> (without dim d when <paramref name="dropDim"/>).</summary>
    private static Tensor StridedView(string op, Tensor x, int d, int start, int step, Shape shape, bool dropDim = false)
    {
        var inStrides = x.Shape.Strides();
        int offset = start * inStrides[d];
        var strides = (int[])inStrides.Clone();
        strides[d] *= step;
        if (dropDim) strides = [.. strides[..d], .. strides[(d + 1)..]];
        return StridedRead(op, x, offset, strides, shape);
    }

    /// <summary>A strided read as a recorded op: Slice's and Select's forward on precomputed strides, and the adjoint of
    /// <see cref="SliceScatter"/>.</summary>
    private static Tensor StridedRead(string op, Tensor x, int offset, int[] strides, Shape shape)
    {
        var y = Compute.Gather(x, offset, strides, shape);                               // y = x[.., start::step, ..]

        return Tape.Record(op, y, [x], "dx[slice] += g", [(g, e) => SliceScatter(g, e.Inputs[0].Shape, offset, strides)]);
    }

    /// <summary>The adjoint of a strided read, as a recorded op: zeros of <paramref name="shape"/> with g added at the
    /// positions the read visited. It is Slice's backward; its own backward reads those positions again, so gradients
    /// of any order flow through slicing.</summary>
    private static Tensor SliceScatter(Tensor g, Shape shape, int offset, int[] strides)
    {
        var y = Compute.Zeros(shape, g.DType);
        Compute.ScatterAdd(g, y, offset, strides);                                        // y[slice] = g, 0 elsewhere

        return Tape.Record("SliceScatter", y, [g], "dg += dy[slice]",
            [(dy, e) => StridedRead("Slice", dy, offset, strides, e.Inputs[0].Shape)]);
    }
}
