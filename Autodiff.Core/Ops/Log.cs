using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The natural logarithm of every element. Same as <c>torch.log</c>.</summary>
    /// <remarks>Forward <c>y = ln x</c> (<c>ln 0 = -inf</c>, negative gives NaN). Backward <c>dx = g / x</c>.</remarks>
    public static Tensor Log(Tensor x)
    {
        Check.NotNull("Log", x, nameof(x));
        var y = Compute.Unary<LogOperator>(x);                                           // y = ln x

        return Tape.Record("Log", y, [x], "dx += g/x", [static (g, e) => g / e.Inputs[0]]);
    }

    private readonly struct LogOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, System.Numerics.IFloatingPointIeee754<T> => Elementwise.Log(x, y);
    }
}
