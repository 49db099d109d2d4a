using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The square root of every element. Same as <c>torch.sqrt</c>.</summary>
    /// <remarks>Forward <c>y = √x</c> (NaN for negative x). Backward <c>dx = g / (2y)</c>, which is +inf at x = 0 as in PyTorch.</remarks>
    public static Tensor Sqrt(Tensor x)
    {
        Check.NotNull("Sqrt", x, nameof(x));
        var y = Compute.Unary<SqrtOperator>(x);                                          // y = √x

        return Tape.Record("Sqrt", y, [x], "dx += g/(2y)", [static (g, e) => g / (2 * e.Output)]);
    }

    private readonly struct SqrtOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Sqrt(x, y);
    }
}
