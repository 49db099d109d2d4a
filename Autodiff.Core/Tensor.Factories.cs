namespace Autodiff;

public sealed partial class Tensor
{
    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> in row-major order. Same as <c>torch.tensor(data).reshape(shape)</c>.</summary>
    /// <param name="data">The values; their count must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The dimensions; none means a 1-D tensor of <c>data.Length</c> elements.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape, or a dimension is negative.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        Check.NotNullArg("FromArray", data, nameof(data));
        var s = ShapeFor("FromArray", data.Length, shape);
        return new Tensor(s, (float[])data.Clone(), null);
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> in row-major order.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape, or a dimension is negative.</exception>
    public static Tensor FromArray(double[] data, params int[] shape)
    {
        Check.NotNullArg("FromArray", data, nameof(data));
        var s = ShapeFor("FromArray", data.Length, shape);
        return new Tensor(s, null, (double[])data.Clone());
    }

    private static Shape ShapeFor(string op, int length, int[] shape)
    {
        if (shape is null || shape.Length == 0) return new Shape(length);
        var s = Check.ShapeArg(op, shape);
        if (s.Numel != length)
            Check.Fail(op, $"data has {length} elements but shape {s} needs {s.Numel}.", "data");
        return s;
    }

    /// <summary>A scalar (shape <c>[]</c>) tensor. Same as <c>torch.tensor(value)</c>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Compute.Scalar(value, dtype);

    /// <summary>A float32 tensor of zeros. Same as <c>torch.zeros</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of zeros of the given dtype.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Zeros(int[] shape, DType dtype) => Compute.Zeros(Check.ShapeArg("Zeros", shape), dtype);

    /// <summary>A float32 tensor of ones. Same as <c>torch.ones</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor of ones of the given dtype.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Ones(int[] shape, DType dtype) => Compute.Full(Check.ShapeArg("Ones", shape), dtype, 1.0);

    /// <summary>A tensor filled with <paramref name="value"/>. Same as <c>torch.full</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32) => Compute.Full(Check.ShapeArg("Full", shape), dtype, value);

    /// <summary>Zeros of the same shape and dtype as <paramref name="other"/>. Same as <c>torch.zeros_like</c>.</summary>
    public static Tensor ZerosLike(Tensor other) => Compute.Zeros(other.Shape, other.DType);

    /// <summary>Ones of the same shape and dtype as <paramref name="other"/>. Same as <c>torch.ones_like</c>.</summary>
    public static Tensor OnesLike(Tensor other) => Compute.Full(other.Shape, other.DType, 1.0);

    /// <summary>Uniform samples in <c>[0, 1)</c> from <paramref name="generator"/>. Same as <c>torch.rand</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Rand(int[] shape, Generator generator, DType dtype = DType.Float32) =>
        Fill("Rand", shape, dtype, generator.NextDouble);

    /// <summary>Uniform samples in <c>[0, 1)</c> from a new generator seeded with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Rand(int[] shape, long seed, DType dtype = DType.Float32) => Rand(shape, new Generator(seed), dtype);

    /// <summary>Standard normal samples from <paramref name="generator"/>. Same as <c>torch.randn</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Randn(int[] shape, Generator generator, DType dtype = DType.Float32) =>
        Fill("Randn", shape, dtype, generator.NextNormal);

    /// <summary>Standard normal samples from a new generator seeded with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Randn(int[] shape, long seed, DType dtype = DType.Float32) => Randn(shape, new Generator(seed), dtype);

    /// <summary>Uniform samples in <c>[low, high)</c>. Same as <c>torch.empty(shape).uniform_(low, high)</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or <paramref name="low"/> &gt; <paramref name="high"/>.</exception>
    public static Tensor Uniform(int[] shape, double low, double high, Generator generator, DType dtype = DType.Float32)
    {
        if (!(low <= high)) Check.Fail("Uniform", $"low {low} must not exceed high {high}.", nameof(low));
        return Fill("Uniform", shape, dtype, () => low + (high - low) * generator.NextDouble());
    }

    private static Tensor Fill(string op, int[] shape, DType dtype, Func<double> next)
    {
        var t = Compute.Empty(Check.ShapeArg(op, shape), dtype);
        if (dtype == DType.Float32) { var s = t.F32; for (int i = 0; i < s.Length; i++) s[i] = (float)next(); }
        else { var s = t.F64; for (int i = 0; i < s.Length; i++) s[i] = next(); }
        return t;
    }

    /// <summary><c>[0, 1, ..., end - 1]</c>. Same as <c>torch.arange(end)</c>.</summary>
    /// <exception cref="ArgumentException">The step is zero or NaN, or points away from the end.</exception>
    public static Tensor Arange(double end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary><c>[start, start + step, ...]</c> up to but excluding <paramref name="end"/>. Same as <c>torch.arange(start, end, step)</c>.</summary>
    /// <exception cref="ArgumentException">The step is zero or not finite, start or end is not finite, or the step points away from the end.</exception>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || !double.IsFinite(step) || double.IsNaN(start) || double.IsNaN(end))
            Check.Fail("Arange", $"step must be a finite non-zero number, got start {start}, end {end}, step {step}.", nameof(step));
        if (!double.IsFinite(start) || !double.IsFinite(end))
            Check.Fail("Arange", $"start and end must be finite, got start {start}, end {end}.", nameof(end));
        if ((end - start) * step < 0)
            Check.Fail("Arange", $"step {step} points away from end {end} (start {start}).", nameof(step));
        double count = Math.Ceiling((end - start) / step);
        if (count > Array.MaxLength) Check.Fail("Arange", $"{count} elements are more than an array can hold.", nameof(end));
        int n = (int)Math.Max(count, 0);
        double i = 0;
        return Fill("Arange", [n], dtype, () => start + step * i++);
    }
}
