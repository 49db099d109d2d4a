using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The element-wise minimum of two tensors with broadcasting. Same as <c>torch.minimum</c>.</summary>
    /// <remarks>Forward <c>y = min(a, b)</c>, NaN if either is NaN. Backward: the smaller input gets <c>g</c>; on a tie
    /// each gets <c>g/2</c> (as PyTorch), through <see cref="ExtremumBackward"/> (in Maximum.cs).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Minimum(Tensor a, Tensor b)
    {
        var y = Compute.Binary<MinimumOperator>("Minimum", a, b);                       // y = min(a, b)

        return Tape.Record("Minimum", y, [a, b], "da += g·[a wins] (g/2 on ties), db likewise",
            [static (g, e) => ExtremumBackward(g, e.Inputs[0], e.Inputs[1], max: false), static (g, e) => ExtremumBackward(g, e.Inputs[1], e.Inputs[0], max: false)]);
    }

    private readonly struct MinimumOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Minimum(a, b, y);

        public void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Minimum(a, b, y);

        public void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Minimum(b, a, y);
    }
}
