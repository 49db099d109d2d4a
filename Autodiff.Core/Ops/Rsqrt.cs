using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The reciprocal square root of every element. Same as <c>torch.rsqrt</c>.</summary>
    /// <remarks>Forward <c>y = 1/√x</c> (+inf at 0, NaN for negative x). Backward <c>dx = -½ · g · y³</c>, which is -inf at
    /// x = 0 as in PyTorch.</remarks>
    public static Tensor Rsqrt(Tensor x)
    {
        Check.NotNull("Rsqrt", x, nameof(x));
        var y = Compute.Unary<RsqrtOperator>(x);                                         // y = 1/√x

        return Tape.Record("Rsqrt", y, [x], "dx += -½·g·y³", [static (g, e) => -0.5 * (g * Pow(e.Output, 3))]);
    }

    private readonly struct RsqrtOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.ReciprocalSqrt(x, y);
    }
}
