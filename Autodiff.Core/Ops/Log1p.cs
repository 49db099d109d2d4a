using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary><c>ln(1 + x)</c> of every element, accurate for tiny x. Same as <c>torch.log1p</c>.</summary>
    /// <remarks>Forward <c>y = ln(1 + x)</c>. Backward <c>dx = g / (1 + x)</c>.</remarks>
    public static Tensor Log1p(Tensor x)
    {
        Check.NotNull("Log1p", x, nameof(x));
        var y = Compute.Unary<Log1pOperator>(x);                                         // y = ln(1 + x)

        return Tape.Record("Log1p", y, [x], "dx += g/(1 + x)", [static (g, e) => g / (e.Inputs[0] + 1)]);
    }

    private readonly struct Log1pOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Log1p(x, y);
    }
}
