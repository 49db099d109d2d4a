using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Autodiff.Kernels;

internal static partial class MatMul
{
    /// <summary>Packs rows <c>[row0, row0 + rows)</c> × depth <c>[p0, p0 + kc)</c> of a matrix X into slivers of
    /// <paramref name="width"/> rows, each stored depth-major: <c>destination[s·kc·width + p·width + r] = X[row0 + s·width + r, p0 + p]</c>,
    /// zero for the rows past <c>row0 + rows</c> in the last sliver.</summary>
    /// <remarks>X[i, p] is <c>source[i·ld + p]</c>, or <c>source[p·ld + i]</c> when <paramref name="transposed"/>. op(A)
    /// packs as X with width Mr; op(B) packs as X = op(B)ᵀ with width NR. The micro-kernel then reads both slivers
    /// sequentially, whichever way the operands are stored.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<T>(ReadOnlySpan<T> source, bool transposed, int ld, int row0, int rows, int p0, int kc, int width, Span<T> destination)
        where T : struct
    {
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            PackSingleAvx(MemoryMarshal.Cast<T, float>(source), transposed, ld, row0, rows, p0, kc, width, MemoryMarshal.Cast<T, float>(destination));
            return;
        }
        ref T src = ref MemoryMarshal.GetReference(source);
        for (int s0 = 0; s0 < rows; s0 += width)
        {
            ref T sliver = ref destination[s0 * kc];
            int w = Math.Min(width, rows - s0);
            int i0 = row0 + s0;
            if (transposed)
            {
                // X[i0 + r, p0 + p] = source[(p0 + p)·ld + i0 + r]: r runs along a stored row.
                for (int p = 0; p < kc; p++)
                {
                    ref T from = ref Unsafe.Add(ref src, (p0 + p) * ld + i0);
                    ref T to = ref Unsafe.Add(ref sliver, p * width);
                    for (int r = 0; r < w; r++) Unsafe.Add(ref to, r) = Unsafe.Add(ref from, r);
                }
            }
            else
            {
                // X[i0 + r, p0 + p] = source[(i0 + r)·ld + p0 + p]: p runs along a stored row.
                for (int r = 0; r < w; r++)
                {
                    ref T from = ref Unsafe.Add(ref src, (i0 + r) * ld + p0);
                    ref T to = ref Unsafe.Add(ref sliver, r);
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref to, p * width) = Unsafe.Add(ref from, p);
                }
            }
            for (int p = 0; p < kc && w < width; p++)
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref sliver, p * width + w), width - w).Clear();
        }
    }

    /// <summary>Each thread's packing buffers, kept and reused, so a product allocates nothing once they have grown to
    /// its size. The arrays are pinned (never moved) and used from a 64-byte boundary, so the packed rows the
    /// micro-kernel loads do not straddle cache lines; alignment affects speed only, never the result.</summary>
    private static class Workspace<T> where T : struct
    {
        [ThreadStatic] private static T[]? t_packedA, t_packedB, t_tile, t_partial;
        [ThreadStatic] private static int t_offsetA, t_offsetB, t_offsetTile, t_offsetPartial;

        public static Span<T> PackedA(int length) => Get(ref t_packedA, ref t_offsetA, length);

        public static Span<T> PackedB(int length) => Get(ref t_packedB, ref t_offsetB, length);

        public static Span<T> Tile(int length) => Get(ref t_tile, ref t_offsetTile, length);

        /// <summary>The scratch sums of a k split (<see cref="RunParallel"/>), on the thread that splits.</summary>
        public static Span<T> Partial(int length) => Get(ref t_partial, ref t_offsetPartial, length);

        private static Span<T> Get(ref T[]? buffer, ref int offset, int length)
        {
            int slack = 64 / Unsafe.SizeOf<T>();
            if (buffer is null || buffer.Length - offset < length)
            {
                buffer = GC.AllocateUninitializedArray<T>(length + slack, pinned: true);
                offset = AlignmentOffset(buffer);
            }
            return buffer.AsSpan(offset, length);
        }

        /// <summary>Elements to skip so that <c>buffer[offset]</c> is at a 64-byte boundary.</summary>
        private static unsafe int AlignmentOffset(T[] buffer)
        {
            nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
            return (int)((64 - address % 64) % 64) / Unsafe.SizeOf<T>();
        }
    }
}
