using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>The pointwise parts of the LSTM, GRU and Elman RNN cells, one row (one batch element) at a time, forward and
/// backward. The matrix products around them (<c>x·W_ihᵀ</c>, <c>h·W_hhᵀ</c>) are the GEMM's; these kernels fuse
/// everything between two products into one pass over a row.</summary>
/// <remarks>
/// <para>Gate blocks follow PyTorch: an LSTM row of gates is <c>[i | f | g | o]</c> (H each), a GRU row <c>[r | z | n]</c>.</para>
/// <para>σ and tanh come from <see cref="VectorMath"/>; the products and sums are <see cref="Vector{T}"/> loops whose
/// tails repeat the same IEEE operations in scalar form (no fused multiply-add anywhere), so a result depends only on
/// the values, never on the row's position, the alignment or the thread count.</para>
/// </remarks>
internal static class Recurrent
{
    // ---- LSTM ------------------------------------------------------------------------------------------------------

    /// <summary>One LSTM row forward: <c>acts = [σ(i), σ(f), tanh(g), σ(o)]</c> of the pre-activations
    /// <paramref name="gates"/> [4H] (acts may be gates itself), <c>c' = f⊙c + i⊙g</c>, <c>tanhC = tanh(c')</c>,
    /// <c>h' = o⊙tanhC</c>.</summary>
    public static void LstmForwardRow<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> c, Span<T> acts, Span<T> cNew, Span<T> tanhC, Span<T> h)
        where T : struct, IFloatingPointIeee754<T>
    {
        int hidden = c.Length;
        VectorMath.Map(new VectorMath.SigmoidFunction(), gates[..(2 * hidden)], acts[..(2 * hidden)]);
        VectorMath.Map(new VectorMath.TanhFunction(), gates.Slice(2 * hidden, hidden), acts.Slice(2 * hidden, hidden));
        VectorMath.Map(new VectorMath.SigmoidFunction(), gates.Slice(3 * hidden, hidden), acts.Slice(3 * hidden, hidden));
        ReadOnlySpan<T> i = acts[..hidden], f = acts.Slice(hidden, hidden), g = acts.Slice(2 * hidden, hidden);
        int j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= hidden - Vector<T>.Count; j += Vector<T>.Count)
                Store(Load(f, j) * Load(c, j) + Load(i, j) * Load(g, j), cNew, j);     // c' = f⊙c + i⊙g
        for (; j < hidden; j++) cNew[j] = f[j] * c[j] + i[j] * g[j];
        VectorMath.Map(new VectorMath.TanhFunction(), cNew, tanhC);
        Multiply(acts.Slice(3 * hidden, hidden), tanhC, h);                               // h' = o⊙tanh(c')
    }

    /// <summary>The part of an LSTM row's backward that goes through <c>h' = o⊙tanh(c')</c>:
    /// <c>do = dh⊙tanhC⊙o⊙(1 - o)</c> (o the activated gate), and <c>dc (+)= dh⊙o⊙(1 - tanhC²)</c>.</summary>
    public static void LstmOutputBackwardRow<T>(ReadOnlySpan<T> o, ReadOnlySpan<T> tanhC, ReadOnlySpan<T> dh, Span<T> dO, Span<T> dc,
        bool accumulate) where T : struct, IFloatingPointIeee754<T>
    {
        int n = o.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<T>.One;
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
            {
                Vector<T> vo = Load(o, j), vt = Load(tanhC, j), vdh = Load(dh, j);
                Store(vdh * vt * (vo * (one - vo)), dO, j);
                var dcj = vdh * vo * (one - vt * vt);
                Store(accumulate ? Load(dc, j) + dcj : dcj, dc, j);
            }
        }
        for (; j < n; j++)
        {
            dO[j] = dh[j] * tanhC[j] * (o[j] * (T.One - o[j]));
            var dcj = dh[j] * o[j] * (T.One - tanhC[j] * tanhC[j]);
            dc[j] = accumulate ? dc[j] + dcj : dcj;
        }
    }

    /// <summary>The part of an LSTM row's backward that goes through <c>c' = f⊙c + i⊙g</c>, from <c>dc'</c> (activated
    /// gates i, f, g): <c>di = dc'⊙g⊙i(1 - i)</c>, <c>df = dc'⊙c⊙f(1 - f)</c>, <c>dg = dc'⊙i⊙(1 - g²)</c>,
    /// <c>dcPrev = dc'⊙f</c> (dcPrev may be dc' itself).</summary>
    public static void LstmStateBackwardRow<T>(ReadOnlySpan<T> acts, ReadOnlySpan<T> c, ReadOnlySpan<T> dcNew, Span<T> dGates, Span<T> dcPrev)
        where T : struct, IFloatingPointIeee754<T>
    {
        int hidden = c.Length, j = 0;
        ReadOnlySpan<T> i = acts[..hidden], f = acts.Slice(hidden, hidden), g = acts.Slice(2 * hidden, hidden);
        Span<T> di = dGates[..hidden], df = dGates.Slice(hidden, hidden), dg = dGates.Slice(2 * hidden, hidden);
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<T>.One;
            for (; j <= hidden - Vector<T>.Count; j += Vector<T>.Count)
            {
                Vector<T> vi = Load(i, j), vf = Load(f, j), vg = Load(g, j), vdc = Load(dcNew, j);
                Store(vdc * vg * (vi * (one - vi)), di, j);
                Store(vdc * Load(c, j) * (vf * (one - vf)), df, j);
                Store(vdc * vi * (one - vg * vg), dg, j);
                if (!dcPrev.IsEmpty) Store(vdc * vf, dcPrev, j);
            }
        }
        for (; j < hidden; j++)
        {
            T dcj = dcNew[j];
            di[j] = dcj * g[j] * (i[j] * (T.One - i[j]));
            df[j] = dcj * c[j] * (f[j] * (T.One - f[j]));
            dg[j] = dcj * i[j] * (T.One - g[j] * g[j]);
            if (!dcPrev.IsEmpty) dcPrev[j] = dcj * f[j];
        }
    }

    // ---- GRU -------------------------------------------------------------------------------------------------------

    /// <summary>One GRU row forward from <c>gi = x·W_ihᵀ + b_ih</c> and <c>gh = h·W_hhᵀ + b_hh</c> ([3H] each, blocks
    /// r, z, n): <c>r = σ(gi_r + gh_r)</c>, <c>z = σ(gi_z + gh_z)</c>, <c>n = tanh(gi_n + r⊙gh_n)</c>,
    /// <c>h' = (h - n)⊙z + n</c> (PyTorch's order of operations). <paramref name="saved"/> [4H] receives
    /// <c>[r | z | n | gh_n]</c>, what the backward reads.</summary>
    public static void GruForwardRow<T>(ReadOnlySpan<T> gi, ReadOnlySpan<T> gh, ReadOnlySpan<T> h, Span<T> saved, Span<T> hNew)
        where T : struct, IFloatingPointIeee754<T>
    {
        int hidden = h.Length;
        Span<T> rz = saved[..(2 * hidden)], n = saved.Slice(2 * hidden, hidden), ghn = saved.Slice(3 * hidden, hidden);
        Add(gi[..(2 * hidden)], gh[..(2 * hidden)], rz);
        VectorMath.Map(new VectorMath.SigmoidFunction(), rz, rz);                        // r, z
        gh.Slice(2 * hidden, hidden).CopyTo(ghn);
        ReadOnlySpan<T> r = saved[..hidden], z = saved.Slice(hidden, hidden), gin = gi.Slice(2 * hidden, hidden);
        int j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= hidden - Vector<T>.Count; j += Vector<T>.Count)
                Store(Load(gin, j) + Load(r, j) * Load(ghn, j), n, j);
        for (; j < hidden; j++) n[j] = gin[j] + r[j] * ghn[j];
        VectorMath.Map(new VectorMath.TanhFunction(), n, n);                             // n = tanh(gi_n + r⊙gh_n)
        j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= hidden - Vector<T>.Count; j += Vector<T>.Count)
            {
                var vn = Load(n, j);
                Store((Load(h, j) - vn) * Load(z, j) + vn, hNew, j);
            }
        for (; j < hidden; j++) hNew[j] = (h[j] - n[j]) * z[j] + n[j];
    }

    /// <summary>One GRU row backward from dh' (the saved <c>[r | z | n | gh_n]</c> and the previous h):
    /// <c>dn = dh'⊙(1 - z)⊙(1 - n²)</c>, <c>dz = dh'⊙(h - n)⊙z(1 - z)</c>, <c>dr = dn⊙gh_n⊙r(1 - r)</c>;
    /// <c>dgi = [dr | dz | dn]</c>, <c>dgh = [dr | dz | dn⊙r]</c>, and the direct part of <c>dh = dh'⊙z</c>.</summary>
    public static void GruBackwardRow<T>(ReadOnlySpan<T> saved, ReadOnlySpan<T> h, ReadOnlySpan<T> dhNew, Span<T> dgi, Span<T> dgh, Span<T> dh)
        where T : struct, IFloatingPointIeee754<T>
    {
        int hidden = h.Length, j = 0;
        ReadOnlySpan<T> r = saved[..hidden], z = saved.Slice(hidden, hidden), n = saved.Slice(2 * hidden, hidden), ghn = saved.Slice(3 * hidden, hidden);
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<T>.One;
            for (; j <= hidden - Vector<T>.Count; j += Vector<T>.Count)
            {
                Vector<T> vr = Load(r, j), vz = Load(z, j), vn = Load(n, j), vd = Load(dhNew, j);
                var dn = vd * (one - vz) * (one - vn * vn);
                var dz = vd * (Load(h, j) - vn) * (vz * (one - vz));
                var dr = dn * Load(ghn, j) * (vr * (one - vr));
                Store(dr, dgi, j);
                Store(dz, dgi, hidden + j);
                Store(dn, dgi, 2 * hidden + j);
                Store(dr, dgh, j);
                Store(dz, dgh, hidden + j);
                Store(dn * vr, dgh, 2 * hidden + j);
                if (!dh.IsEmpty) Store(vd * vz, dh, j);
            }
        }
        for (; j < hidden; j++)
        {
            T d = dhNew[j];
            var dn = d * (T.One - z[j]) * (T.One - n[j] * n[j]);
            var dz = d * (h[j] - n[j]) * (z[j] * (T.One - z[j]));
            var dr = dn * ghn[j] * (r[j] * (T.One - r[j]));
            dgi[j] = dr;
            dgi[hidden + j] = dz;
            dgi[2 * hidden + j] = dn;
            dgh[j] = dr;
            dgh[hidden + j] = dz;
            dgh[2 * hidden + j] = dn * r[j];
            if (!dh.IsEmpty) dh[j] = d * z[j];
        }
    }

    // ---- Elman RNN ---------------------------------------------------------------------------------------------------

    /// <summary><c>h = tanh(pre)</c>, or <c>relu(pre)</c> when <paramref name="relu"/> (h may be pre itself).</summary>
    public static void RnnForwardRow<T>(ReadOnlySpan<T> pre, bool relu, Span<T> h) where T : struct, IFloatingPointIeee754<T>
    {
        if (relu) VectorMath.Map(new VectorMath.ReluFunction(), pre, h);
        else VectorMath.Map(new VectorMath.TanhFunction(), pre, h);
    }

    /// <summary><c>dpre = dh⊙(1 - h²)</c> for tanh, <c>dpre = dh where h &gt; 0 else 0</c> for relu.</summary>
    public static void RnnBackwardRow<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> dh, bool relu, Span<T> dpre) where T : struct, IFloatingPointIeee754<T>
    {
        if (relu) ElementwiseBackward.Relu(h, dh, dpre);
        else ElementwiseBackward.Tanh(h, dh, dpre);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    /// <summary><c>destination = a ⊙ b</c>.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        int n = a.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count) Store(Load(a, j) * Load(b, j), destination, j);
        for (; j < n; j++) destination[j] = a[j] * b[j];
    }

    /// <summary><c>destination = a + b</c>.</summary>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        int n = a.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count) Store(Load(a, j) + Load(b, j), destination, j);
        for (; j < n; j++) destination[j] = a[j] + b[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load<T>(ReadOnlySpan<T> s, int i) where T : struct =>
        Vector.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> v, Span<T> s, int i) where T : struct =>
        v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
}
