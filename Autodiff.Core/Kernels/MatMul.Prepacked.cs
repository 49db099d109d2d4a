using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

internal static partial class MatMul
{
    /// <summary>Packs op(B) <c>[k, n]</c> once, into the slivers the micro-kernel reads, for many products with the same B
    /// (a recurrent layer multiplies every step's state by the same <c>W_hh</c>): <see cref="Gemm{T}(ReadOnlySpan{T}, bool, PackedB{T}, Span{T}, int, bool)"/>
    /// then skips the packing that a plain <see cref="Gemm{T}(ReadOnlySpan{T}, bool, ReadOnlySpan{T}, bool, Span{T}, int, int, int, bool)"/>
    /// repeats at every call.</summary>
    /// <remarks>The buffer is rented from <see cref="ArrayPool{T}.Shared"/>; dispose the result to return it.</remarks>
    public static PackedB<T> PackB<T>(ReadOnlySpan<T> b, bool transB, int k, int n) where T : struct, IFloatingPointIeee754<T>
        => PackB(b, transB, k, n, WidestVector);

    /// <summary><see cref="PackB{T}(ReadOnlySpan{T}, bool, int, int)"/> for the given vector width's slivers.</summary>
    internal static PackedB<T> PackB<T>(ReadOnlySpan<T> b, bool transB, int k, int n, VectorWidth width) where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(b.Length, k * n, nameof(b));
        int nr = 2 * width switch
        {
            VectorWidth.Bits512 => Vector512<T>.Count,
            VectorWidth.Bits256 => Vector256<T>.Count,
            _ => Vector128<T>.Count,
        };
        int paddedN = RoundUp(n, nr), kc = k == 0 ? 0 : BlockDepth(k);
        var packed = new PackedB<T>(k, n, width, ArrayPool<T>.Shared.Rent(Math.Max(1, k * paddedN)));
        // k block pc holds the slivers of op(B)ᵀ's rows [0, n) × depth [pc, pc + kcb), sliver j/nr at pc·paddedN + j·kcb:
        // exactly what Blocked would pack into its workspace for a panel, for all panels at once.
        for (int pc = 0; pc < k; pc += kc)
        {
            int kcb = Math.Min(kc, k - pc);
            Pack(b, transposed: !transB, transB ? k : n, 0, n, pc, kcb, nr, packed.Data.AsSpan(pc * paddedN, kcb * paddedN));
        }
        return packed;
    }

    /// <summary><c>C (+)= op(A) · B</c> with B packed by <see cref="PackB{T}(ReadOnlySpan{T}, bool, int, int)"/>: the same
    /// blocking, split over threads and summation order as the unpacked product, so the same bits, without packing B.</summary>
    public static void Gemm<T>(ReadOnlySpan<T> a, bool transA, PackedB<T> b, Span<T> c, int m, bool accumulate)
        where T : struct, IFloatingPointIeee754<T>
    {
        int k = b.K, n = b.N;
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfLessThan(a.Length, m * k, nameof(a));
        ArgumentOutOfRangeException.ThrowIfLessThan(c.Length, m * n, nameof(c));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c.Slice(0, m * n).Clear();
            return;
        }
        var problem = new Problem(transA, TransB: false, m, k, n, accumulate, PrepackedB: true);
        ReadOnlySpan<T> data = b.Data;
        switch (b.Width)
        {
            case VectorWidth.Bits512: Run<T, Vector512<T>, Gemm512<T>>(a, data, c, problem); break;
            case VectorWidth.Bits256: Run<T, Vector256<T>, Gemm256<T>>(a, data, c, problem); break;
            default: Run<T, Vector128<T>, Gemm128<T>>(a, data, c, problem); break;
        }
    }
}

/// <summary>A matrix op(B) <c>[K, N]</c> in the GEMM's packed sliver layout for one vector width (see
/// <see cref="MatMul.PackB{T}(ReadOnlySpan{T}, bool, int, int)"/>). Dispose it to return its buffer to the pool.</summary>
internal sealed class PackedB<T>(int k, int n, MatMul.VectorWidth width, T[] data) : IDisposable where T : struct
{
    /// <summary>Rows of op(B): the depth of the products.</summary>
    public int K { get; } = k;

    /// <summary>Columns of op(B) and of C.</summary>
    public int N { get; } = n;

    /// <summary>The vector width whose slivers these are.</summary>
    public MatMul.VectorWidth Width { get; } = width;

    /// <summary>The packed slivers (a pooled array, possibly longer than needed).</summary>
    public T[] Data { get; private set; } = data;

    /// <summary>Returns the buffer to the pool; the matrix must not be used afterwards.</summary>
    public void Dispose()
    {
        if (Data.Length > 0) ArrayPool<T>.Shared.Return(Data);
        Data = [];
    }
}
