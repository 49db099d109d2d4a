using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Binary cross-entropy of logits against targets in [0, 1], element-wise and fused with the sigmoid.
    /// Same as <c>torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction='none')</c>.</summary>
    /// <remarks>Forward <c>loss = max(x, 0) - x·t + log(1 + e^-|x|)</c>, stable for any x. Backward
    /// <c>dx += g·(σ(x) - t)</c> and <c>dt -= g·x</c>; exact at x = 0 too, where a composition of Relu and Abs would not be.</remarks>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets)
    {
        const string op = "BinaryCrossEntropyWithLogits";
        Check.NotNull(op, logits, nameof(logits));
        Check.NotNull(op, targets, nameof(targets));
        Check.SameShape(op, logits, targets);
        var y = Compute.Binary<BinaryCrossEntropyWithLogitsOperator>(logits, targets);  // loss = max(x, 0) - x·t + log(1 + e^-|x|)

        return Tape.Record(op, y, [logits, targets], "dx += g·(σ(x) - t), dt -= g·x",
            [static (g, e) => g * (Sigmoid(e.Inputs[0]) - e.Inputs[1]), static (g, e) => -(g * e.Inputs[0])]);
    }

    private readonly struct BinaryCrossEntropyWithLogitsOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, Span<T> loss) where T : struct, IFloatingPointIeee754<T> =>
            Losses.BinaryCrossEntropyWithLogits(x, t, loss);
    }
}
