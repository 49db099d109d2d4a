using System.Numerics;
using Autodiff.Kernels;
using Blas = Autodiff.Kernels.MatMul;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>One direction of one GRU layer over a whole sequence, as one op: the recurrence of <c>torch.nn.GRU</c>
    /// after the input projection. Used by the GRU module.</summary>
    /// <remarks>
    /// <para>Inputs: <paramref name="gi"/> <c>[T, N, 3H]</c> = <c>x·W_ihᵀ + b_ih</c> for every step (one GEMM, done by the
    /// caller), <paramref name="weightHh"/> <c>[3H, H]</c>, <paramref name="biasHh"/> <c>[3H]</c> or null,
    /// <paramref name="h0"/> <c>[N, H]</c>. Output <c>[T + 1, N, H]</c>: rows 0..T-1 the outputs (0 past a row's
    /// length), row T the final h.</para>
    /// <para>Forward per step: <c>gh = b_hh + h·W_hhᵀ</c> (one GEMM into a buffer reused by every step), then the fused
    /// cell kernel (<see cref="Recurrent.GruForwardRow"/>). Saved: r, z, n, gh_n and h before each step.</para>
    /// <para>Backward, steps in reverse: the fused cell backward gives dgi[t], dgh[t] and <c>dh = dh'⊙z</c>, then
    /// <c>dh += dgh[t]·W_hh</c>; at the end <c>dW_hh = Σ_t dgh[t]ᵀ·h_prev[t]</c> as one GEMM and <c>db_hh = Σ dgh</c>.</para>
    /// </remarks>
    internal static Tensor GruLayer(Tensor gi, Tensor weightHh, Tensor? biasHh, Tensor h0, int[]? lengths, bool reverse)
    {
        int steps = gi.Shape[0], rows = gi.Shape[1], hidden = h0.Shape[1];
        var walk = new RecurrentSteps(steps, rows, hidden, lengths, reverse);
        var saved = Compute.Empty(new Shape(steps, rows, 4 * hidden), gi.DType);          // [r | z | n | gh_n] per step and row
        var hPrev = Compute.Empty(new Shape(steps, rows, hidden), gi.DType);
        var z = Compute.Empty(new Shape(steps + 1, rows, hidden), gi.DType);
        Compute.Run(gi.DType, new GruLayerKernel(gi, weightHh, biasHh, h0, walk, saved, hPrev, z));

        Tensor[] inputs = biasHh is null ? [gi, weightHh, h0] : [gi, weightHh, biasHh, h0];
        return Tape.Record("GRU", z, inputs, "dgi, dgh = GRU cell backward through time, dW_hh += Σ dghᵀ·h_prev, db_hh += Σ dgh",
            g => RecurrentLayerGradients(g, inputs, x => GruLayerReplay(x[0], x[1], biasHh is null ? null : x[2], x[^1], walk), () =>
            {
                var dgi = Compute.Empty(gi.Shape, gi.DType);
                var dgh = Compute.Empty(gi.Shape, gi.DType);
                var dw = Compute.Empty(weightHh.Shape, gi.DType);
                var dh0 = Compute.Empty(h0.Shape, gi.DType);
                var db = biasHh is null ? null : Compute.Empty(biasHh.Shape, gi.DType);
                Compute.Run(gi.DType, new GruLayerBackwardKernel(g, weightHh, walk, saved, hPrev, dgi, dgh, dw, db, dh0));
                Tensor?[] grads = [gi.RequiresGrad ? dgi : null, weightHh.RequiresGrad ? dw : null, h0.RequiresGrad ? dh0 : null];
                return biasHh is null ? grads : [grads[0], grads[1], biasHh.RequiresGrad ? db : null, grads[2]];
            }, gatesFrom: null));
    }

    /// <summary>The GRU layer's forward as twice-differentiable ops, for gradients under <c>createGraph</c>
    /// (<see cref="RecurrentLayerGradients"/>): per step <c>gh = h·W_hhᵀ + b_hh</c> and <see cref="GruCell"/>; a row past
    /// its length keeps its state and outputs 0.</summary>
    private static Tensor GruLayerReplay(Tensor gi, Tensor weightHh, Tensor? biasHh, Tensor h0, RecurrentSteps walk)
    {
        var wt = Transpose(weightHh, 0, 1);
        return ReplaySingleState(walk, h0, (h, t) =>
        {
            var gh = MatMul(h, wt);
            return GruCell(Select(gi, 0, t), biasHh is null ? gh : gh + biasHh, h);
        });
    }

    private readonly struct GruLayerKernel(Tensor gi, Tensor weightHh, Tensor? biasHh, Tensor h0, RecurrentSteps walk, Tensor saved,
        Tensor hPrev, Tensor z) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int h = walk.Hidden, g3 = 3 * h;
            using var wt = Blas.PackB<T>(weightHh.Data<T>(), transB: true, h, g3);            // W_hhᵀ packed once for all steps
            var gh = new T[walk.Rows * g3];                                                          // h·W_hhᵀ + b_hh, one step at a time
            var self = this;
            walk.ForRowBlocks(g3, (r0, r1) => self.Rows<T>(wt, gh, r0, r1));
        }

        /// <summary>All steps for rows [r0, r1) of the batch.</summary>
        private void Rows<T>(PackedB<T> wt, T[] ghAll, int r0, int r1) where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, g3 = 3 * h, nh = n * h, rows = r1 - r0;
            Span<T> x = gi.Data<T>(), ws = saved.Data<T>(), hp = hPrev.Data<T>(), out_ = z.Data<T>(), gh = ghAll.AsSpan(r0 * g3, rows * g3);
            Span<T> hCur = out_.Slice(steps * nh + r0 * h, rows * h);                               // the running state: the last row
            h0.Data<T>().Slice(r0 * h, rows * h).CopyTo(hCur);
            for (int s = 0; s < steps; s++)
            {
                int t = walk.TimeAt(s), rh = t * nh + r0 * h;
                var hpt = hp.Slice(rh, rows * h);
                hCur.CopyTo(hpt);
                if (biasHh is not null)
                    for (int r = 0; r < rows; r++) biasHh.Data<T>().CopyTo(gh.Slice(r * g3, g3));
                Blas.Gemm<T>(hpt, false, wt, gh, rows, accumulate: biasHh is not null);           // gh = b_hh + h·W_hhᵀ
                Span<T> y = out_.Slice(rh, rows * h), xt = x.Slice((t * n + r0) * g3, rows * g3), st = ws.Slice((t * n + r0) * 4 * h, rows * 4 * h);
                for (int r = 0; r < rows; r++)
                {
                    if (!walk.Active(r0 + r, t))
                    {
                        y.Slice(r * h, h).Clear();                                                  // past its length: output 0, state kept
                        continue;
                    }
                    Recurrent.GruForwardRow<T>(xt.Slice(r * g3, g3), gh.Slice(r * g3, g3), hpt.Slice(r * h, h), st.Slice(r * 4 * h, 4 * h),
                        hCur.Slice(r * h, h));
                    hCur.Slice(r * h, h).CopyTo(y.Slice(r * h, h));
                }
            }
        }
    }

    private readonly struct GruLayerBackwardKernel(Tensor g, Tensor weightHh, RecurrentSteps walk, Tensor saved, Tensor hPrev,
        Tensor dgi, Tensor dgh, Tensor dw, Tensor? db, Tensor dh0) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            int h = walk.Hidden, g3 = 3 * h, rowsAll = walk.Steps * walk.Rows;
            using (var wp = Blas.PackB<T>(weightHh.Data<T>(), transB: false, g3, h))          // W_hh packed once for all steps
            {
                var self = this;
                walk.ForRowBlocks(g3, (r0, r1) => self.Rows<T>(wp, r0, r1));
            }
            Span<T> dhh = dgh.Data<T>();
            Blas.Gemm<T>(dhh, true, hPrev.Data<T>(), false, dw.Data<T>(), g3, rowsAll, h, accumulate: false);   // dW_hh = Σ_t dgh[t]ᵀ·h_prev[t]
            if (db is not null)
            {
                var b = db.Data<T>();
                b.Clear();
                for (int row = 0; row < rowsAll; row++) Recurrent.Add<T>(b, dhh.Slice(row * g3, g3), b);   // db_hh = Σ dgh, rows in order
            }
        }

        /// <summary>All steps, in reverse, for rows [r0, r1) of the batch: dgi, dgh and the carried dh.</summary>
        private void Rows<T>(PackedB<T> wp, int r0, int r1) where T : struct, IFloatingPointIeee754<T>
        {
            int n = walk.Rows, h = walk.Hidden, steps = walk.Steps, g3 = 3 * h, nh = n * h, rows = r1 - r0;
            Span<T> dz = g.Data<T>(), ws = saved.Data<T>(), hp = hPrev.Data<T>(), di = dgi.Data<T>(), dhh = dgh.Data<T>(),
                dh = dh0.Data<T>().Slice(r0 * h, rows * h);
            dz.Slice(steps * nh + r0 * h, rows * h).CopyTo(dh);                                    // d(final h)
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = walk.TimeAt(s), rh = t * nh + r0 * h, rg = (t * n + r0) * g3;
                Span<T> dit = di.Slice(rg, rows * g3), dht = dhh.Slice(rg, rows * g3), dy = dz.Slice(rh, rows * h),
                    st = ws.Slice((t * n + r0) * 4 * h, rows * 4 * h), hpt = hp.Slice(rh, rows * h);
                for (int r = 0; r < rows; r++)
                {
                    if (!walk.Active(r0 + r, t))
                    {
                        dit.Slice(r * g3, g3).Clear();                                              // no gradient to a padded position
                        dht.Slice(r * g3, g3).Clear();
                        continue;
                    }
                    var dhr = dh.Slice(r * h, h);
                    Recurrent.Add<T>(dhr, dy.Slice(r * h, h), dhr);                                 // dh += dout[t]
                    Recurrent.GruBackwardRow<T>(st.Slice(r * 4 * h, 4 * h), hpt.Slice(r * h, h), dhr, dit.Slice(r * g3, g3),
                        dht.Slice(r * g3, g3), dhr);                                                // dh = dh'⊙z
                }
                Blas.Gemm<T>(dht, false, wp, dh, rows, accumulate: true);                       // dh += dgh[t]·W_hh
            }
        }
    }
}
