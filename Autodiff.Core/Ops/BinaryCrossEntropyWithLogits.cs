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
        var y = Compute.Empty(logits.Shape, logits.DType);
        if (y.DType == DType.Float32) Losses.BinaryCrossEntropyWithLogits<float>(logits.F32, targets.F32, y.F32);
        else Losses.BinaryCrossEntropyWithLogits<double>(logits.F64, targets.F64, y.F64);

        return Tape.Record(op, y, [logits, targets], "dx += g·(σ(x) - t), dt -= g·x", dy =>
        {
            if (logits.RequiresGrad)                                                       // dx += g · (σ(x) - t)
            {
                var p = Compute.Map(logits, Elementwise.Sigmoid, Elementwise.Sigmoid);
                logits.AccumulateGrad(Compute.Multiply(dy, Compute.Subtract(p, targets)), owned: true);
            }
            if (targets.RequiresGrad)                                                      // dt -= g · x
                targets.AccumulateGrad(Compute.Negate(Compute.Multiply(dy, logits)), owned: true);
        },
        dy => [dy * (Sigmoid(logits) - targets), -(dy * logits)]);
    }
}
