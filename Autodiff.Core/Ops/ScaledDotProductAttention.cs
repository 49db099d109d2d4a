using System.Buffers;
using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Attention of queries over keys and values, in one fused op: <c>softmax(Q·Kᵀ·scale + mask)·V</c> per
    /// (batch, head). Same as PyTorch 2.x's <c>torch.nn.functional.scaled_dot_product_attention</c>.</summary>
    /// <remarks>
    /// <para>Shapes: query <c>[..., L, E]</c>, key <c>[..., S, E]</c>, value <c>[..., S, Ev]</c> with equal leading
    /// (batch, head) dims; the result is <c>[..., L, Ev]</c>. Forward, for each of the N = Π leading dims matrices:
    /// <c>P = softmax(scale·Q·Kᵀ + M)</c> along the keys, <c>O = (P ⊙ D)·V</c>, with M the mask (a Bool mask adds -∞
    /// where it is false, an additive one is added; <paramref name="isCausal"/> is the top-left aligned mask <c>j ≤ i</c>)
    /// and D the dropout mask (0 with probability <paramref name="dropoutP"/>, else <c>1/(1 - dropoutP)</c>). A row
    /// whose every key is masked gets weights 0, so an output row of 0 and zero gradients, never NaN (PyTorch ≥ 2.5's
    /// safe softmax).</para>
    /// <para>Backward, per matrix: <c>dV = (P ⊙ D)ᵀ·dO</c>, <c>dP = (dO·Vᵀ) ⊙ D</c>, <c>dS = P ⊙ (dP - rowsum(dP ⊙ P))</c>
    /// (the row sum equals <c>rowsum(dO ⊙ O)</c>), <c>dQ = dS·K·scale</c>, <c>dK = dSᵀ·Q·scale</c>, in one fused kernel
    /// (ScaledDotProductAttentionBackward). Under <c>createGraph</c> the same formulas run as recorded ops (MatMul,
    /// Softmax, SoftmaxBackward, Mul) from weights recomputed with ops, so gradients of gradients work.</para>
    /// <para>What is kept for the backward: the weights P <c>[..., L, S]</c> before dropout and, with dropout, the mask D
    /// <c>[..., L, S]</c>; not the scores nor <c>P ⊙ D</c> (recomputed from P and D with one multiply). P is kept rather
    /// than recomputed from the row log-sum-exp (FlashAttention's choice) because at the sequence lengths trained on a CPU
    /// it is small next to the activations around it (at B = 32, H = 4, T = 64: 2 MB float32 per layer, twice q's size)
    /// while recomputing it would add a Q·Kᵀ product and an exp per score to every backward; nothing is kept when no
    /// input requires grad. The matrices are shared among threads, each computed whole on one thread by the GEMM on its
    /// contiguous slices, so the result is bit-identical at any thread count.</para>
    /// <para>The mask never receives a gradient: an additive mask that requires grad is refused. The dropout mask is
    /// drawn from <paramref name="generator"/> (or <see cref="Generator.Default"/>) whenever <paramref name="dropoutP"/>
    /// &gt; 0, as PyTorch's function does (a module passes 0 in eval mode).</para>
    /// </remarks>
    /// <param name="query">Queries <c>[..., L, E]</c>.</param>
    /// <param name="key">Keys <c>[..., S, E]</c>.</param>
    /// <param name="value">Values <c>[..., S, Ev]</c>.</param>
    /// <param name="attnMask">Null, a Bool mask (true = may attend) or an additive mask of query's dtype, broadcastable
    /// to <c>[..., L, S]</c>; must not require grad.</param>
    /// <param name="dropoutP">The probability of dropping an attention weight, in [0, 1).</param>
    /// <param name="isCausal">Whether to apply the causal mask <c>j ≤ i</c> (top-left aligned, as PyTorch); not with a mask.
    /// When decoding with a key/value cache (the L newest queries over S ≥ L cached keys), pass false for one new query
    /// (it may see every cached key) or a Bool mask <c>j ≤ i + S - L</c> for several: top-left alignment would hide the
    /// newest keys from them.</param>
    /// <param name="scale">The factor of the scores; null for <c>1/√E</c>.</param>
    /// <param name="generator">Where the dropout mask is drawn from; null for <see cref="Generator.Default"/>.</param>
    /// <returns>The attention output <c>[..., L, Ev]</c>.</returns>
    /// <exception cref="ArgumentNullException">query, key or value is null.</exception>
    /// <exception cref="ArgumentException">An input has rank below 2 or is not floating-point, the dtypes differ, E or S
    /// disagree, the leading dims differ, the mask does not broadcast to <c>[..., L, S]</c>, is neither Bool nor of the
    /// query's dtype or requires grad, isCausal is set with a mask, or dropoutP is outside [0, 1).</exception>
    /// <example><code>var y = Ops.ScaledDotProductAttention(q, k, v, isCausal: true);   // [B, H, T, D] -> [B, H, T, D]</code></example>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0.0,
        bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        var problem = AttentionProblem.Create(query, key, value, attnMask, dropoutP, isCausal, scale);
        var y = Compute.Empty(problem.OutputShape, query.DType);
        var p = Compute.Empty(problem.WeightsShape, query.DType);                        // P, kept for the backward
        Tensor? drop = null;
        if (dropoutP > 0)
        {
            drop = Compute.Empty(problem.WeightsShape, query.DType);                     // D: 0 or 1/(1-p), drawn here in order
            if (query.DType == DType.Float64) (generator ?? Generator.Default).FillBernoulli(drop.F64, 1 - dropoutP, 1 / (1 - dropoutP));
            else (generator ?? Generator.Default).FillBernoulli(drop.F32, 1 - dropoutP, 1 / (1 - dropoutP));
        }
        var saved = new AttentionSaved(problem, attnMask, p, drop);
        Compute.Run(query.DType, new AttentionForwardKernel(saved, query, key, value, y));   // P = softmax(s·QKᵀ + M), O = (P⊙D)·V

        if (!Tape.IsRecording || !(query.RequiresGrad || key.RequiresGrad || value.RequiresGrad))
        {
            p.Dispose();                                                                 // no backward will read them
            drop?.Dispose();
        }
        return Tape.Record(AttentionProblem.Op, y, [query, key, value],
            "dq += dS·k·s, dk += dSᵀ·q·s, dv += (P⊙D)ᵀ·g with dS = P⊙(dP - Σ dP⊙P), dP = (g·vᵀ)⊙D",
            g => AttentionGradients(g, query, key, value, saved));
    }

    /// <summary>The three gradients of attention for the output gradient g: one fused kernel in a plain backward pass,
    /// recorded ops under <c>createGraph</c> (<see cref="AttentionGradientsRecorded"/>).</summary>
    private static Tensor?[] AttentionGradients(Tensor g, Tensor q, Tensor k, Tensor v, AttentionSaved saved)
    {
        if (Tape.IsRecording) return AttentionGradientsRecorded(g, q, k, v, saved);
        var dq = q.RequiresGrad ? Compute.Empty(q.Shape, q.DType) : null;
        var dk = k.RequiresGrad ? Compute.Empty(k.Shape, k.DType) : null;
        var dv = v.RequiresGrad ? Compute.Empty(v.Shape, v.DType) : null;
        Compute.Run(q.DType, new AttentionBackwardKernel(saved, q, k, v, g, dq, dk, dv));   // ScaledDotProductAttentionBackward
        return [dq, dk, dv];
    }

    /// <summary>Attention's backward as recorded ops, so that it can be differentiated again: the weights recomputed from q
    /// and k with ops (<c>P = softmax(s·q·kᵀ + M)</c>, rows with no key allowed set to 0 before and after the softmax), then
    /// <c>dv = (P⊙D)ᵀ·g</c>, <c>dS = SoftmaxBackward(((g·vᵀ)⊙D), P)</c>, <c>dq = dS·k·s</c>, <c>dk = dSᵀ·q·s</c>.</summary>
    private static Tensor?[] AttentionGradientsRecorded(Tensor g, Tensor q, Tensor k, Tensor v, AttentionSaved saved)
    {
        var problem = saved.Problem;
        int last = problem.WeightsShape.Rank - 1;
        var scores = MatMulTransposed(q, false, k, true) * problem.Scale;                // s·q·kᵀ [..., L, S]
        if (problem.AdditiveMask(saved.Mask, q.DType) is { } m) scores = scores + m;
        var dead = saved.DeadRows();                                                     // [..., L, 1]: no key allowed
        if (dead is not null) scores = MaskedFill(scores, dead, 0);                     // finite, so no NaN reaches a gradient
        var p = Softmax(scores, last);
        if (dead is not null) p = MaskedFill(p, dead, 0);
        var pd = saved.Drop is null ? p : p * saved.Drop;
        var dv = v.RequiresGrad ? MatMulTransposed(pd, true, g, false) : null;           // dv = (P⊙D)ᵀ·g
        if (!q.RequiresGrad && !k.RequiresGrad) return [null, null, dv];
        var dp = MatMulTransposed(g, false, v, true);                                    // dP = g·vᵀ
        if (saved.Drop is not null) dp = dp * saved.Drop;
        var ds = SoftmaxBackward(dp, p, last) * problem.Scale;                           // dS·s = s·P⊙(dP - Σ dP⊙P)
        return [q.RequiresGrad ? MatMulTransposed(ds, false, k, false) : null,           // dq = dS·k·s
                k.RequiresGrad ? MatMulTransposed(ds, true, q, false) : null,            // dk = dSᵀ·q·s
                dv];
    }

    /// <summary>What the backward reads: the problem, the user's mask (a constant), the weights P and the dropout mask D.</summary>
    private sealed class AttentionSaved(AttentionProblem problem, Tensor? mask, Tensor p, Tensor? drop)
    {
        public AttentionProblem Problem { get; } = problem;
        public Tensor? Mask { get; } = mask;
        public Tensor P { get; } = p;
        public Tensor? Drop { get; } = drop;

        /// <summary>Bool <c>[..., L, 1]</c>, true for the rows whose every key is masked (their weights are all 0; any other
        /// row's weights sum to 1), or null when no mask can empty a row.</summary>
        public Tensor? DeadRows()
        {
            if (Problem.Mask.Offsets is null) return null;                               // no mask, or causal only: never empty
            using (Tape.NoGrad()) return Eq(Sum(P, P.Rank - 1, keepDim: true), 0.0);
        }
    }

    /// <summary>The checked shapes of one attention call: N matrices of [L, E]·[E, S]·[S, Ev], the mask plan and the scale.</summary>
    private sealed class AttentionProblem
    {
        public const string Op = "ScaledDotProductAttention";

        public required int N, L, S, E, Ev;
        public required Shape OutputShape, WeightsShape;
        public required AttentionMask Mask;
        public required double Scale;

        /// <summary>Whether to split the matrices across threads: from the GEMM's threshold, 2·128³ flops in all.</summary>
        public bool Small => 2L * N * L * S * (E + Ev) < Kernels.MatMul.ParallelMinFlops;

        /// <summary>Validates the arguments (every check before any buffer is touched) and plans the mask.</summary>
        public static AttentionProblem Create(Tensor query, Tensor key, Tensor value, Tensor? attnMask, double dropoutP, bool isCausal, double? scale)
        {
            Check.NotNull(Op, query, nameof(query));
            Check.NotNull(Op, key, nameof(key));
            Check.NotNull(Op, value, nameof(value));
            Check.SameDType(Op, query, key);
            Check.SameDType(Op, query, value);
            foreach (var (t, name) in new[] { (query, nameof(query)), (key, nameof(key)), (value, nameof(value)) })
                if (t.Rank < 2) Check.Fail(Op, $"{name} {t.Shape} needs at least 2 dims ([..., L, E], [..., S, E], [..., S, Ev]).", name);
            var shapes = $"query {query.Shape}, key {key.Shape}, value {value.Shape}";
            if (query.Shape[-1] != key.Shape[-1])
                Check.Fail(Op, $"query and key must share the embedding dim E ({query.Shape[-1]} != {key.Shape[-1]}): {shapes}.", nameof(key));
            if (key.Shape[-2] != value.Shape[-2])
                Check.Fail(Op, $"key and value must share the sequence length S ({key.Shape[-2]} != {value.Shape[-2]}): {shapes}.", nameof(value));
            var batch = new Shape(query.Shape.ToArray()[..^2]);
            if (new Shape(key.Shape.ToArray()[..^2]) != batch || new Shape(value.Shape.ToArray()[..^2]) != batch)
                Check.Fail(Op, $"the leading (batch, head) dims must be equal: {shapes}.", nameof(key));
            if (!(dropoutP >= 0 && dropoutP < 1)) Check.Fail(Op, $"dropoutP must be in [0, 1), got {dropoutP}.", nameof(dropoutP));
            if (scale is double sc && double.IsNaN(sc)) Check.Fail(Op, "scale is NaN.", nameof(scale));
            int l = query.Shape[-2], s = key.Shape[-2], e = query.Shape[-1], ev = value.Shape[-1];
            var weights = new Shape([.. batch.ToArray(), l, s]);
            var mask = new AttentionMask(null, null, 0, 0, isCausal);
            if (attnMask is not null)
            {
                if (isCausal) Check.Fail(Op, $"isCausal cannot be combined with attnMask {attnMask.Shape}; pass one or the other (as PyTorch).", nameof(attnMask));
                if (attnMask.DType != DType.Bool && attnMask.DType != query.DType)
                    Check.Fail(Op, $"attnMask is {attnMask.DType}; it must be Bool (true = may attend) or {query.DType} (added to the scores).", nameof(attnMask));
                if (Shape.TryBroadcast(attnMask.Shape, weights) != weights)
                    Check.Fail(Op, $"attnMask {attnMask.Shape} cannot be broadcast to the scores [..., L, S] = {weights} ({shapes}).", nameof(attnMask));
                if (attnMask.RequiresGrad)
                    Check.Fail(Op, $"attnMask {attnMask.Label} requires grad, but the mask gets no gradient; pass attnMask.Detach().", nameof(attnMask));
                var strides = attnMask.Shape.BroadcastStrides(weights);
                var offsets = new int[batch.Numel];
                for (int n = 0; n < offsets.Length; n++)
                {
                    int rest = n, at = 0;
                    for (int d = batch.Rank - 1; d >= 0; d--)
                    {
                        at += rest % batch[d] * strides[d];
                        rest /= batch[d];
                    }
                    offsets[n] = at;
                }
                mask = new AttentionMask(attnMask.DType, offsets, strides[^2], strides[^1], false);
            }
            return new AttentionProblem
            {
                N = batch.Numel, L = l, S = s, E = e, Ev = ev, Mask = mask, Scale = scale ?? 1 / Math.Sqrt(e),
                OutputShape = new Shape([.. batch.ToArray(), l, ev]), WeightsShape = weights,
            };
        }

        /// <summary>The mask as a constant to add to the scores (Bool and causal masks as 0 / -∞), or null without one.</summary>
        public Tensor? AdditiveMask(Tensor? mask, DType dtype)
        {
            using var _ = Tape.NoGrad();
            if (Mask.Causal)
                return Triu(Tensor.Full([L, S], double.NegativeInfinity, dtype), 1);            // -∞ where j > i
            if (mask is null) return null;
            return mask.DType == DType.Bool ? MaskedFill(Tensor.Zeros(mask.Shape.ToArray(), dtype), LogicalNot(mask), double.NegativeInfinity) : mask;
        }
    }

    /// <summary>The forward of every matrix, split across threads by matrix (each computed whole by one thread).</summary>
    private readonly struct AttentionForwardKernel(AttentionSaved saved, Tensor q, Tensor k, Tensor v, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var (pr, s, sq, sk, sv, sy) = (saved.Problem, saved, q, k, v, y);
            Parts.For(pr.N, Parts.Count(pr.N, pr.Small), (first, end) => Forward<T>(s, sq, sk, sv, sy, first, end));
        }

        private static void Forward<T>(AttentionSaved saved, Tensor q, Tensor k, Tensor v, Tensor y, int first, int end)
            where T : struct, IFloatingPointIeee754<T>
        {
            var pr = saved.Problem;
            var (l, s, e, ev) = (pr.L, pr.S, pr.E, pr.Ev);
            var scratch = saved.Drop is null ? null : ArrayPool<T>.Shared.Rent(l * s);
            var mask = saved.Mask;
            ReadOnlySpan<T> floatMask = mask is { DType: not DType.Bool } ? mask.Data<T>() : default;
            ReadOnlySpan<bool> boolMask = mask is { DType: DType.Bool } ? mask.B8 : default;
            ReadOnlySpan<T> drop = saved.Drop is null ? default : saved.Drop.Data<T>();
            for (int n = first; n < end; n++)
                Attention.Forward(q.Data<T>().Slice(n * l * e, l * e), k.Data<T>().Slice(n * s * e, s * e), v.Data<T>().Slice(n * s * ev, s * ev),
                    pr.Mask, n, floatMask, boolMask, T.CreateChecked(pr.Scale), drop.IsEmpty ? default : drop.Slice(n * l * s, l * s),
                    scratch, l, s, e, ev, saved.P.Data<T>().Slice(n * l * s, l * s), y.Data<T>().Slice(n * l * ev, l * ev));
            if (scratch is not null) ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>The fused backward (ScaledDotProductAttentionBackward) of every matrix, split across threads by matrix.</summary>
    private readonly struct AttentionBackwardKernel(AttentionSaved saved, Tensor q, Tensor k, Tensor v, Tensor g, Tensor? dq, Tensor? dk,
        Tensor? dv) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var (pr, s, sq, sk, sv, sg, sdq, sdk, sdv) = (saved.Problem, saved, q, k, v, g, dq, dk, dv);
            Parts.For(pr.N, Parts.Count(pr.N, pr.Small), (first, end) => Backward<T>(s, sq, sk, sv, sg, sdq, sdk, sdv, first, end));
        }

        private static void Backward<T>(AttentionSaved saved, Tensor q, Tensor k, Tensor v, Tensor g, Tensor? dq, Tensor? dk, Tensor? dv,
            int first, int end) where T : struct, IFloatingPointIeee754<T>
        {
            var pr = saved.Problem;
            var (l, s, e, ev) = (pr.L, pr.S, pr.E, pr.Ev);
            var scratch = ArrayPool<T>.Shared.Rent(2 * l * s);
            ReadOnlySpan<T> drop = saved.Drop is null ? default : saved.Drop.Data<T>();
            for (int n = first; n < end; n++)
                Attention.Backward(q.Data<T>().Slice(n * l * e, l * e), k.Data<T>().Slice(n * s * e, s * e), v.Data<T>().Slice(n * s * ev, s * ev),
                    saved.P.Data<T>().Slice(n * l * s, l * s), drop.IsEmpty ? default : drop.Slice(n * l * s, l * s),
                    g.Data<T>().Slice(n * l * ev, l * ev), T.CreateChecked(pr.Scale), scratch, l, s, e, ev,
                    dq is null ? default : dq.Data<T>().Slice(n * l * e, l * e), dk is null ? default : dk.Data<T>().Slice(n * s * e, s * e),
                    dv is null ? default : dv.Data<T>().Slice(n * s * ev, s * ev));
            ArrayPool<T>.Shared.Return(scratch);
        }
    }
}
