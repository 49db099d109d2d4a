using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Converts to another element type (a copy, even to the same type). Same as <c>torch.Tensor.to(dtype)</c>.</summary>
    /// <remarks>Forward <c>y = (dtype) x</c>. Backward <c>dx = (x.dtype) g</c>.</remarks>
    public static Tensor To(Tensor x, DType dtype)
    {
        Check.NotNull("To", x, nameof(x));
        var y = Compute.Empty(x.Shape, dtype);
        Compute.Run(x.DType, new ConvertKernel(x, y));                                   // y = (dtype) x

        return Tape.Record("To", y, [x], $"dx += ({x.DType}) g", [static (g, e) => To(g, e.Inputs[0].DType)]);
    }

    /// <summary>Reads x as its element type TFrom, then writes y as its own (the second dispatch).</summary>
    private readonly struct ConvertKernel(Tensor x, Tensor y) : IKernel
    {
        public void Run<TFrom>() where TFrom : struct, IFloatingPointIeee754<TFrom> => Compute.Run(y.DType, new ConvertInto<TFrom>(x, y));
    }

    private readonly struct ConvertInto<TFrom>(Tensor x, Tensor y) : IKernel where TFrom : struct, IFloatingPointIeee754<TFrom>
    {
        public void Run<TTo>() where TTo : struct, IFloatingPointIeee754<TTo> => Elementwise.Convert(x.Data<TFrom>(), y.Data<TTo>());
    }
}
