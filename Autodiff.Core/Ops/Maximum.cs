using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The element-wise maximum of two tensors with broadcasting. Same as <c>torch.maximum</c>.</summary>
    /// <remarks>Forward <c>y = max(a, b)</c>, NaN if either is NaN. Backward: the larger input gets <c>g</c>; on a tie
    /// each gets <c>g/2</c> (as PyTorch), through <see cref="ExtremumBackward"/>.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Maximum(Tensor a, Tensor b)
    {
        var y = Compute.Binary<MaximumOperator>("Maximum", a, b);                       // y = max(a, b)

        return Tape.Record("Maximum", y, [a, b], "da += g·[a wins] (g/2 on ties), db likewise",
            [static (g, e) => ExtremumBackward(g, e.Inputs[0], e.Inputs[1], max: true), static (g, e) => ExtremumBackward(g, e.Inputs[1], e.Inputs[0], max: true)]);
    }

    /// <summary>The backward of Maximum (or of Minimum when <paramref name="max"/> is false) for one input, as an op:
    /// <c>dx = dy</c> where <paramref name="self"/> wins against <paramref name="other"/>, <c>dy/2</c> on a tie, 0 where it
    /// loses or either is NaN. Linear in dy, so its rule for dy is itself; the inputs get none (the winner is constant
    /// wherever it is differentiable).</summary>
    /// <param name="dy">The gradient of the result, of the broadcast shape.</param>
    /// <param name="self">The input whose gradient this is, of its own shape (the pass sums dx back to it).</param>
    /// <param name="other">The other input.</param>
    /// <param name="max">True for Maximum, false for Minimum.</param>
    internal static Tensor ExtremumBackward(Tensor dy, Tensor self, Tensor other, bool max)
    {
        var dx = Compute.Empty(dy.Shape, dy.DType);
        var plan = BroadcastPlan.Create(dy.Shape.Dims, self.Shape, other.Shape, dy.Shape);         // self and other read in place
        Compute.Run(dy.DType, new ExtremumBackwardKernel(plan, self, other, max, dy, dx));
        Derivative ddy = max ? static (g, e) => ExtremumBackward(g, e.Inputs[1], e.Inputs[2], max: true)
                             : static (g, e) => ExtremumBackward(g, e.Inputs[1], e.Inputs[2], max: false);

        return Tape.Record(max ? "MaximumBackward" : "MinimumBackward", dx, [dy, self, other], "d(dy) += g·[self wins] (g/2 on ties)",
            [ddy, static (_, _) => null, static (_, _) => null]);
    }

    private readonly struct MaximumOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Maximum(a, b, y);

        public void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Maximum(a, b, y);

        public void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Maximum(b, a, y);
    }

    private readonly struct ExtremumBackwardKernel(BroadcastPlan plan, Tensor self, Tensor other, bool max, Tensor dy, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Chunks.For(dx.Numel, new Chunk<T>(plan, self, other, max, dy, dx));

        private readonly struct Chunk<T>(BroadcastPlan plan, Tensor self, Tensor other, bool max, Tensor dy, Tensor dx) : IChunkBody
            where T : struct, IFloatingPointIeee754<T>
        {
            public void Run(int start, int length) =>
                Broadcast.Extremum(plan, self.Data<T>(), other.Data<T>(), max, dy.Data<T>(), dx.Data<T>(), start, start + length);
        }
    }
}
