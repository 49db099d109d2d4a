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

    /// <summary>An <see cref="DType.Int64"/> tensor holding a copy of <paramref name="data"/> in row-major order. Same as
    /// <c>torch.tensor(data)</c> of Python ints (labels, token ids, indices).</summary>
    /// <param name="data">The values; their count must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The dimensions; none means a 1-D tensor of <c>data.Length</c> elements.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape, or a dimension is negative.</exception>
    public static Tensor FromArray(long[] data, params int[] shape)
    {
        Check.NotNullArg("FromArray", data, nameof(data));
        var s = ShapeFor("FromArray", data.Length, shape);
        return new Tensor(s, (long[])data.Clone());
    }

    /// <summary>A <see cref="DType.Bool"/> tensor holding a copy of <paramref name="data"/> in row-major order. Same as
    /// <c>torch.tensor(data)</c> of Python bools (masks).</summary>
    /// <param name="data">The values; their count must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The dimensions; none means a 1-D tensor of <c>data.Length</c> elements.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape, or a dimension is negative.</exception>
    public static Tensor FromArray(bool[] data, params int[] shape)
    {
        Check.NotNullArg("FromArray", data, nameof(data));
        var s = ShapeFor("FromArray", data.Length, shape);
        return new Tensor(s, (bool[])data.Clone());
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

    /// <summary>A tensor of zeros of the given dtype (<c>false</c> for <see cref="DType.Bool"/>).</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Zeros(int[] shape, DType dtype) => Compute.Zeros(Check.ShapeArg("Zeros", shape), dtype);

    /// <summary>A float32 tensor of ones. Same as <c>torch.ones</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor of ones of the given dtype (<c>true</c> for <see cref="DType.Bool"/>).</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Ones(int[] shape, DType dtype) => Compute.Full(Check.ShapeArg("Ones", shape), dtype, 1.0);

    /// <summary>A tensor filled with <paramref name="value"/>. Same as <c>torch.full</c>: for <see cref="DType.Int64"/> the
    /// value is truncated toward zero, for <see cref="DType.Bool"/> it is <c>value ≠ 0</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32) => Compute.Full(Check.ShapeArg("Full", shape), dtype, value);

    /// <summary>Zeros of the same shape and dtype as <paramref name="other"/>. Same as <c>torch.zeros_like</c>.</summary>
    public static Tensor ZerosLike(Tensor other) => Compute.Zeros(other.Shape, other.DType);

    /// <summary>Ones of the same shape and dtype as <paramref name="other"/>. Same as <c>torch.ones_like</c>.</summary>
    public static Tensor OnesLike(Tensor other) => Compute.Full(other.Shape, other.DType, 1.0);

    /// <summary>A float32 tensor of uniform samples in <c>[0, 1)</c> drawn from <see cref="Generator.Default"/>. Same as
    /// <c>torch.rand(*size)</c>: <c>Tensor.Rand(2, 3)</c> is shape [2, 3].</summary>
    /// <remarks>For another dtype or generator, name them: <c>Tensor.Rand([2, 3], dtype: DType.Float64)</c>,
    /// <c>Tensor.Rand([2, 3], generator)</c>.</remarks>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Rand(params int[] shape) => Rand(shape, generator: null);

    /// <summary>Uniform samples in <c>[0, 1)</c> from <paramref name="generator"/>, or from <see cref="Generator.Default"/>
    /// when it is null. Same as <c>torch.rand(size, generator=generator, dtype=dtype)</c>.</summary>
    /// <remarks>The whole tensor is drawn under one lock of the generator, in row-major order.</remarks>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32) =>
        Uniform("Rand", shape, 0, 1, generator, dtype);

    /// <summary>Uniform samples in <c>[0, 1)</c> from a new generator seeded with <paramref name="seed"/> (its own stream:
    /// <see cref="Generator.Default"/> is not touched).</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Rand(int[] shape, long seed, DType dtype = DType.Float32) => Rand(shape, new Generator(seed), dtype);

    /// <summary>A float32 tensor of standard normal samples drawn from <see cref="Generator.Default"/>. Same as
    /// <c>torch.randn(*size)</c>: <c>Tensor.Randn(2, 3)</c> is shape [2, 3].</summary>
    /// <remarks>For another dtype or generator, name them: <c>Tensor.Randn([2, 3], dtype: DType.Float64)</c>,
    /// <c>Tensor.Randn([2, 3], generator)</c>.</remarks>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Randn(params int[] shape) => Randn(shape, generator: null);

    /// <summary>Standard normal samples from <paramref name="generator"/>, or from <see cref="Generator.Default"/> when it
    /// is null. Same as <c>torch.randn(size, generator=generator, dtype=dtype)</c>.</summary>
    /// <remarks>The whole tensor is drawn under one lock of the generator, in row-major order, by the Box-Muller transform:
    /// Float64 gives exactly what <see cref="Generator.NextNormal"/> gives called once per element; Float32 takes the same
    /// draws through vectorized float math, eight pairs at a time, so its values are those to within about 1e-6·(1 + |z|)
    /// (each depends on the seed and its index alone).</remarks>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32)
    {
        var s = Check.ShapeArg("Randn", shape);
        FloatingDType("Randn", dtype);
        var t = Compute.Empty(s, dtype);
        generator ??= Generator.Default;
        generator.FillNormal(t);
        Memory.BufferPool.ReclaimAtOpEnd();                 // a sampling loop with no op reuses its buffers too
        return t;
    }

    /// <summary>Standard normal samples from a new generator seeded with <paramref name="seed"/> (its own stream:
    /// <see cref="Generator.Default"/> is not touched).</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static Tensor Randn(int[] shape, long seed, DType dtype = DType.Float32) => Randn(shape, new Generator(seed), dtype);

    /// <summary>Uniform samples in <c>[low, high)</c> from <paramref name="generator"/>, or from
    /// <see cref="Generator.Default"/> when it is null. Same as <c>torch.empty(shape).uniform_(low, high)</c>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or <paramref name="low"/> &gt; <paramref name="high"/>.</exception>
    public static Tensor Uniform(int[] shape, double low, double high, Generator? generator = null, DType dtype = DType.Float32) =>
        Uniform("Uniform", shape, low, high, generator, dtype);

    private static Tensor Uniform(string op, int[] shape, double low, double high, Generator? generator, DType dtype)
    {
        var s = Check.ShapeArg(op, shape);
        if (!(low <= high)) Check.Fail(op, $"low {low} must not exceed high {high}.", nameof(low));
        FloatingDType(op, dtype);
        var t = Compute.Empty(s, dtype);
        generator ??= Generator.Default;
        generator.FillUniform(t, low, high);
        Memory.BufferPool.ReclaimAtOpEnd();                 // a sampling loop with no op reuses its buffers too
        return t;
    }

    /// <summary>Integers drawn uniformly from <c>[low, high)</c>, from <paramref name="generator"/> or from
    /// <see cref="Generator.Default"/> when it is null. Same as <c>torch.randint(low, high, size)</c>.</summary>
    /// <remarks>The integers are held as whole-valued floats by default (Float32, exact for bounds within ±2^24; kept so
    /// for compatibility), as Float64 on request (exact within ±2^53), or as <see cref="DType.Int64"/> (PyTorch's default:
    /// pass <c>dtype: DType.Int64</c>). Bounds beyond what a float dtype holds exactly are refused rather than rounded,
    /// since rounding would make some integers more likely than others.</remarks>
    /// <exception cref="ArgumentException">A dimension is negative, <paramref name="low"/> is not below
    /// <paramref name="high"/>, or a bound is beyond what <paramref name="dtype"/> holds exactly.</exception>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null, DType dtype = DType.Float32)
    {
        var s = Check.ShapeArg("RandInt", shape);
        if (low >= high) Check.Fail("RandInt", $"low {low} must be below high {high} (the range [low, high) is empty).", nameof(low));
        if (dtype == DType.Bool) Check.Fail("RandInt", "dtype Bool holds no integers; pass DType.Int64, Float32 or Float64.", nameof(dtype));
        long exact = dtype == DType.Float32 ? 1L << 24 : dtype == DType.Float64 ? 1L << 53 : long.MaxValue;
        if (dtype != DType.Int64 && (low < -exact || high - 1 > exact))
            Check.Fail("RandInt", $"bounds [{low}, {high}) go beyond ±{exact}, the integers {dtype} holds exactly" +
                (dtype == DType.Float32 ? "; pass dtype: DType.Float64." : "."), nameof(high));
        var t = Compute.Empty(s, dtype);
        generator ??= Generator.Default;
        if (dtype == DType.Float32) generator.FillIntegers(t.F32, low, high);
        else if (dtype == DType.Float64) generator.FillIntegers(t.F64, low, high);
        else generator.FillIntegers(t.I64, low, high);
        return t;
    }

    /// <summary>Integers drawn uniformly from <c>[0, high)</c>. Same as <c>torch.randint(high, size)</c>; see
    /// <see cref="RandInt(long, long, int[], Generator?, DType)"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, <paramref name="high"/> is not positive, or it is beyond
    /// what <paramref name="dtype"/> holds exactly.</exception>
    public static Tensor RandInt(long high, int[] shape, Generator? generator = null, DType dtype = DType.Float32) =>
        RandInt(0, high, shape, generator, dtype);

    /// <summary>A random permutation of <c>0 .. n - 1</c> as an <see cref="DType.Int64"/> tensor, from
    /// <paramref name="generator"/> or from <see cref="Generator.Default"/> when it is null. Same as <c>torch.randperm(n)</c>.</summary>
    /// <remarks>A Fisher-Yates shuffle (<see cref="Generator.Shuffle{T}"/>), so a seeded generator repeats the permutation
    /// (the stream differs from PyTorch's).</remarks>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    public static Tensor RandPerm(int n, Generator? generator = null)
    {
        if (n < 0) Check.Fail("RandPerm", $"n {n} must not be negative.", nameof(n));
        var permutation = new long[n];
        for (int i = 0; i < n; i++) permutation[i] = i;
        (generator ?? Generator.Default).Shuffle<long>(permutation);
        return FromArray(permutation, n);
    }

    private static Tensor Fill(string op, int[] shape, DType dtype, Func<double> next)
    {
        var t = Compute.Empty(Check.ShapeArg(op, shape), dtype);
        if (dtype == DType.Float32) { var s = t.F32; for (int i = 0; i < s.Length; i++) s[i] = (float)next(); }
        else if (dtype == DType.Float64) { var s = t.F64; for (int i = 0; i < s.Length; i++) s[i] = next(); }
        else { var s = t.I64; for (int i = 0; i < s.Length; i++) s[i] = (long)Math.Round(next()); }
        return t;
    }

    /// <summary>Refuses a non-floating-point dtype for a sampler of real numbers.</summary>
    private static void FloatingDType(string op, DType dtype)
    {
        if (!Compute.IsFloating(dtype))
            Check.Fail(op, $"dtype {dtype} cannot hold real-valued samples; pass Float32 or Float64 (RandInt draws integers).", nameof(dtype));
    }

    /// <summary><c>[0, 1, ..., end - 1]</c>. Same as <c>torch.arange(end)</c>.</summary>
    /// <remarks>Float32 by default (kept for compatibility); PyTorch's integer arange is <c>Tensor.Arange(n, DType.Int64)</c>.</remarks>
    /// <exception cref="ArgumentException">The step is zero or NaN, or points away from the end, or the dtype is Bool, or
    /// an Int64 arange is given a start or step that is not whole.</exception>
    public static Tensor Arange(double end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary><c>[start, start + step, ...]</c> up to but excluding <paramref name="end"/>. Same as <c>torch.arange(start, end, step)</c>.</summary>
    /// <remarks>With <c>dtype: DType.Int64</c> start and step must be whole numbers (the values are exact integers).</remarks>
    /// <exception cref="ArgumentException">The step is zero or not finite, start or end is not finite, the step points away
    /// from the end, the dtype is Bool, or an Int64 arange is given a start or step that is not whole.</exception>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (dtype == DType.Bool) Check.Fail("Arange", "dtype Bool holds no ranges; pass DType.Int64, Float32 or Float64.", nameof(dtype));
        if (dtype == DType.Int64 && (start != Math.Floor(start) || step != Math.Floor(step)))
            Check.Fail("Arange", $"an Int64 arange needs a whole start and step, got start {start}, step {step}.", nameof(step));
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
