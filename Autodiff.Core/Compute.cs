using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

/// <summary>A kernel call that works for any element type: an op fills a struct with its tensors and arguments, and
/// <see cref="Compute.Run{TKernel}"/> picks float or double once (candle's <c>Map1</c>, TensorPrimitives' operator
/// structs). Read the tensors' values inside with <c>tensor.Data&lt;T&gt;()</c>.</summary>
internal interface IKernel
{
    void Run<T>() where T : struct, IFloatingPointIeee754<T>;
}

/// <summary>An element-wise map <c>y = f(x)</c> over spans; see <see cref="Compute.Unary{TOp}"/>.</summary>
internal interface IUnaryOperator
{
    void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T>;
}

/// <summary>An element-wise map <c>d = f(x, y)</c> over spans of one length; see <see cref="Compute.Binary{TOp}(Tensor, Tensor, TOp)"/>.</summary>
internal interface IBinaryOperator
{
    void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T>;
}

/// <summary>The bridge between tensors and span kernels: picks the float32 or float64 instantiation of a kernel and
/// hands it the tensors' buffers. Nothing here is recorded on the tape; ops call these for their forward and backward.</summary>
/// <remarks>Functions returning a tensor allocate a fresh, unrecorded one; functions taking a destination accumulate into it.</remarks>
internal static class Compute
{
    internal delegate void UnaryFn<T>(ReadOnlySpan<T> x, Span<T> destination);
    internal delegate void BinaryFn<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);
    internal delegate void Accumulate<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx);

    // ---- allocation ---------------------------------------------------------------------------------------------

    /// <summary>A tensor with <em>unspecified</em> contents: the caller must write every element before anything reads
    /// it. Use <see cref="Zeros"/> when the buffer is accumulated into.</summary>
    /// <remarks>The buffer comes from the pool (Memory/BufferPool.cs): a recycled array of a disposed tensor, or a new
    /// uninitialized one. Tests set <see cref="PoisonEmpty"/> to fill these buffers with NaN, so a kernel that reads
    /// its destination before writing it changes their results.</remarks>
    public static Tensor Empty(Shape shape, DType dtype)
    {
        if (dtype == DType.Float32)
        {
            var f32 = Memory.BufferPool.RentFloat(shape.Numel);
            if (s_poisonEmpty) f32.AsSpan().Fill(float.NaN);
            return new(shape, f32, null);
        }
        var f64 = Memory.BufferPool.RentDouble(shape.Numel);
        if (s_poisonEmpty) f64.AsSpan().Fill(double.NaN);
        return new(shape, null, f64);
    }

    /// <summary>A tensor of zeros: for buffers that are accumulated (<c>+=</c>) or only partly written.</summary>
    public static Tensor Zeros(Shape shape, DType dtype)
    {
        if (dtype == DType.Float32)
        {
            var f32 = Memory.BufferPool.RentFloat(shape.Numel);
            Array.Clear(f32);
            return new(shape, f32, null);
        }
        var f64 = Memory.BufferPool.RentDouble(shape.Numel);
        Array.Clear(f64);
        return new(shape, null, f64);
    }

    private static volatile bool s_poisonEmpty;

    /// <summary>For tests only: while true, <see cref="Empty"/> fills its buffers with NaN on every thread (convolution and
    /// pooling workers rent their scratch buffers on their own threads).</summary>
    internal static bool PoisonEmpty
    {
        get => s_poisonEmpty;
        set => s_poisonEmpty = value;
    }

    public static Tensor Full(Shape shape, DType dtype, double value)
    {
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32) t.F32.Fill((float)value); else t.F64.Fill(value);
        return t;
    }

    /// <summary>A one-element tensor of shape [] holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype) => Full(Shape.Scalar, dtype, value);

    // ---- the one dtype dispatch ----------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="kernel"/> for <paramref name="dtype"/>'s element type: the place where an op's dtype
    /// becomes a type argument, so op files never branch on it. The struct type argument lets the JIT specialise each
    /// kernel for float and double, with no delegate or boxing.</summary>
    public static void Run<TKernel>(DType dtype, TKernel kernel) where TKernel : struct, IKernel
    {
        if (dtype == DType.Float32) kernel.Run<float>();
        else kernel.Run<double>();
    }

    /// <summary><c>y = op(x)</c> element-wise, into a new tensor.</summary>
    public static Tensor Unary<TOp>(Tensor x, TOp op = default) where TOp : struct, IUnaryOperator
    {
        var y = Empty(x.Shape, x.DType);
        Run(x.DType, new UnaryKernel<TOp>(op, x, y));
        return y;
    }

    /// <summary><c>z = op(x, y)</c> element-wise for two tensors of one shape, into a new tensor.</summary>
    public static Tensor Binary<TOp>(Tensor x, Tensor y, TOp op = default) where TOp : struct, IBinaryOperator
    {
        var z = Empty(x.Shape, x.DType);
        Run(x.DType, new BinaryKernel<TOp>(op, x, y, z));
        return z;
    }

    /// <summary><c>op(a, b)</c> element-wise with broadcasting, after the op's checks (shapes, dtypes, null).</summary>
    public static Tensor Binary<TOp>(string name, Tensor a, Tensor b, TOp op = default) where TOp : struct, IBinaryOperator
    {
        var shape = Check.Broadcast(name, a, b);
        return Binary(Expand(a, shape), Expand(b, shape), op);
    }

    private readonly struct UnaryKernel<TOp>(TOp op, Tensor x, Tensor y) : IKernel where TOp : struct, IUnaryOperator
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => op.Invoke<T>(x.Data<T>(), y.Data<T>());
    }

    private readonly struct BinaryKernel<TOp>(TOp op, Tensor x, Tensor y, Tensor z) : IKernel where TOp : struct, IBinaryOperator
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => op.Invoke<T>(x.Data<T>(), y.Data<T>(), z.Data<T>());
    }

    // ---- drivers (older, one delegate per dtype: being replaced by the dispatch above) --------------------------

    public static Tensor Map(Tensor x, UnaryFn<float> f32, UnaryFn<double> f64)
    {
        var y = Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) f32(x.F32, y.F32); else f64(x.F64, y.F64);
        return y;
    }

    public static Tensor Map(Tensor x, Tensor y, BinaryFn<float> f32, BinaryFn<double> f64)
    {
        var z = Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) f32(x.F32, y.F32, z.F32); else f64(x.F64, y.F64, z.F64);
        return z;
    }

    /// <summary>Runs a backward kernel <c>dx += f(x, dy)</c> into <paramref name="input"/>'s gradient buffer.</summary>
    public static void AccumulateInto(Tensor input, Tensor x, Tensor dy, Accumulate<float> f32, Accumulate<double> f64)
    {
        var dx = input.GradBuffer();
        if (x.DType == DType.Float32) f32(x.F32, dy.F32, dx.F32); else f64(x.F64, dy.F64, dx.F64);
    }

    // ---- element-wise, same shape -----------------------------------------------------------------------------------

    public static Tensor Add(Tensor x, Tensor y) => Map(x, y, Elementwise.Add, Elementwise.Add);
    public static Tensor Subtract(Tensor x, Tensor y) => Map(x, y, Elementwise.Subtract, Elementwise.Subtract);
    public static Tensor Multiply(Tensor x, Tensor y) => Map(x, y, Elementwise.Multiply, Elementwise.Multiply);
    public static Tensor Divide(Tensor x, Tensor y) => Map(x, y, Elementwise.Divide, Elementwise.Divide);
    public static Tensor Negate(Tensor x) => Map(x, Elementwise.Negate, Elementwise.Negate);


    /// <summary><c>destination += source</c>, same shape.</summary>
    public static void AddInPlace(Tensor destination, Tensor source)
    {
        if (destination.DType == DType.Float32) Elementwise.Add(destination.F32, source.F32, destination.F32);
        else Elementwise.Add(destination.F64, source.F64, destination.F64);
    }

    /// <summary><c>destination += source · scale</c>, same shape.</summary>
    public static void MultiplyAddInPlace(Tensor destination, Tensor source, double scale)
    {
        if (destination.DType == DType.Float32) Elementwise.MultiplyAdd(source.F32, (float)scale, destination.F32, destination.F32);
        else Elementwise.MultiplyAdd(source.F64, scale, destination.F64, destination.F64);
    }

    /// <summary><c>destination *= scale</c>.</summary>
    public static void MultiplyInPlace(Tensor destination, double scale)
    {
        if (destination.DType == DType.Float32) Elementwise.Multiply(destination.F32, (float)scale, destination.F32);
        else Elementwise.Multiply(destination.F64, scale, destination.F64);
    }

    /// <summary>Copies the values of <paramref name="source"/> into <paramref name="destination"/> (same shape and dtype).</summary>
    public static void Copy(Tensor source, Tensor destination)
    {
        if (source.DType == DType.Float32) source.F32.CopyTo(destination.F32); else source.F64.CopyTo(destination.F64);
    }

    // ---- layout ------------------------------------------------------------------------------------------------------

    /// <summary>Reads <paramref name="source"/> through strides into a new contiguous tensor of <paramref name="shape"/>.</summary>
    public static Tensor Gather(Tensor source, int offset, int[] strides, Shape shape)
    {
        var y = Empty(shape, source.DType);
        if (y.Numel == 0) return y;
        if (y.DType == DType.Float32) Layout.Gather<float>(source.F32, offset, strides, shape.Dims, y.F32, accumulate: false);
        else Layout.Gather<double>(source.F64, offset, strides, shape.Dims, y.F64, accumulate: false);
        return y;
    }

    /// <summary>Adds contiguous <paramref name="source"/> into <paramref name="destination"/> through strides (the adjoint of Gather).</summary>
    public static void ScatterAdd(Tensor source, Tensor destination, int offset, int[] strides)
    {
        if (source.Numel == 0) return;
        if (source.DType == DType.Float32) Layout.ScatterAdd<float>(source.F32, source.Shape.Dims, destination.F32, offset, strides);
        else Layout.ScatterAdd<double>(source.F64, source.Shape.Dims, destination.F64, offset, strides);
    }

    /// <summary>Materializes <paramref name="x"/> broadcast to <paramref name="shape"/> (a copy; stride-0 reads repeat values).</summary>
    public static Tensor Expand(Tensor x, Shape shape) =>
        x.Shape == shape ? x : Gather(x, 0, x.Shape.BroadcastStrides(shape), shape);

    /// <summary>Sums a gradient of a broadcast result back to the shape of the input that was broadcast: the shared
    /// <c>SumTo</c> step of every broadcasting op.</summary>
    public static Tensor SumTo(Tensor gradient, Shape shape)
    {
        if (gradient.Shape == shape) return gradient;
        var result = Zeros(shape, gradient.DType);
        ScatterAdd(gradient, result, 0, shape.BroadcastStrides(gradient.Shape));
        return result;
    }

    // ---- matrix multiply ---------------------------------------------------------------------------------------------

    /// <summary><c>c[cOffset..] (+)= op(a[aOffset..]) · op(b[bOffset..])</c> for one [m, k] x [k, n] product.</summary>
    public static void Gemm(Tensor a, int aOffset, bool transA, Tensor b, int bOffset, bool transB, Tensor c, int cOffset,
        int m, int k, int n, bool accumulate)
    {
        if (c.DType == DType.Float32)
            Kernels.MatMul.Gemm<float>(a.F32.Slice(aOffset, m * k), transA, b.F32.Slice(bOffset, k * n), transB, c.F32.Slice(cOffset, m * n), m, k, n, accumulate);
        else
            Kernels.MatMul.Gemm<double>(a.F64.Slice(aOffset, m * k), transA, b.F64.Slice(bOffset, k * n), transB, c.F64.Slice(cOffset, m * n), m, k, n, accumulate);
    }
}
