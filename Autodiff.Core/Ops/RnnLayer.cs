using System.Numerics;
using Autodiff.Kernels;
using Blas = Autodiff.Kernels.MatMul;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>One direction of one Elman RNN layer over a whole sequence, as one op: the recurrence of
    /// <c>torch.nn.RNN</c> after the input projection. Used by the RNN module.</summary>
    /// <remarks>
    /// <para>Inputs: <paramref name="gx"/> <c>[T, N, H]</c> = <c>x·W_ihᵀ + b_ih + b_hh</c> for every step,
    /// <paramref name="weightHh"/> <c>[H, H]</c>, <paramref name="h0"/> <c>[N, H]</c>. Output <c>[T + 1, N, H]</c>:
    /// rows 0..T-1 the outputs (0 past a row's length), row T the final h.</para>
    /// <para>Forward per step <c>h' = act(gx[t] + h·W_hhᵀ)</c>, act tanh or relu. Backward: <c>dpre = dh⊙act'</c>,
    /// <c>dh = dpre·W_hh</c>; <c>dW_hh = Σ_t dpre[t]ᵀ·h_prev[t]</c> as one GEMM.</para>
    /// <para>With <paramref name="inPlaceOf"/>, gx (the module's own fresh projection) is overwritten with the outputs, as
    /// LstmLayer does.</para>
    /// </remarks>
    internal static Tensor RnnLayer(Tensor gx, Tensor weightHh, Tensor h0, int[]? lengths, bool reverse, bool relu,
        RecurrentProjection? inPlaceOf = null)
    {
        int steps = gx.Shape[0], rows = gx.Shape[1], hidden = h0.Shape[1];
        var walk = new RecurrentSteps(steps, rows, hidden, lengths, reverse);
        var hs = inPlaceOf is not null ? gx : Compute.Empty(gx.Shape, gx.DType);                          // h' of every step, saved
        var hPrev = Compute.Empty(gx.Shape, gx.DType);
        var z = Compute.Empty(new Shape(steps + 1, rows, hidden), gx.DType);
        Compute.Run(gx.DType, new RnnLayerKernel(gx, weightHh, h0, walk, relu, hs, hPrev, z));

        return Tape.Record("RNN", z, [gx, weightHh, h0], "dpre = dh⊙act' through time, dW_hh += Σ dpreᵀ·h_prev",
            g => RecurrentLayerGradients(g, [gx, weightHh, h0], x => RnnLayerReplay(x[0], x[1], x[2], walk, relu), () =>
            {
                var dgx = Compute.Empty(gx.Shape, gx.DType);
                var dw = Compute.Empty(weightHh.Shape, gx.DType);
                var dh0 = Compute.Empty(h0.Shape, gx.DType);
                Compute.Run(gx.DType, new RnnLayerBackwardKernel(g, weightHh, walk, relu, hs, hPrev, dgx, dw, dh0));
                return [gx.RequiresGrad ? dgx : null, weightHh.RequiresGrad ? dw : null, h0.RequiresGrad ? dh0 : null];
            }, inPlaceOf));
    }

    /// <summary>The RNN layer's forward as twice-differentiable ops, for gradients under <c>createGraph</c>
    /// (<see cref="RecurrentLayerGradients"/>): per step <c>h' = act(gx[t] + h·W_hhᵀ)</c>; a row past its length keeps
    /// its state and outputs 0.</summary>
    private static Tensor RnnLayerReplay(Tensor gx, Tensor weightHh, Tensor h0, RecurrentSteps walk, bool relu)
    {
        var wt = Transpose(weightHh, 0, 1);
        return ReplaySingleState(walk, h0, (h, t) =>
        {
            var pre = Select(gx, 0, t) + MatMul(h, wt);
            return relu ? Relu(pre) : Tanh(pre);
        });
    }

    private readonly struct RnnLayerKernel(Tensor gx, Tensor weightHh, Tensor h0, RecurrentSteps walk, bool relu, Tensor hs, Tensor hPrev, Tensor z) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int h = walk.Hidden;
            using var wt = Blas.PackB<T>(weightHh.Data<T>(), transB: true, h, h);              // W_hhᵀ packed once for all steps
            var self = this;
            walk.ForRowBlocks(h, (r0, r1) => self.Rows<T>(wt, r0, r1));
        }

        /// <summary>All steps for rows [r0, r1) of the batch.</summary>
        private void Rows<T>(PackedB<T> wt, int r0, int r1) where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, nh = n * h, rows = r1 - r0;
            Span<T> x = gx.Data<T>(), hsd = hs.Data<T>(), hp = hPrev.Data<T>(), out_ = z.Data<T>();
            Span<T> hCur = out_.Slice(steps * nh + r0 * h, rows * h);
            h0.Data<T>().Slice(r0 * h, rows * h).CopyTo(hCur);
            bool copy = !ReferenceEquals(hs, gx);                                                   // else the outputs are computed in gx itself
            for (int s = 0; s < steps; s++)
            {
                int t = walk.TimeAt(s), rh = t * nh + r0 * h;
                Span<T> hpt = hp.Slice(rh, rows * h), pre = hsd.Slice(rh, rows * h), y = out_.Slice(rh, rows * h);
                hCur.CopyTo(hpt);
                if (copy) x.Slice(rh, rows * h).CopyTo(pre);
                Blas.Gemm<T>(hpt, false, wt, pre, rows, accumulate: true);                      // pre = gx[t] + h·W_hhᵀ
                for (int r = 0; r < rows; r++)
                {
                    if (!walk.Active(r0 + r, t))
                    {
                        y.Slice(r * h, h).Clear();
                        continue;
                    }
                    var pr = pre.Slice(r * h, h);
                    Recurrent.RnnForwardRow<T>(pr, relu, pr);                                        // h' = act(pre), in place
                    pr.CopyTo(hCur.Slice(r * h, h));
                    pr.CopyTo(y.Slice(r * h, h));
                }
            }
        }
    }

    private readonly struct RnnLayerBackwardKernel(Tensor g, Tensor weightHh, RecurrentSteps walk, bool relu, Tensor hs, Tensor hPrev,
        Tensor dgx, Tensor dw, Tensor dh0) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int h = walk.Hidden;
            using (var wp = Blas.PackB<T>(weightHh.Data<T>(), transB: false, h, h))            // W_hh packed once for all steps
            {
                var self = this;
                walk.ForRowBlocks(h, (r0, r1) => self.Rows<T>(wp, r0, r1));
            }
            Blas.Gemm<T>(dgx.Data<T>(), true, hPrev.Data<T>(), false, dw.Data<T>(), h, walk.Steps * walk.Rows, h, accumulate: false);
        }

        /// <summary>All steps, in reverse, for rows [r0, r1) of the batch: dpre and the carried dh.</summary>
        private void Rows<T>(PackedB<T> wp, int r0, int r1) where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, nh = n * h, rows = r1 - r0;
            Span<T> dz = g.Data<T>(), hsd = hs.Data<T>(), dp = dgx.Data<T>(), dh = dh0.Data<T>().Slice(r0 * h, rows * h);
            dz.Slice(steps * nh + r0 * h, rows * h).CopyTo(dh);
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = walk.TimeAt(s), rh = t * nh + r0 * h;
                Span<T> dpt = dp.Slice(rh, rows * h), dy = dz.Slice(rh, rows * h), ht = hsd.Slice(rh, rows * h);
                bool all = walk.AllActive(t);
                for (int r = 0; r < rows; r++)
                {
                    if (!walk.Active(r0 + r, t))
                    {
                        dpt.Slice(r * h, h).Clear();
                        continue;
                    }
                    var dhr = dh.Slice(r * h, h);
                    Recurrent.Add<T>(dhr, dy.Slice(r * h, h), dhr);                                  // dh += dout[t]
                    Recurrent.RnnBackwardRow<T>(ht.Slice(r * h, h), dhr, relu, dpt.Slice(r * h, h));   // dpre = dh⊙act'
                    if (!all) dhr.Clear();
                }
                Blas.Gemm<T>(dpt, false, wp, dh, rows, accumulate: !all);                       // dh = dpre[t]·W_hh (+ carried rows)
            }
        }
    }
}
