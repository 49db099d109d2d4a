using System.Numerics;
using Autodiff.Kernels;
using Blas = Autodiff.Kernels.MatMul;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>One direction of one LSTM layer over a whole sequence, as one op: the recurrence of <c>torch.nn.LSTM</c>
    /// after the input projection. Used by the LSTM module.</summary>
    /// <remarks>
    /// <para>Inputs: <paramref name="gx"/> <c>[T, N, 4H]</c> = <c>x·W_ihᵀ + b_ih + b_hh</c> for every step (one GEMM,
    /// done by the caller), <paramref name="weightHh"/> <c>[4H, H]</c>, <paramref name="h0"/> and <paramref name="c0"/>
    /// <c>[N, H]</c>. Output <c>[T + 2, N, H]</c>: rows 0..T-1 the outputs h_t (0 at a position past its row's length),
    /// row T the final h and row T + 1 the final c (one tensor, because a tape entry has one output; the module slices it).</para>
    /// <para>Forward per step: <c>gates = gx[t] + h·W_hhᵀ</c> (the GEMM accumulates into gx[t] itself, or into a copy
    /// when <paramref name="inPlaceOf"/> is null), then the fused cell kernel (<see cref="Recurrent.LstmForwardRow"/>),
    /// which overwrites the gates with their activations. Saved: the activated gates, h and c before each step, tanh c'.</para>
    /// <para><paramref name="inPlaceOf"/>: the module passes its own fresh projection, read by nothing else (Linear's
    /// backward does not read its output), and what it was computed from; the op uses it as its workspace: no 4·T·N·H
    /// buffer is allocated and copied per layer (a <c>createGraph</c> backward computes it again from those inputs).
    /// Measured with perf on the LSTM training step: that copy, and the page faults of its fresh buffer, were 8% of the
    /// step.</para>
    /// <para>Backward, steps in reverse: <c>dh += dout[t]</c>, the fused cell backward gives dgates[t] and carries dc,
    /// <c>dh = dgates[t]·W_hh</c>; then <c>dW_hh = Σ_t dgates[t]ᵀ·h_prev[t]</c> as ONE GEMM over all T·N rows, and dgx =
    /// dgates, whose products with x and W_ih (dW_ih, dx) the input projection's own backward does as one GEMM each.</para>
    /// <para>W_hh is packed for the GEMM once per call (<see cref="Blas.PackB{T}(ReadOnlySpan{T}, bool, int, int)"/>),
    /// forward and backward, not at every step; the batch is split across threads for the whole sequence
    /// (<see cref="RecurrentSteps.ForRowBlocks"/>). Under <c>createGraph</c> the gradients come from the layer replayed
    /// as ops (<see cref="RecurrentLayerGradients"/>), so second derivatives work.</para>
    /// </remarks>
    internal static Tensor LstmLayer(Tensor gx, Tensor weightHh, Tensor h0, Tensor c0, int[]? lengths, bool reverse,
        RecurrentProjection? inPlaceOf = null)
    {
        int steps = gx.Shape[0], rows = gx.Shape[1], hidden = h0.Shape[1];
        var walk = new RecurrentSteps(steps, rows, hidden, lengths, reverse);
        var saved = new LstmLayerSaved(gx, steps, rows, hidden, inPlaceOf is not null);
        var z = Compute.Empty(new Shape(steps + 2, rows, hidden), gx.DType);
        Compute.Run(gx.DType, new LstmLayerKernel(gx, weightHh, h0, c0, walk, saved, z));

        return Tape.Record("LSTM", z, [gx, weightHh, h0, c0], "dgates = LSTM cell backward through time, dW_hh += Σ dgatesᵀ·h_prev",
            g => RecurrentLayerGradients(g, [gx, weightHh, h0, c0], x => LstmLayerReplay(x[0], x[1], x[2], x[3], walk), () =>
            {
                var dgx = Compute.Empty(gx.Shape, gx.DType);
                var dw = Compute.Empty(weightHh.Shape, gx.DType);
                var dh0 = Compute.Empty(h0.Shape, gx.DType);
                var dc0 = Compute.Empty(c0.Shape, gx.DType);
                Compute.Run(gx.DType, new LstmLayerBackwardKernel(g, weightHh, walk, saved, dgx, dw, dh0, dc0));
                return [gx.RequiresGrad ? dgx : null, weightHh.RequiresGrad ? dw : null, h0.RequiresGrad ? dh0 : null, c0.RequiresGrad ? dc0 : null];
            }, inPlaceOf));
    }

    /// <summary>The LSTM layer's forward as twice-differentiable ops, for gradients under <c>createGraph</c>
    /// (<see cref="RecurrentLayerGradients"/>): per step <c>gates = gx[t] + h·W_hhᵀ</c> and <see cref="LstmCell"/>; a row
    /// past its length keeps its state and outputs 0.</summary>
    private static Tensor LstmLayerReplay(Tensor gx, Tensor weightHh, Tensor h0, Tensor c0, RecurrentSteps walk)
    {
        var wt = Transpose(weightHh, 0, 1);
        Tensor h = h0, c = c0;
        var rows = new Tensor[walk.Steps + 2];
        for (int s = 0; s < walk.Steps; s++)
        {
            int t = walk.TimeAt(s);
            var (hNew, cNew) = LstmCell(Select(gx, 0, t) + MatMul(h, wt), c);
            if (walk.AllActive(t)) (h, c, rows[t]) = (hNew, cNew, hNew);
            else
            {
                var active = ActiveRows(walk, t);
                (h, c, rows[t]) = (Where(active, hNew, h), Where(active, cNew, c), Where(active, hNew, Tensor.ZerosLike(hNew)));
            }
        }
        (rows[walk.Steps], rows[walk.Steps + 1]) = (h, c);
        return Stack(rows, 0);
    }

    /// <summary>What the LSTM layer's backward reads: per step the activated gates <c>[T, N, 4H]</c>, the state before
    /// the step (h and c, <c>[T, N, H]</c> each) and <c>tanh c'</c>.</summary>
    private sealed class LstmLayerSaved(Tensor gx, int steps, int rows, int hidden, bool inPlace)
    {
        public readonly Tensor Acts = inPlace ? gx : Compute.Empty(new Shape(steps, rows, 4 * hidden), gx.DType);
        public readonly Tensor HPrev = Compute.Empty(new Shape(steps, rows, hidden), gx.DType);
        public readonly Tensor CPrev = Compute.Empty(new Shape(steps, rows, hidden), gx.DType);
        public readonly Tensor TanhC = Compute.Empty(new Shape(steps, rows, hidden), gx.DType);
    }

    private readonly struct LstmLayerKernel(Tensor gx, Tensor weightHh, Tensor h0, Tensor c0, RecurrentSteps walk, LstmLayerSaved saved, Tensor z) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int h = walk.Hidden, g4 = 4 * h;
            using var wt = Blas.PackB<T>(weightHh.Data<T>(), transB: true, h, g4);            // W_hhᵀ packed once for all steps
            var self = this;
            walk.ForRowBlocks(g4, (r0, r1) => self.Rows<T>(wt, r0, r1));
        }

        /// <summary>All steps for rows [r0, r1) of the batch.</summary>
        private void Rows<T>(PackedB<T> wt, int r0, int r1) where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, g4 = 4 * h, nh = n * h, rows = r1 - r0;
            Span<T> x = gx.Data<T>(), acts = saved.Acts.Data<T>(), hPrev = saved.HPrev.Data<T>(), cPrev = saved.CPrev.Data<T>(),
                tanhC = saved.TanhC.Data<T>(), out_ = z.Data<T>();
            Span<T> hCur = out_.Slice(steps * nh + r0 * h, rows * h), cCur = out_.Slice((steps + 1) * nh + r0 * h, rows * h);  // the running state lives in the last two rows
            bool copy = !ReferenceEquals(saved.Acts, gx);                                           // else the gates are computed in gx itself
            h0.Data<T>().Slice(r0 * h, rows * h).CopyTo(hCur);
            c0.Data<T>().Slice(r0 * h, rows * h).CopyTo(cCur);
            for (int s = 0; s < steps; s++)
            {
                int t = walk.TimeAt(s), rh = t * nh + r0 * h;
                Span<T> hp = hPrev.Slice(rh, rows * h), cp = cPrev.Slice(rh, rows * h), a = acts.Slice((t * n + r0) * g4, rows * g4),
                    y = out_.Slice(rh, rows * h), th = tanhC.Slice(rh, rows * h);
                hCur.CopyTo(hp);
                cCur.CopyTo(cp);
                if (copy) x.Slice((t * n + r0) * g4, rows * g4).CopyTo(a);
                Blas.Gemm<T>(hp, false, wt, a, rows, accumulate: true);                         // gates = gx[t] + h·W_hhᵀ
                for (int r = 0; r < rows; r++)
                {
                    if (!walk.Active(r0 + r, t))
                    {
                        y.Slice(r * h, h).Clear();                                                  // past its length: output 0, state kept
                        continue;
                    }
                    var ar = a.Slice(r * g4, g4);
                    Recurrent.LstmForwardRow<T>(ar, cp.Slice(r * h, h), ar, cCur.Slice(r * h, h), th.Slice(r * h, h), hCur.Slice(r * h, h));
                    hCur.Slice(r * h, h).CopyTo(y.Slice(r * h, h));
                }
            }
        }
    }

    private readonly struct LstmLayerBackwardKernel(Tensor g, Tensor weightHh, RecurrentSteps walk, LstmLayerSaved saved,
        Tensor dgx, Tensor dw, Tensor dh0, Tensor dc0) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int h = walk.Hidden, g4 = 4 * h;
            using (var wp = Blas.PackB<T>(weightHh.Data<T>(), transB: false, g4, h))          // W_hh packed once for all steps
            {
                var self = this;
                walk.ForRowBlocks(g4, (r0, r1) => self.Rows<T>(wp, r0, r1));
            }
            Blas.Gemm<T>(dgx.Data<T>(), true, saved.HPrev.Data<T>(), false, dw.Data<T>(), g4, walk.Steps * walk.Rows, h, accumulate: false);  // dW_hh = Σ_t dgates[t]ᵀ·h_prev[t]
        }

        /// <summary>All steps, in reverse, for rows [r0, r1) of the batch: dgates and the carried dh, dc.</summary>
        private void Rows<T>(PackedB<T> wp, int r0, int r1) where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, g4 = 4 * h, nh = n * h, rows = r1 - r0;
            Span<T> dz = g.Data<T>(), acts = saved.Acts.Data<T>(), cPrev = saved.CPrev.Data<T>(), tanhC = saved.TanhC.Data<T>(),
                dg = dgx.Data<T>(), dh = dh0.Data<T>().Slice(r0 * h, rows * h), dc = dc0.Data<T>().Slice(r0 * h, rows * h);
            dz.Slice(steps * nh + r0 * h, rows * h).CopyTo(dh);                                    // d(final h)
            dz.Slice((steps + 1) * nh + r0 * h, rows * h).CopyTo(dc);                              // d(final c)
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = walk.TimeAt(s), rh = t * nh + r0 * h;
                Span<T> a = acts.Slice((t * n + r0) * g4, rows * g4), d = dg.Slice((t * n + r0) * g4, rows * g4), dy = dz.Slice(rh, rows * h),
                    cp = cPrev.Slice(rh, rows * h), th = tanhC.Slice(rh, rows * h);
                bool all = walk.AllActive(t);
                for (int r = 0; r < rows; r++)
                {
                    var dr = d.Slice(r * g4, g4);
                    if (!walk.Active(r0 + r, t))
                    {
                        dr.Clear();                                                                  // no gradient to a padded position
                        continue;
                    }
                    Span<T> dhr = dh.Slice(r * h, h), dcr = dc.Slice(r * h, h), ar = a.Slice(r * g4, g4);
                    Recurrent.Add<T>(dhr, dy.Slice(r * h, h), dhr);                                 // dh += dout[t]
                    Recurrent.LstmOutputBackwardRow<T>(ar.Slice(3 * h, h), th.Slice(r * h, h), dhr, dr.Slice(3 * h, h), dcr, accumulate: true);
                    Recurrent.LstmStateBackwardRow<T>(ar, cp.Slice(r * h, h), dcr, dr, dcr);
                    if (!all) dhr.Clear();                                                           // replaced by dgates·W_hh below
                }
                Blas.Gemm<T>(d, false, wp, dh, rows, accumulate: !all);                         // dh = dgates[t]·W_hh (+ carried rows)
            }
        }
    }
}
