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
    /// <para>With inPlace, gx (the module's own fresh projection) is overwritten with the outputs, as LstmLayer does.</para>
    /// </remarks>
    internal static Tensor RnnLayer(Tensor gx, Tensor weightHh, Tensor h0, int[]? lengths, bool reverse, bool relu, bool inPlace = false)
    {
        int steps = gx.Shape[0], rows = gx.Shape[1], hidden = h0.Shape[1];
        var walk = new RecurrentSteps(steps, rows, hidden, lengths, reverse);
        var hs = inPlace ? gx : Compute.Empty(gx.Shape, gx.DType);                          // h' of every step, saved
        var hPrev = Compute.Empty(gx.Shape, gx.DType);
        var z = Compute.Empty(new Shape(steps + 1, rows, hidden), gx.DType);
        Compute.Run(gx.DType, new RnnLayerKernel(gx, weightHh, h0, walk, relu, hs, hPrev, z));

        return Tape.Record("RNN", z, [gx, weightHh, h0], "dpre = dh⊙act' through time, dW_hh += Σ dpreᵀ·h_prev",
            g => RecurrentLayerGradients("RNN", () =>
            {
                var dgx = Compute.Empty(gx.Shape, gx.DType);
                var dw = Compute.Empty(weightHh.Shape, gx.DType);
                var dh0 = Compute.Empty(h0.Shape, gx.DType);
                Compute.Run(gx.DType, new RnnLayerBackwardKernel(g, weightHh, walk, relu, hs, hPrev, dgx, dw, dh0));
                return [gx.RequiresGrad ? dgx : null, weightHh.RequiresGrad ? dw : null, h0.RequiresGrad ? dh0 : null];
            }));
    }

    private readonly struct RnnLayerKernel(Tensor gx, Tensor weightHh, Tensor h0, RecurrentSteps walk, bool relu, Tensor hs, Tensor hPrev, Tensor z) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, nh = n * h;
            Span<T> x = gx.Data<T>(), w = weightHh.Data<T>(), hsd = hs.Data<T>(), hp = hPrev.Data<T>(), out_ = z.Data<T>();
            Span<T> hCur = out_.Slice(steps * nh, nh);
            h0.Data<T>().CopyTo(hCur);
            bool copy = !ReferenceEquals(hs, gx);                                                   // else the outputs are computed in gx itself
            using var wt = Blas.PackB<T>(w, transB: true, h, h);                                // W_hhᵀ packed once for all steps
            for (int s = 0; s < steps; s++)
            {
                int t = walk.TimeAt(s);
                Span<T> hpt = hp.Slice(t * nh, nh), pre = hsd.Slice(t * nh, nh), y = out_.Slice(t * nh, nh);
                hCur.CopyTo(hpt);
                if (copy) x.Slice(t * nh, nh).CopyTo(pre);
                Blas.Gemm<T>(hpt, false, wt, pre, n, accumulate: true);              // pre = gx[t] + h·W_hhᵀ
                for (int r = 0; r < n; r++)
                {
                    if (!walk.Active(r, t))
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
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, nh = n * h;
            Span<T> dz = g.Data<T>(), w = weightHh.Data<T>(), hsd = hs.Data<T>(), dp = dgx.Data<T>(), dh = dh0.Data<T>();
            dz.Slice(steps * nh, nh).CopyTo(dh);
            using var wp = Blas.PackB<T>(w, transB: false, h, h);                               // W_hh packed once for all steps
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = walk.TimeAt(s);
                Span<T> dpt = dp.Slice(t * nh, nh), dy = dz.Slice(t * nh, nh), ht = hsd.Slice(t * nh, nh);
                bool all = walk.AllActive(t);
                for (int r = 0; r < n; r++)
                {
                    if (!walk.Active(r, t))
                    {
                        dpt.Slice(r * h, h).Clear();
                        continue;
                    }
                    var dhr = dh.Slice(r * h, h);
                    Recurrent.Add<T>(dhr, dy.Slice(r * h, h), dhr);                                  // dh += dout[t]
                    Recurrent.RnnBackwardRow<T>(ht.Slice(r * h, h), dhr, relu, dpt.Slice(r * h, h));   // dpre = dh⊙act'
                    if (!all) dhr.Clear();
                }
                Blas.Gemm<T>(dpt, false, wp, dh, n, accumulate: !all);              // dh = dpre[t]·W_hh (+ carried rows)
            }
            Blas.Gemm<T>(dp, true, hPrev.Data<T>(), false, dw.Data<T>(), h, steps * n, h, accumulate: false);
        }
    }
}
