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
/// <remarks>A broadcast (<see cref="Compute.Binary{TOp}(string, Tensor, Tensor, TOp)"/>) calls it once per output row:
/// with two spans, or with a scalar for the operand that repeats along the row (<c>x * 2.0</c>, <c>x - mean</c> with mean
/// <c>[N, 1]</c>, a <c>[N, 1]</c> with a <c>[1, M]</c>). An operator implements the scalar forms when it has a faster
/// kernel for them; otherwise they repeat the scalar into a buffer and call the span form.</remarks>
internal interface IBinaryOperator
{
    void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T>;

    /// <summary><c>destination[i] = f(x[i], y)</c>.</summary>
    void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        var repeated = System.Buffers.ArrayPool<T>.Shared.Rent(Math.Min(x.Length, 1024));
        repeated.AsSpan().Fill(y);
        for (int start = 0; start < x.Length; start += repeated.Length)
        {
            int n = Math.Min(repeated.Length, x.Length - start);
            Invoke(x.Slice(start, n), repeated.AsSpan(0, n), destination.Slice(start, n));
        }
        System.Buffers.ArrayPool<T>.Shared.Return(repeated);
    }

    /// <summary><c>destination[i] = f(x, y[i])</c>.</summary>
    void Invoke<T>(T x, ReadOnlySpan<T> y, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        var repeated = System.Buffers.ArrayPool<T>.Shared.Rent(Math.Min(y.Length, 1024));
        repeated.AsSpan().Fill(x);
        for (int start = 0; start < y.Length; start += repeated.Length)
        {
            int n = Math.Min(repeated.Length, y.Length - start);
            Invoke(repeated.AsSpan(0, n), y.Slice(start, n), destination.Slice(start, n));
        }
        System.Buffers.ArrayPool<T>.Shared.Return(repeated);
    }
}

/// <summary>The bridge between tensors and span kernels: picks the float32 or float64 instantiation of a kernel and
/// hands it the tensors' buffers. Nothing here is recorded on the tape; ops call these for their forward and backward.</summary>
/// <remarks>Functions returning a tensor allocate a fresh, unrecorded one; functions taking a destination accumulate into it.</remarks>
internal static partial class Compute
{
    // ---- allocation ---------------------------------------------------------------------------------------------

    /// <summary>A tensor with <em>unspecified</em> contents: the caller must write every element before anything reads
    /// it. Use <see cref="Zeros"/> when the buffer is accumulated into.</summary>
    /// <remarks>The buffer comes from the pool (Memory/BufferPool.cs): a recycled array of a disposed tensor, or a new
    /// uninitialized one. Tests set <see cref="PoisonEmpty"/> to fill these buffers with NaN, so a kernel that reads
    /// its destination before writing it changes their results.</remarks>
    public static Tensor Empty(Shape shape, DType dtype)
    {
        if (!IsFloating(dtype)) return ZerosOf(shape, dtype);               // Int64/Bool: plain arrays, not pooled (Compute.DTypes.cs)
        if (dtype == DType.Float32)
        {
            var f32 = Memory.BufferPool.RentFloat(shape.Numel);
            if (s_poisonEmpty) f32.AsSpan().Fill(float.NaN);
            return Tensor.Pooled(shape, f32, null);
        }
        var f64 = Memory.BufferPool.RentDouble(shape.Numel);
        if (s_poisonEmpty) f64.AsSpan().Fill(double.NaN);
        return Tensor.Pooled(shape, null, f64);
    }

    /// <summary>A tensor of zeros: for buffers that are accumulated (<c>+=</c>) or only partly written.</summary>
    public static Tensor Zeros(Shape shape, DType dtype)
    {
        if (!IsFloating(dtype)) return ZerosOf(shape, dtype);
        if (dtype == DType.Float32)
        {
            var f32 = Memory.BufferPool.RentFloat(shape.Numel);
            Array.Clear(f32);
            return Tensor.Pooled(shape, f32, null);
        }
        var f64 = Memory.BufferPool.RentDouble(shape.Numel);
        Array.Clear(f64);
        return Tensor.Pooled(shape, null, f64);
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
        if (IsFloating(dtype)) Run(dtype, new FillKernel(t, value));
        else FillOther(t, value);
        return t;
    }

    private readonly struct FillKernel(Tensor t, double value) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => t.Data<T>().Fill(T.CreateChecked(value));
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
        else if (dtype == DType.Float64) kernel.Run<double>();
        else NotFloating(dtype);
    }

    /// <summary><c>y = op(x)</c> element-wise, into a new tensor; split into fixed chunks across threads when large
    /// (<see cref="Chunks"/>).</summary>
    public static Tensor Unary<TOp>(Tensor x, TOp op = default) where TOp : struct, IUnaryOperator
    {
        var y = Empty(x.Shape, x.DType);
        Run(x.DType, new UnaryKernel<TOp>(op, x, y));
        return y;
    }

    /// <summary><c>z = op(x, y)</c> element-wise for two tensors of one shape, into a new tensor; split into fixed chunks
    /// across threads when large.</summary>
    public static Tensor Binary<TOp>(Tensor x, Tensor y, TOp op = default) where TOp : struct, IBinaryOperator
    {
        var z = Empty(x.Shape, x.DType);
        Run(x.DType, new BinaryKernel<TOp>(op, x, y, z));
        return z;
    }

    /// <summary><c>op(a, b)</c> element-wise with broadcasting, after the op's checks (shapes, dtypes, null). Neither
    /// operand is expanded: each output row is one call of the operator's span kernel, with a scalar for an operand that
    /// repeats along the row (<see cref="BroadcastPlan"/>).</summary>
    public static Tensor Binary<TOp>(string name, Tensor a, Tensor b, TOp op = default) where TOp : struct, IBinaryOperator
    {
        var shape = Check.Broadcast(name, a, b);
        if (ReferenceEquals(shape, a.Shape) && b.Numel == shape.Numel) return Binary(a, b, op);   // one shape (b's dims in the same order)
        var y = Empty(shape, a.DType);
        if (y.Numel == 0) return y;
        var plan = BroadcastPlan.Create(shape.Dims, a.Shape, b.Shape);
        Run(a.DType, new BroadcastKernel<TOp>(op, plan, a, b, y));
        return y;
    }

    private readonly struct UnaryKernel<TOp>(TOp op, Tensor x, Tensor y) : IKernel where TOp : struct, IUnaryOperator
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Chunks.For(y.Numel, new Chunk<T>(op, x, y));

        private readonly struct Chunk<T>(TOp op, Tensor x, Tensor y) : IChunkBody where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length) => op.Invoke<T>(x.Data<T>().Slice(start, length), y.Data<T>().Slice(start, length));
        }
    }

    private readonly struct BinaryKernel<TOp>(TOp op, Tensor x, Tensor y, Tensor z) : IKernel where TOp : struct, IBinaryOperator
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Chunks.For(z.Numel, new Chunk<T>(op, x, y, z));

        private readonly struct Chunk<T>(TOp op, Tensor x, Tensor y, Tensor z) : IChunkBody where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length) =>
                op.Invoke<T>(x.Data<T>().Slice(start, length), y.Data<T>().Slice(start, length), z.Data<T>().Slice(start, length));
        }
    }

    private readonly struct BroadcastKernel<TOp>(TOp op, BroadcastPlan plan, Tensor a, Tensor b, Tensor y) : IKernel where TOp : struct, IBinaryOperator
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Chunks.For(y.Numel, new Chunk<T>(op, plan, a, b, y));

        private readonly struct Chunk<T>(TOp op, BroadcastPlan plan, Tensor a, Tensor b, Tensor y) : IChunkBody where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length) => Broadcast.Binary(op, plan, a.Data<T>(), b.Data<T>(), y.Data<T>(), start, start + length);
        }
    }

    /// <summary><c>y = condition ≠ 0 ? a : b</c> with broadcasting of all three to <paramref name="shape"/> (condition
    /// already in a's dtype, see <see cref="AsMask"/>), without expanding any of them.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b, Shape shape)
    {
        var y = Empty(shape, a.DType);
        if (y.Numel == 0) return y;
        var plan = BroadcastPlan.Create(shape.Dims, condition.Shape, a.Shape, b.Shape);
        Run(a.DType, new WhereKernel(plan, condition, a, b, y));
        return y;
    }

    private readonly struct WhereKernel(BroadcastPlan plan, Tensor condition, Tensor a, Tensor b, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Chunks.For(y.Numel, new Chunk<T>(plan, condition, a, b, y));

        private readonly struct Chunk<T>(BroadcastPlan plan, Tensor condition, Tensor a, Tensor b, Tensor y) : IChunkBody where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length) =>
                Broadcast.Where(plan, condition.Data<T>(), a.Data<T>(), b.Data<T>(), y.Data<T>(), start, start + length);
        }
    }

    // ---- in place ---------------------------------------------------------------------------------------------------

    /// <summary><c>destination += source</c>, same shape.</summary>
    public static void AddInPlace(Tensor destination, Tensor source) => Run(destination.DType, new AddInPlaceKernel(destination, source));

    /// <summary><c>destination += source · scale</c>, same shape.</summary>
    public static void MultiplyAddInPlace(Tensor destination, Tensor source, double scale) =>
        Run(destination.DType, new MultiplyAddInPlaceKernel(destination, source, scale));

    /// <summary><c>destination *= scale</c>.</summary>
    public static void MultiplyInPlace(Tensor destination, double scale) =>
        Run(destination.DType, new MultiplyAddInPlaceKernel(destination, null, scale));

    /// <summary><c>Σ x²</c> over every element, added in double from fixed blocks (<see cref="Losses.SquareSum{T}"/>): a
    /// gradient's squared L2 norm without a copy.</summary>
    public static double SumOfSquares(Tensor x)
    {
        var total = new double[1];
        Run(x.DType, new SumOfSquaresKernel(x, total));
        return total[0];
    }

    private readonly struct SumOfSquaresKernel(Tensor x, double[] total) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => total[0] = Losses.SquareSum<T>(x.Data<T>());
    }

    /// <summary>Copies the values of <paramref name="source"/> into <paramref name="destination"/> (same shape and dtype).</summary>
    public static void Copy(Tensor source, Tensor destination) => RunAny(source.DType, new CopyKernel(source, destination));

    private readonly struct AddInPlaceKernel(Tensor destination, Tensor source) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Chunks.For(destination.Numel, new Chunk<T>(destination, source));

        private readonly struct Chunk<T>(Tensor destination, Tensor source) : IChunkBody where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length)
            {
                var d = destination.Data<T>().Slice(start, length);
                Elementwise.Add<T>(d, source.Data<T>().Slice(start, length), d);
            }
        }
    }

    /// <summary><c>d = d·scale</c> without a source, else <c>d = d + source·scale</c>.</summary>
    private readonly struct MultiplyAddInPlaceKernel(Tensor destination, Tensor? source, double scale) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Chunks.For(destination.Numel, new Chunk<T>(destination, source, T.CreateChecked(scale)));

        private readonly struct Chunk<T>(Tensor destination, Tensor? source, T scale) : IChunkBody where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length)
            {
                var d = destination.Data<T>().Slice(start, length);
                if (source is null) Elementwise.Multiply<T>(d, scale, d);
                else Elementwise.MultiplyAdd<T>(source.Data<T>().Slice(start, length), scale, d, d);
            }
        }
    }

    private readonly struct CopyKernel(Tensor source, Tensor destination) : IAnyKernel
    {
        public void Run<T>() where T : struct => source.Data<T>().CopyTo(destination.Data<T>());
    }

    // ---- layout ------------------------------------------------------------------------------------------------------

    /// <summary>Reads <paramref name="source"/> through strides into a new contiguous tensor of <paramref name="shape"/>.</summary>
    public static Tensor Gather(Tensor source, int offset, int[] strides, Shape shape)
    {
        var y = Empty(shape, source.DType);
        if (y.Numel == 0) return y;
        if (IsFloating(y.DType)) Run(y.DType, new StridedKernel(source, y, offset, strides, scatter: false));
        else RunAny(y.DType, new StridedAnyKernel(source, y, offset, strides));            // Int64/Bool views (Compute.DTypes.cs)
        return y;
    }

    /// <summary>Adds contiguous <paramref name="source"/> into <paramref name="destination"/> through strides (the adjoint of Gather).</summary>
    public static void ScatterAdd(Tensor source, Tensor destination, int offset, int[] strides)
    {
        if (source.Numel != 0) Run(source.DType, new StridedKernel(destination, source, offset, strides, scatter: true));
    }

    /// <summary>A strided view of <paramref name="strided"/> read into, or added from, the contiguous <paramref name="dense"/>.</summary>
    private readonly struct StridedKernel(Tensor strided, Tensor dense, int offset, int[] strides, bool scatter) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            if (scatter) Layout.ScatterAdd<T>(dense.Data<T>(), dense.Shape.Dims, strided.Data<T>(), offset, strides);
            else Layout.Gather<T>(strided.Data<T>(), offset, strides, dense.Shape.Dims, dense.Data<T>(), accumulate: false);
        }
    }

    /// <summary>Materializes <paramref name="x"/> broadcast to <paramref name="shape"/> (a copy; stride-0 reads repeat values).</summary>
    public static Tensor Expand(Tensor x, Shape shape) =>
        x.Shape == shape ? x : Gather(x, 0, x.Shape.BroadcastStrides(shape), shape);

    /// <summary>Sums a gradient of a broadcast result back to the shape of the input that was broadcast: the shared
    /// <c>SumTo</c> step of every broadcasting op, as column sums and row sums over contiguous runs (<see cref="BroadcastSum"/>).</summary>
    public static Tensor SumTo(Tensor gradient, Shape shape)
    {
        if (gradient.Shape == shape) return gradient;
        var result = Zeros(shape, gradient.DType);
        if (gradient.Numel != 0) Run(gradient.DType, new SumToKernel(gradient, SumToPlan.Create(gradient.Shape.Dims, shape.Dims), result));
        return result;
    }

    private readonly struct SumToKernel(Tensor gradient, SumToPlan plan, Tensor result) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => BroadcastSum.SumTo<T>(plan, gradient.Data<T>(), result.Data<T>());
    }

    // ---- matrix multiply ---------------------------------------------------------------------------------------------

    /// <summary><c>c[cOffset..] (+)= op(a[aOffset..]) · op(b[bOffset..])</c> for one [m, k] x [k, n] product (the GEMM
    /// kernel as the benchmarks call it directly).</summary>
    public static void Gemm(Tensor a, int aOffset, bool transA, Tensor b, int bOffset, bool transB, Tensor c, int cOffset,
        int m, int k, int n, bool accumulate) =>
        Run(c.DType, new GemmKernel(a, aOffset, transA, b, bOffset, transB, c, cOffset, m, k, n, accumulate));

    private readonly struct GemmKernel(Tensor a, int aOffset, bool transA, Tensor b, int bOffset, bool transB, Tensor c, int cOffset,
        int m, int k, int n, bool accumulate) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Kernels.MatMul.Gemm<T>(a.Data<T>().Slice(aOffset, m * k), transA, b.Data<T>().Slice(bOffset, k * n), transB,
                c.Data<T>().Slice(cOffset, m * n), m, k, n, accumulate);
    }
}
