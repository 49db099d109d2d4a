using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Autodiff.Kernels.RowVectors;

namespace Autodiff.Kernels;

/// <summary>How the attention kernels read a mask for one (batch·head) matrix: none, Bool (true = may attend) or
/// additive (added to the scores), at <c>Offsets[n] + i·RowStride + j·ColumnStride</c> (0 strides where the mask is
/// broadcast), plus the causal (top-left aligned, <c>j ≤ i</c>) mask.</summary>
internal sealed record AttentionMask(DType? DType, int[]? Offsets, int RowStride, int ColumnStride, bool Causal)
{
    /// <summary>True for a Bool mask, false for an additive one (only meaningful with <see cref="Offsets"/>).</summary>
    public bool IsBool => DType == Autodiff.DType.Bool;
}

/// <summary>Scaled dot-product attention for one (batch·head) matrix at a time, forward and backward, on the GEMM and
/// the <see cref="RowVectors"/> loops; the op (Ops/ScaledDotProductAttention.cs) splits the matrices across threads.</summary>
/// <remarks>Every matrix is computed the same way whichever thread runs it, and the rows' softmax sums are in the order
/// fixed by <see cref="RowVectors"/>, so the results do not depend on the thread count. A row whose every key is masked
/// (its max is -∞) gets weights 0 (PyTorch ≥ 2.5's safe softmax), hence an output of 0 and zero gradients.</remarks>
internal static class Attention
{
    /// <summary>One matrix's forward: <c>P = softmax(scale·Q·Kᵀ + mask)</c> into <paramref name="p"/> [L, S] (weights
    /// before dropout), then <c>O = (P ⊙ D)·V</c> into <paramref name="o"/> [L, Ev], with D the dropout mask (0 or
    /// 1/(1-p)) when <paramref name="drop"/> is not empty (<paramref name="scratch"/> [L, S] holds <c>P ⊙ D</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, AttentionMask mask, int n,
        ReadOnlySpan<T> floatMask, ReadOnlySpan<bool> boolMask, T scale, ReadOnlySpan<T> drop, Span<T> scratch,
        int l, int s, int e, int ev, Span<T> p, Span<T> o)
        where T : struct, IFloatingPointIeee754<T>
    {
        MatMul.Gemm(q, false, k, true, p, l, e, s, accumulate: false);                             // P = Q·Kᵀ [L, S]
        int offset = mask.Offsets?[n] ?? 0;
        for (int i = 0; i < l; i++)
        {
            var row = p.Slice(i * s, s);
            int length = mask.Causal ? Math.Min(i + 1, s) : s;                                       // keys j ≤ i only
            var live = row[..length];
            int at = offset + i * mask.RowStride;
            if (mask.Offsets is null || mask.IsBool) Map(live, live, live, new Scaled<T>(scale));    // x = scale·q·k
            else if (mask.ColumnStride == 1) Map(live, floatMask.Slice(at, length), live, new ScaledPlus<T>(scale));   // x = scale·q·k + mask
            else Map(live, live, live, new ScaledPlusScalar<T>(scale, floatMask[at]));
            if (mask.Offsets is not null && mask.IsBool)
                for (int j = 0; j < length; j++)
                    if (!boolMask[at + j * mask.ColumnStride]) live[j] = T.NegativeInfinity;
            SafeSoftmaxRow(live);
            row[length..].Clear();
        }
        ReadOnlySpan<T> weights = p;
        if (!drop.IsEmpty)
        {
            Map(p, drop, scratch, default(Product<T>));                                            // P ⊙ D
            weights = scratch;
        }
        MatMul.Gemm(weights, false, v, false, o, l, s, ev, accumulate: false);                     // O = (P ⊙ D)·V
    }

    /// <summary>Softmax of a row in place; all zeros when every element is -∞ (no key may be attended).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SafeSoftmaxRow<T>(Span<T> row) where T : struct, IFloatingPointIeee754<T>
    {
        if (row.IsEmpty) return;
        T max = Max<T>(row);
        if (T.IsNegativeInfinity(max))
        {
            row.Clear();
            return;
        }
        if (T.IsPositiveInfinity(max)) max = T.Zero;                                                // let IEEE decide, as Softmax
        T sum = MapSum(row, row, row, new ExpShifted<T>(max));                                      // exp(x - max), and Σ
        Map(row, row, row, new DivideBy<T>(sum));
    }

    /// <summary>One matrix's backward for the output gradient <paramref name="dO"/> [L, Ev], from the forward's weights
    /// <paramref name="p"/> [L, S] (before dropout) and dropout mask <paramref name="drop"/> (empty without dropout):
    /// <c>dV = (P ⊙ D)ᵀ·dO</c>, <c>dP = (dO·Vᵀ) ⊙ D</c>, <c>dS = scale·P ⊙ (dP - Σ_j dP ⊙ P)</c>, <c>dQ = dS·K</c>,
    /// <c>dK = dSᵀ·Q</c>. A destination that is empty is not computed. <paramref name="scratch"/> holds 2·L·S values.</summary>
    /// <remarks><c>Σ_j dP ⊙ P</c> equals <c>Σ_d dO ⊙ O</c> (FlashAttention's D): <c>O = (P ⊙ D)·V</c>, so
    /// <c>Σ_d dO·O = Σ_j (P ⊙ D)·(dO·Vᵀ) = Σ_j P·dP</c>; it is taken over the S keys here, which needs no O.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> p, ReadOnlySpan<T> drop,
        ReadOnlySpan<T> dO, T scale, Span<T> scratch, int l, int s, int e, int ev, Span<T> dq, Span<T> dk, Span<T> dv)
        where T : struct, IFloatingPointIeee754<T>
    {
        var dP = scratch.Slice(0, l * s);
        ReadOnlySpan<T> weights = p;
        if (!drop.IsEmpty)
        {
            var pd = scratch.Slice(l * s, l * s);
            Map(p, drop, pd, default(Product<T>));                                                 // P ⊙ D
            weights = pd;
        }
        if (!dv.IsEmpty) MatMul.Gemm(weights, true, dO, false, dv, s, l, ev, accumulate: false);   // dV = (P ⊙ D)ᵀ·dO
        if (dq.IsEmpty && dk.IsEmpty) return;
        MatMul.Gemm(dO, false, v, true, dP, l, ev, s, accumulate: false);                          // dP = dO·Vᵀ
        if (!drop.IsEmpty) Map(dP, drop, dP, default(Product<T>));                                  //      ⊙ D
        for (int i = 0; i < l; i++)
        {
            ReadOnlySpan<T> pr = p.Slice(i * s, s);
            var dr = dP.Slice(i * s, s);
            T dot = Dot(dr, pr);                                                                    // Σ_j dP·P
            Map(dr, pr, dr, new SoftmaxGradient<T>(dot, scale));                                    // dS = scale·P ⊙ (dP - Σ)
        }
        if (!dq.IsEmpty) MatMul.Gemm(dP, false, k, false, dq, l, s, e, accumulate: false);         // dQ = dS·K
        if (!dk.IsEmpty) MatMul.Gemm(dP, true, q, false, dk, s, l, e, accumulate: false);          // dK = dSᵀ·Q
    }

    /// <summary><c>a·scale</c>.</summary>
    private readonly struct Scaled<T>(T scale) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _scale = Vector256.Create(scale);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * _scale;
    }

    /// <summary><c>a·scale + b</c> (b the mask's row).</summary>
    private readonly struct ScaledPlus<T>(T scale) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _scale = Vector256.Create(scale);
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * _scale + b;
    }

    /// <summary><c>a·scale + m</c> (a mask broadcast along the keys).</summary>
    private readonly struct ScaledPlusScalar<T>(T scale, T m) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _scale = Vector256.Create(scale), _m = Vector256.Create(m);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * _scale + _m;
    }

    /// <summary><c>scale·p·(g - dot)</c>, for g = dP and p = P: the softmax backward with the scale folded in.</summary>
    private readonly struct SoftmaxGradient<T>(T dot, T scale) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _dot = Vector256.Create(dot), _scale = Vector256.Create(scale);
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> g, Vector256<T> p) => _scale * (p * (g - _dot));
    }
}
