using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>Element-wise loops over spans: inputs first, destination last. They know nothing of tensors or the tape.</summary>
/// <remarks>Generic over the element type, so the float64 gradient checks run the very code that trains in float32.
/// Where <see cref="TensorPrimitives"/> has the operation it does the work (SIMD); the rest are plain loops.</remarks>
internal static class Elementwise
{
    // ---- binary, same length ----------------------------------------------------------------------------------

    public static void Add<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Add(x, y, destination);

    public static void Subtract<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Subtract(x, y, destination);

    public static void Multiply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Multiply(x, y, destination);

    public static void Divide<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Divide(x, y, destination);

    /// <summary><c>destination[i] = max(x[i], y[i])</c>, NaN if either is NaN.</summary>
    public static void Maximum<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Max(x, y, destination);

    /// <summary><c>destination[i] = min(x[i], y[i])</c>, NaN if either is NaN.</summary>
    public static void Minimum<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Min(x, y, destination);

    // ---- binary with a scalar ----------------------------------------------------------------------------------

    public static void Add<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Add(x, y, destination);

    public static void Multiply<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Multiply(x, y, destination);

    public static void Subtract<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Subtract(x, y, destination);

    public static void Subtract<T>(T x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Subtract(x, y, destination);

    public static void Divide<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Divide(x, y, destination);

    public static void Divide<T>(T x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Divide(x, y, destination);

    /// <summary><c>destination[i] = max(x[i], y)</c>, NaN if either is NaN.</summary>
    public static void Maximum<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Max(x, y, destination);

    /// <summary><c>destination[i] = min(x[i], y)</c>, NaN if either is NaN.</summary>
    public static void Minimum<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Min(x, y, destination);

    /// <summary><c>y[i, j] += b[j]</c> for a row-major <c>[rows, b.Length]</c> y: adds a bias to every row in place.</summary>
    public static void AddToRows<T>(Span<T> y, ReadOnlySpan<T> b, int rows) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            var row = y.Slice(i * b.Length, b.Length);
            TensorPrimitives.Add(row, b, row);
        }
    }

    /// <summary><c>destination[i] = x[i] * y[i] + z[i]</c>.</summary>
    /// <remarks>Our own loop rather than TensorPrimitives.MultiplyAdd, whose vector path may fuse the multiply-add while its
    /// edges do not, so an element's last bit could depend on where the buffer lies in memory. Here the vector body and
    /// the scalar tail both multiply, round, then add (never fused), so every element gets the same bits.</remarks>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> z, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<T>.Count <= x.Length; i += Vector<T>.Count)
                (new Vector<T>(x.Slice(i)) * new Vector<T>(y.Slice(i)) + new Vector<T>(z.Slice(i))).CopyTo(destination.Slice(i));
        for (; i < x.Length; i++) destination[i] = x[i] * y[i] + z[i];
    }

    /// <summary><c>destination[i] = x[i] * y + z[i]</c>.</summary>
    /// <remarks>Never fused, as the span overload.</remarks>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, T y, ReadOnlySpan<T> z, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vy = new Vector<T>(y);
            for (; i + Vector<T>.Count <= x.Length; i += Vector<T>.Count)
                (new Vector<T>(x.Slice(i)) * vy + new Vector<T>(z.Slice(i))).CopyTo(destination.Slice(i));
        }
        for (; i < x.Length; i++) destination[i] = x[i] * y + z[i];
    }

    // ---- unary ---------------------------------------------------------------------------------------------

    public static void Negate<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Negate(x, destination);

    // The transcendental maps go through VectorMath for float and double alike: vectorized (Vector512 or Vector256), and
    // every result a function of its input alone (not of the JIT tier, the ISA, the vector width or the alignment;
    // TensorPrimitives' versions are not: a training run changed its results after warm-up).

    /// <summary><c>destination[i] = exp(x[i])</c>.</summary>
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.ExpFunction(), x, destination);

    /// <summary><c>destination[i] = ln(x[i])</c>.</summary>
    public static void Log<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.LogFunction(), x, destination);

    /// <summary><c>destination[i] = tanh(x[i])</c>.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.TanhFunction(), x, destination);

    /// <summary><c>destination[i] = 1 / (1 + exp(-x[i]))</c>.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.SigmoidFunction(), x, destination);

    /// <summary><c>destination[i] = √x[i]</c>, correctly rounded.</summary>
    public static void Sqrt<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.SqrtFunction(), x, destination);

    /// <summary><c>destination[i] = 1 / √x[i]</c>, correctly rounded divide of a correctly rounded root.</summary>
    public static void ReciprocalSqrt<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.RsqrtFunction(), x, destination);

    /// <summary><c>destination[i] = x[i]²</c>.</summary>
    public static void Square<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Multiply(x, x, destination);

    public static void Abs<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        TensorPrimitives.Abs(x, destination);

    /// <summary><c>destination[i] = x[i]^exponent</c>: multiplies, divides and square roots for 0, ±1, ±2, ±3, 4 and ±½
    /// (<c>Pow(2)</c> is <c>x·x</c>); for other exponents, float through <c>e^(p·ln|x|)</c> in double lanes (within 1 ulp
    /// once rounded to float) and double through <see cref="Math.Pow"/> element by element (correctly rounded where
    /// <c>e^(p·ln x)</c> in double would lose up to |p·ln x| ulp).</summary>
    public static void Pow<T>(ReadOnlySpan<T> x, T exponent, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        double p = double.CreateTruncating(exponent);
        if (VectorMath.IsKnownExponent(p)) VectorMath.Map(new VectorMath.PowFunction(p), x, destination);
        else if (typeof(T) == typeof(float) && double.IsFinite(p)) PowThroughDouble(MemoryMarshal.Cast<T, float>(x), p, MemoryMarshal.Cast<T, float>(destination));
        else for (int i = 0; i < x.Length; i++) destination[i] = T.Pow(x[i], exponent);
    }

    /// <summary>Float <c>xᵖ</c> in chunks widened to double, <see cref="VectorMath.PowGeneralFunction"/>, then rounded back.</summary>
    private static void PowThroughDouble(ReadOnlySpan<float> x, double p, Span<float> destination)
    {
        Span<double> buffer = stackalloc double[256];
        for (int start = 0; start < x.Length; start += buffer.Length)
        {
            int n = Math.Min(buffer.Length, x.Length - start);
            var chunk = buffer[..n];
            TensorPrimitives.ConvertChecked<float, double>(x.Slice(start, n), chunk);       // exact widening
            VectorMath.Map(new VectorMath.PowGeneralFunction(p), chunk, chunk, VectorMath.UsesVector512);
            TensorPrimitives.ConvertTruncating<double, float>(chunk, destination.Slice(start, n));   // round to nearest
        }
    }

    /// <summary><c>destination[i] = max(x[i], 0)</c>; NaN stays NaN, -0 becomes 0.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.ReluFunction(), x, destination);

    /// <summary><c>destination[i] = x[i] if x[i] &gt; 0 else slope · x[i]</c>.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.LeakyReluFunction(double.CreateTruncating(slope)), x, destination);

    /// <summary><c>destination[i] = log(1 + x[i])</c>, accurate for tiny x.</summary>
    public static void Log1p<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.Log1pFunction(), x, destination);

    /// <summary><c>destination[i] = clamp(x[i], min, max)</c>; NaN stays NaN.</summary>
    public static void Clamp<T>(ReadOnlySpan<T> x, T min, T max, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            destination[i] = T.IsNaN(v) ? v : v < min ? min : v > max ? max : v;
        }
    }

    /// <summary><c>destination[i] = condition[i] != 0 ? x[i] : y[i]</c>.</summary>
    public static void Where<T>(ReadOnlySpan<T> condition, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) destination[i] = condition[i] != T.Zero ? x[i] : y[i];
    }

    /// <summary>Softplus <c>log(1 + exp(βx)) / β</c>, and plain <c>x</c> where <c>βx &gt; threshold</c> (as PyTorch).</summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, T beta, T threshold, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.SoftplusFunction(double.CreateTruncating(beta), double.CreateTruncating(threshold)), x, destination);

    /// <summary>GELU, exactly <c>x·Φ(x)</c> with the normal CDF, or with the tanh approximation when <paramref name="tanh"/>.</summary>
    public static void Gelu<T>(ReadOnlySpan<T> x, bool tanh, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.GeluFunction(tanh), x, destination);

    /// <summary><c>destination[i] = erf(x[i])</c>.</summary>
    public static void Erf<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.ErfFunction(), x, destination);

    /// <summary><c>destination[i] = (TTo) x[i]</c>, rounding to nearest when narrowing.</summary>
    public static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> destination)
        where TFrom : struct, IFloatingPointIeee754<TFrom> where TTo : struct, IFloatingPointIeee754<TTo> =>
        TensorPrimitives.ConvertTruncating(x, destination);
}
