namespace Autodiff;

/// <summary>Every differentiable operation, one file per op in <c>Ops/</c>: <c>Ops.Mul</c> is in <c>Ops/Mul.cs</c>, its
/// forward and backward side by side. The same ops are reachable as tensor methods and operators (<c>a * b</c>, <c>x.Relu()</c>).</summary>
/// <remarks>Each op validates its inputs (errors name the op and the shapes), computes its result through a span
/// kernel, and records on the tape its derivative once: one rule per input that returns that input's gradient, written
/// with ops, which a plain Backward runs unrecorded and <c>createGraph</c> runs recorded. Composite ops (Mean, Softmax,
/// Stack) are built from primitives and record nothing of their own.</remarks>
public static partial class Ops
{
    /// <summary>The local derivative ∂y/∂x of a piecewise-linear op (ReLU, Abs, Clamp ...), element by element: its
    /// backward kernel fed a gradient of ones. A differentiable backward multiplies by it as a constant, which is right
    /// because its own derivative is 0 wherever it is defined.</summary>
    /// <summary>A constant 0/1 tensor of x's shape and dtype: 1 where <paramref name="where"/> holds for the value.</summary>
    private static Tensor Mask(Tensor x, Func<double, bool> where)
    {
        var values = x.ToDoubleArray();
        var mask = Compute.Zeros(x.Shape, x.DType);
        for (int i = 0; i < values.Length; i++)
            if (where(values[i])) { if (x.DType == DType.Float32) mask.F32[i] = 1; else mask.F64[i] = 1; }
        return mask;
    }

    /// <summary>A constant [n, classes] tensor with 1 at [i, targets[i]]: the targets of a classification loss.</summary>
    private static Tensor OneHot(int[] targets, int classes, DType dtype)
    {
        var onehot = Compute.Zeros(new Shape(targets.Length, classes), dtype);
        for (int i = 0; i < targets.Length; i++)
            if (dtype == DType.Float32) onehot.F32[i * classes + targets[i]] = 1; else onehot.F64[i * classes + targets[i]] = 1;
        return onehot;
    }

    private static Tensor Slope(Tensor x, Compute.Accumulate<float> f32, Compute.Accumulate<double> f64)
    {
        var ones = Compute.Full(x.Shape, x.DType, 1);
        var slope = Compute.Zeros(x.Shape, x.DType);
        if (x.DType == DType.Float32) f32(x.F32, ones.F32, slope.F32); else f64(x.F64, ones.F64, slope.F64);
        return slope;
    }
}
