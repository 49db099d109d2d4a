using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The cosine of every element (radians). Same as <c>torch.cos</c>.</summary>
    /// <remarks>Forward <c>y = cos x</c>. Backward <c>dx = -g · sin x</c>, written with <see cref="Sin"/>, so gradients of any
    /// order flow through it.</remarks>
    public static Tensor Cos(Tensor x)
    {
        Check.NotNull("Cos", x, nameof(x));
        var y = Compute.Unary<CosOperator>(x);                                           // y = cos x

        return Tape.Record("Cos", y, [x], "dx += -g·sin x", [static (g, e) => -(g * Sin(e.Inputs[0]))]);
    }

    private readonly struct CosOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Trigonometry.Cos(x, y);
    }
}
