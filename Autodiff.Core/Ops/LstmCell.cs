using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The pointwise part of one LSTM step, from the gates' pre-activations: the new hidden and cell state. What
    /// <c>torch.nn.LSTMCell</c> computes after its two matrix products.</summary>
    /// <remarks>
    /// <para><paramref name="gates"/> is <c>x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh</c>, <c>[..., 4H]</c> in PyTorch's order
    /// <c>[i | f | g | o]</c>; <paramref name="c"/> is <c>[..., H]</c>. Forward, one kernel: <c>i = σ(·)</c>,
    /// <c>f = σ(·)</c>, <c>g = tanh(·)</c>, <c>o = σ(·)</c>, <c>c' = f⊙c + i⊙g</c>, <c>h' = o⊙tanh(c')</c>.</para>
    /// <para>Backward: <c>dc'_total = dc' + dh'⊙o⊙(1 - tanh²c')</c>, <c>do = dh'⊙tanh(c')⊙o(1 - o)</c>,
    /// <c>di = dc'_total⊙g⊙i(1 - i)</c>, <c>df = dc'_total⊙c⊙f(1 - f)</c>, <c>dg = dc'_total⊙i⊙(1 - g²)</c>,
    /// <c>dc = dc'_total⊙f</c>. The activated gates and tanh(c') are saved.</para>
    /// <para>Two outputs, two tape entries: <c>c'</c> is recorded as <c>LstmCell</c> (inputs gates and c) and <c>h'</c>
    /// as <c>LstmCellOutput</c> with c' among its inputs, because a tape entry has one output. The backward replays h'
    /// first, which adds its share <c>dh'⊙o⊙(1 - tanh²c')</c> into c''s gradient and fills the o block of dgates; then
    /// c''s entry, with the complete dc', fills the i, f, g blocks and dc. Each is one fused kernel, and the split costs
    /// one addition of the two dgates halves. Under <c>createGraph</c> both rules are recorded ops, so second derivatives
    /// work. The LSTM module does not go through this op: its layers run a fused whole-sequence kernel.</para>
    /// </remarks>
    /// <param name="gates">Pre-activations <c>[..., 4H]</c>, blocks i, f, g, o.</param>
    /// <param name="c">The previous cell state <c>[..., H]</c>.</param>
    /// <returns>The new hidden state h' and cell state c', both shaped like <paramref name="c"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The dtypes differ, or gates is not c's shape with a last dim 4 times as large.</exception>
    public static (Tensor H, Tensor C) LstmCell(Tensor gates, Tensor c)
    {
        const string op = "LstmCell";
        Check.NotNull(op, gates, nameof(gates));
        Check.NotNull(op, c, nameof(c));
        Check.SameDType(op, gates, c);
        int hidden = CellHidden(op, gates, "gates", c, "c", 4);
        int rows = hidden == 0 ? 0 : c.Numel / hidden;

        var acts = Compute.Empty(gates.Shape, gates.DType);                            // [σ(i), σ(f), tanh(g), σ(o)], saved
        var cNew = Compute.Empty(c.Shape, c.DType);
        var tanhC = Compute.Empty(c.Shape, c.DType);                                     // tanh(c'), saved
        var h = Compute.Empty(c.Shape, c.DType);
        Compute.Run(c.DType, new LstmCellKernel(gates, c, acts, cNew, tanhC, h, rows, hidden));   // c' = f⊙c + i⊙g, h' = o⊙tanh(c')

        cNew = Tape.Record(op, cNew, [gates, c], "dgates[i,f,g] += ∂(f⊙c + i⊙g)·g, dc += g⊙f",
            g => LstmCellStateGradients(g, gates, c, acts, hidden));
        h = Tape.Record("LstmCellOutput", h, [gates, cNew], "dgates[o] += g⊙tanh(c')⊙o(1 - o), dc' += g⊙o⊙(1 - tanh²c')",
            g => LstmCellOutputGradients(g, gates, cNew, acts, tanhC, hidden));
        return (h, cNew);
    }

    /// <summary>H for a cell op: checks that <paramref name="gates"/> is <paramref name="state"/>'s shape with the last
    /// dim <paramref name="blocks"/> times as large.</summary>
    private static int CellHidden(string op, Tensor gates, string gatesName, Tensor state, string stateName, int blocks)
    {
        if (state.Rank == 0 || gates.Rank != state.Rank || gates.Shape[-1] != blocks * state.Shape[-1] ||
            !gates.Shape.Take(gates.Rank - 1).SequenceEqual(state.Shape.Take(state.Rank - 1)))
        {
            var expected = state.Rank == 0 ? "a tensor of rank 1 or more" : $"[{string.Join(", ", state.Shape.Take(state.Rank - 1).Append(blocks * state.Shape[-1]))}]";
            Check.Fail(op, $"{gatesName} is {gates.Shape}, expected {expected} for {stateName} {state.Shape} ({blocks} gate blocks of H = " +
                $"{(state.Rank == 0 ? "?" : state.Shape[-1].ToString(System.Globalization.CultureInfo.InvariantCulture))}).", gatesName);
        }
        return state.Shape[-1];
    }

    /// <summary>The gradients through <c>c' = f⊙c + i⊙g</c> for dc' = <paramref name="dcNew"/>: dgates with the i, f, g
    /// blocks (o's block 0) and <c>dc = dc'⊙f</c>.</summary>
    private static Tensor?[] LstmCellStateGradients(Tensor dcNew, Tensor gates, Tensor c, Tensor acts, int hidden)
    {
        if (Tape.IsRecording)
        {
            var (i, f, g, o) = LstmGates(gates, hidden);                               // recomputed with ops, so they follow gates
            var dgates = Cat([SigmoidBackward(dcNew * g, i), SigmoidBackward(dcNew * c, f), TanhBackward(dcNew * i, g), Tensor.ZerosLike(o)], -1);
            return [gates.RequiresGrad ? dgates : null, c.RequiresGrad ? dcNew * f : null];
        }
        var dg = Compute.Empty(gates.Shape, gates.DType);
        var dc = c.RequiresGrad ? Compute.Empty(c.Shape, c.DType) : null;
        Compute.Run(c.DType, new LstmCellBackwardKernel(acts, c, null, dcNew, dg, dc, state: true, hidden));
        return [gates.RequiresGrad ? dg : null, dc];
    }

    /// <summary>The gradients through <c>h' = o⊙tanh(c')</c> for dh' = <paramref name="dh"/>: dgates with the o block
    /// (the others 0) and <c>dc' = dh'⊙o⊙(1 - tanh²c')</c>.</summary>
    private static Tensor?[] LstmCellOutputGradients(Tensor dh, Tensor gates, Tensor cNew, Tensor acts, Tensor tanhC, int hidden)
    {
        if (Tape.IsRecording)
        {
            var o = Sigmoid(Slice(gates, -1, 3 * hidden, 4 * hidden));
            var t = Tanh(cNew);
            var dgates = Cat([Tensor.ZerosLike(Slice(gates, -1, 0, 3 * hidden)), SigmoidBackward(dh * t, o)], -1);
            return [gates.RequiresGrad ? dgates : null, cNew.RequiresGrad ? TanhBackward(dh * o, t) : null];
        }
        var dg = Compute.Empty(gates.Shape, gates.DType);
        var dc = Compute.Empty(cNew.Shape, cNew.DType);
        Compute.Run(dh.DType, new LstmCellBackwardKernel(acts, tanhC, dh, null, dg, dc, state: false, hidden));
        return [gates.RequiresGrad ? dg : null, cNew.RequiresGrad ? dc : null];
    }

    /// <summary>The activated gates of an LSTM, as recorded ops on slices of <paramref name="gates"/>.</summary>
    private static (Tensor I, Tensor F, Tensor G, Tensor O) LstmGates(Tensor gates, int hidden) =>
        (Sigmoid(Slice(gates, -1, 0, hidden)), Sigmoid(Slice(gates, -1, hidden, 2 * hidden)),
         Tanh(Slice(gates, -1, 2 * hidden, 3 * hidden)), Sigmoid(Slice(gates, -1, 3 * hidden, 4 * hidden)));

    private readonly struct LstmCellKernel(Tensor gates, Tensor c, Tensor acts, Tensor cNew, Tensor tanhC, Tensor h, int rows, int hidden) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            Span<T> g = gates.Data<T>(), cs = c.Data<T>(), a = acts.Data<T>(), cn = cNew.Data<T>(), th = tanhC.Data<T>(), hs = h.Data<T>();
            for (int r = 0; r < rows; r++)
            {
                int q = r * 4 * hidden, s = r * hidden;
                Recurrent.LstmForwardRow<T>(g.Slice(q, 4 * hidden), cs.Slice(s, hidden), a.Slice(q, 4 * hidden),
                    cn.Slice(s, hidden), th.Slice(s, hidden), hs.Slice(s, hidden));
            }
        }
    }

    /// <summary>One half of LstmCell's backward over all rows: through c' (<paramref name="state"/>: reads acts, c and
    /// dc'; writes dgates' i, f, g blocks and dc) or through h' (reads acts, tanh c' and dh'; writes dgates' o block and dc').
    /// The other blocks of dgates are zeroed.</summary>
    private readonly struct LstmCellBackwardKernel(Tensor acts, Tensor cOrTanhC, Tensor? dh, Tensor? dcNew, Tensor dgates, Tensor? dc,
        bool state, int hidden) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            Span<T> a = acts.Data<T>(), x = cOrTanhC.Data<T>(), dg = dgates.Data<T>();
            Span<T> dcs = dc is null ? default : dc.Data<T>();
            int rows = hidden == 0 ? 0 : x.Length / hidden;
            for (int r = 0; r < rows; r++)
            {
                int q = r * 4 * hidden, s = r * hidden;
                var dgRow = dg.Slice(q, 4 * hidden);
                if (state)
                {
                    Recurrent.LstmStateBackwardRow<T>(a.Slice(q, 4 * hidden), x.Slice(s, hidden), dcNew!.Data<T>().Slice(s, hidden),
                        dgRow, dcs.IsEmpty ? default : dcs.Slice(s, hidden));
                    dgRow.Slice(3 * hidden, hidden).Clear();
                }
                else
                {
                    dgRow[..(3 * hidden)].Clear();
                    Recurrent.LstmOutputBackwardRow<T>(a.Slice(q + 3 * hidden, hidden), x.Slice(s, hidden), dh!.Data<T>().Slice(s, hidden),
                        dgRow.Slice(3 * hidden, hidden), dcs.Slice(s, hidden), accumulate: false);
                }
            }
        }
    }
}
