using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The sine of every element (radians). Same as <c>torch.sin</c>.</summary>
    /// <remarks>Forward <c>y = sin x</c>. Backward <c>dx = g · cos x</c>, written with <see cref="Cos"/>, so gradients of any
    /// order flow through it.</remarks>
    public static Tensor Sin(Tensor x)
    {
        Check.NotNull("Sin", x, nameof(x));
        var y = Compute.Unary<SinOperator>(x);                                           // y = sin x

        return Tape.Record("Sin", y, [x], "dx += g·cos x", [static (g, e) => g * Cos(e.Inputs[0])]);
    }

    private readonly struct SinOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Trigonometry.Sin(x, y);
    }
}
