using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The pointwise part of one GRU step, from the two gate projections: the new hidden state. What
    /// <c>torch.nn.GRUCell</c> computes after its two matrix products.</summary>
    /// <remarks>
    /// <para><paramref name="gi"/> is <c>x·W_ihᵀ + b_ih</c> and <paramref name="gh"/> is <c>h·W_hhᵀ + b_hh</c>, both
    /// <c>[..., 3H]</c> in PyTorch's order <c>[r | z | n]</c>; <paramref name="h"/> is <c>[..., H]</c>. Forward, one
    /// kernel: <c>r = σ(gi_r + gh_r)</c>, <c>z = σ(gi_z + gh_z)</c>, <c>n = tanh(gi_n + r⊙gh_n)</c>,
    /// <c>h' = (h - n)⊙z + n</c> (that is <c>(1 - z)⊙n + z⊙h</c>, in PyTorch's order of operations).</para>
    /// <para>Backward, one kernel: <c>dn = g⊙(1 - z)⊙(1 - n²)</c>, <c>dz = g⊙(h - n)⊙z(1 - z)</c>,
    /// <c>dr = dn⊙gh_n⊙r(1 - r)</c>; <c>dgi = [dr | dz | dn]</c>, <c>dgh = [dr | dz | dn⊙r]</c>, <c>dh = g⊙z</c>.
    /// r, z, n and gh_n are saved. Under <c>createGraph</c> the rule is recorded ops, so second derivatives work.</para>
    /// </remarks>
    /// <param name="gi">Input projection <c>[..., 3H]</c>, blocks r, z, n.</param>
    /// <param name="gh">Hidden projection <c>[..., 3H]</c>, blocks r, z, n.</param>
    /// <param name="h">The previous hidden state <c>[..., H]</c>.</param>
    /// <returns>The new hidden state, shaped like <paramref name="h"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The dtypes differ, or gi or gh is not h's shape with a last dim 3 times as large.</exception>
    public static Tensor GruCell(Tensor gi, Tensor gh, Tensor h)
    {
        const string op = "GruCell";
        Check.NotNull(op, gi, nameof(gi));
        Check.NotNull(op, gh, nameof(gh));
        Check.NotNull(op, h, nameof(h));
        Check.SameDType(op, gi, h);
        Check.SameDType(op, gh, h);
        int hidden = CellHidden(op, gi, "gi", h, "h", 3);
        CellHidden(op, gh, "gh", h, "h", 3);
        int rows = hidden == 0 ? 0 : h.Numel / hidden;

        var saved = Compute.Empty(new Shape(rows, 4 * hidden), h.DType);                // [r | z | n | gh_n] per row
        var y = Compute.Empty(h.Shape, h.DType);
        Compute.Run(h.DType, new GruCellKernel(gi, gh, h, saved, y, rows, hidden));      // h' = (h - n)⊙z + n

        return Tape.Record(op, y, [gi, gh, h], "dgi += [dr, dz, dn], dgh += [dr, dz, dn⊙r], dh += g⊙z",
            g => GruCellGradients(g, gi, gh, h, saved, hidden));
    }

    /// <summary>GruCell's gradients for the output gradient g: one fused kernel in a plain backward, recorded ops under
    /// <c>createGraph</c>.</summary>
    private static Tensor?[] GruCellGradients(Tensor g, Tensor gi, Tensor gh, Tensor h, Tensor saved, int hidden)
    {
        if (Tape.IsRecording)
        {
            var r = Sigmoid(Slice(gi, -1, 0, hidden) + Slice(gh, -1, 0, hidden));    // recomputed with ops, so they follow the inputs
            var z = Sigmoid(Slice(gi, -1, hidden, 2 * hidden) + Slice(gh, -1, hidden, 2 * hidden));
            var ghn = Slice(gh, -1, 2 * hidden, 3 * hidden);
            var n = Tanh(Slice(gi, -1, 2 * hidden, 3 * hidden) + r * ghn);
            var dn = TanhBackward(g * (1 - z), n);
            var dz = SigmoidBackward(g * (h - n), z);
            var dr = SigmoidBackward(dn * ghn, r);
            return [gi.RequiresGrad ? Cat([dr, dz, dn], -1) : null, gh.RequiresGrad ? Cat([dr, dz, dn * r], -1) : null,
                    h.RequiresGrad ? g * z : null];
        }
        var dgi = Compute.Empty(gi.Shape, gi.DType);
        var dgh = Compute.Empty(gh.Shape, gh.DType);
        var dh = h.RequiresGrad ? Compute.Empty(h.Shape, h.DType) : null;
        Compute.Run(h.DType, new GruCellBackwardKernel(saved, h, g, dgi, dgh, dh, hidden));
        return [gi.RequiresGrad ? dgi : null, gh.RequiresGrad ? dgh : null, dh];
    }

    private readonly struct GruCellKernel(Tensor gi, Tensor gh, Tensor h, Tensor saved, Tensor y, int rows, int hidden) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            Span<T> a = gi.Data<T>(), b = gh.Data<T>(), hs = h.Data<T>(), s = saved.Data<T>(), ys = y.Data<T>();
            for (int r = 0; r < rows; r++)
                Recurrent.GruForwardRow<T>(a.Slice(r * 3 * hidden, 3 * hidden), b.Slice(r * 3 * hidden, 3 * hidden), hs.Slice(r * hidden, hidden),
                    s.Slice(r * 4 * hidden, 4 * hidden), ys.Slice(r * hidden, hidden));
        }
    }

    private readonly struct GruCellBackwardKernel(Tensor saved, Tensor h, Tensor g, Tensor dgi, Tensor dgh, Tensor? dh, int hidden) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            Span<T> s = saved.Data<T>(), hs = h.Data<T>(), gs = g.Data<T>(), a = dgi.Data<T>(), b = dgh.Data<T>();
            Span<T> d = dh is null ? default : dh.Data<T>();
            int rows = hidden == 0 ? 0 : hs.Length / hidden;
            for (int r = 0; r < rows; r++)
                Recurrent.GruBackwardRow<T>(s.Slice(r * 4 * hidden, 4 * hidden), hs.Slice(r * hidden, hidden), gs.Slice(r * hidden, hidden),
                    a.Slice(r * 3 * hidden, 3 * hidden), b.Slice(r * 3 * hidden, 3 * hidden), d.IsEmpty ? default : d.Slice(r * hidden, hidden));
        }
    }
}
