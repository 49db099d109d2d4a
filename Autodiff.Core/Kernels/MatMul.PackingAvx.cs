using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autodiff.Kernels;

internal static partial class MatMul
{
    /// <summary><see cref="Pack{T}"/> for float with AVX: the same layout, written with 256-bit loads and stores. Where p
    /// runs along a stored row, 8 × 8 blocks of X are read as eight row vectors and transposed in registers.</summary>
    /// <remarks>Packing only moves values, so it cannot change any bit of C; the scalar loops remain for partial slivers
    /// and the last k % 8 steps.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackSingleAvx(ReadOnlySpan<float> source, bool transposed, int ld, int row0, int rows, int p0, int kc, int width, Span<float> destination)
    {
        ref float src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        _ = destination[RoundUp(rows, width) * kc - 1];                               // every write below is before this one
        for (int s0 = 0; s0 < rows; s0 += width)
        {
            ref float sliver = ref Unsafe.Add(ref dst, s0 * kc);
            int w = Math.Min(width, rows - s0);
            int i0 = row0 + s0;
            if (transposed)
            {
                // X[i0 + r, p0 + p] = source[(p0 + p)·ld + i0 + r]: a run of w stored elements per p.
                for (int p = 0; p < kc; p++)
                {
                    ref float from = ref Unsafe.Add(ref src, (p0 + p) * ld + i0);
                    ref float to = ref Unsafe.Add(ref sliver, p * width);
                    int r = 0;
                    for (; r + 8 <= w; r += 8) Vector256.LoadUnsafe(ref Unsafe.Add(ref from, r)).StoreUnsafe(ref Unsafe.Add(ref to, r));
                    if (r + 4 <= w)
                    {
                        Vector128.LoadUnsafe(ref Unsafe.Add(ref from, r)).StoreUnsafe(ref Unsafe.Add(ref to, r));
                        r += 4;
                    }
                    for (; r < w; r++) Unsafe.Add(ref to, r) = Unsafe.Add(ref from, r);
                    for (; r < width; r++) Unsafe.Add(ref to, r) = 0;
                }
                continue;
            }
            // X[i0 + r, p0 + p] = source[(i0 + r)·ld + p0 + p]: p runs along a stored row. Rows r0 .. r0 + 7 (rows past
            // w read as zero) × p .. p + 7 are loaded as eight vectors, transposed, and stored as eight runs of the sliver.
            int p8 = kc & ~7;
            for (int r0 = 0; r0 < width; r0 += 8)
            {
                int count = Math.Min(8, width - r0);
                ref float row = ref Unsafe.Add(ref src, (i0 + r0) * ld + p0);
                int valid = Math.Clamp(w - r0, 0, 8);
                for (int p = 0; p < p8; p += 8)
                {
                    ref float from = ref Unsafe.Add(ref row, p);
                    var x0 = valid > 0 ? Vector256.LoadUnsafe(ref from) : default;
                    var x1 = valid > 1 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, ld)) : default;
                    var x2 = valid > 2 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 2 * ld)) : default;
                    var x3 = valid > 3 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 3 * ld)) : default;
                    var x4 = valid > 4 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 4 * ld)) : default;
                    var x5 = valid > 5 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 5 * ld)) : default;
                    var x6 = valid > 6 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 6 * ld)) : default;
                    var x7 = valid > 7 ? Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 7 * ld)) : default;
                    Transpose8x8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7);
                    ref float to = ref Unsafe.Add(ref sliver, p * width + r0);
                    StoreFirst(x0, ref to, count);
                    StoreFirst(x1, ref Unsafe.Add(ref to, width), count);
                    StoreFirst(x2, ref Unsafe.Add(ref to, 2 * width), count);
                    StoreFirst(x3, ref Unsafe.Add(ref to, 3 * width), count);
                    StoreFirst(x4, ref Unsafe.Add(ref to, 4 * width), count);
                    StoreFirst(x5, ref Unsafe.Add(ref to, 5 * width), count);
                    StoreFirst(x6, ref Unsafe.Add(ref to, 6 * width), count);
                    StoreFirst(x7, ref Unsafe.Add(ref to, 7 * width), count);
                }
                for (int p = p8; p < kc; p++)
                    for (int r = 0; r < count; r++)
                        Unsafe.Add(ref sliver, p * width + r0 + r) = r < valid ? Unsafe.Add(ref row, r * ld + p) : 0;
            }
        }
    }

    /// <summary>Transposes the 8 × 8 matrix whose rows are x0 … x7, in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> x0, ref Vector256<float> x1, ref Vector256<float> x2, ref Vector256<float> x3,
        ref Vector256<float> x4, ref Vector256<float> x5, ref Vector256<float> x6, ref Vector256<float> x7)
    {
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped.
        var t0 = Avx.UnpackLow(x0, x1); var t1 = Avx.UnpackHigh(x0, x1);
        var t2 = Avx.UnpackLow(x2, x3); var t3 = Avx.UnpackHigh(x2, x3);
        var t4 = Avx.UnpackLow(x4, x5); var t5 = Avx.UnpackHigh(x4, x5);
        var t6 = Avx.UnpackLow(x6, x7); var t7 = Avx.UnpackHigh(x6, x7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        x0 = Avx.Permute2x128(u0, u4, 0x20); x1 = Avx.Permute2x128(u1, u5, 0x20);
        x2 = Avx.Permute2x128(u2, u6, 0x20); x3 = Avx.Permute2x128(u3, u7, 0x20);
        x4 = Avx.Permute2x128(u0, u4, 0x31); x5 = Avx.Permute2x128(u1, u5, 0x31);
        x6 = Avx.Permute2x128(u2, u6, 0x31); x7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>Writes lanes <c>[0, count)</c> of <paramref name="value"/> to <paramref name="destination"/>, nothing past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFirst(Vector256<float> value, ref float destination, int count)
    {
        switch (count)
        {
            case 8: value.StoreUnsafe(ref destination); break;
            case 6:
                value.GetLower().StoreUnsafe(ref destination);
                Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref destination, 4)), value.GetUpper().AsDouble().ToScalar());
                break;
            case 4: value.GetLower().StoreUnsafe(ref destination); break;
            default:
                for (int r = 0; r < count; r++) Unsafe.Add(ref destination, r) = value.GetElement(r);
                break;
        }
    }
}
