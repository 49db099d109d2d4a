namespace Autodiff;

public static partial class Ops
{
    /// <summary>Converts to another element type (a copy, even to the same type). Same as <c>torch.Tensor.to(dtype)</c>.</summary>
    /// <remarks>Forward <c>y = (dtype) x</c>. Backward <c>dx += (x.dtype) g</c>.</remarks>
    public static Tensor To(Tensor x, DType dtype)
    {
        Check.NotNull("To", x, nameof(x));
        var y = Convert(x, dtype);                                                       // y = (dtype) x

        return Tape.Record("To", y, [x], $"dx += ({x.DType}) g", dy =>
            x.AccumulateGrad(Convert(dy, x.DType), owned: true),                        // dx += (x.dtype) g
            dy => [To(dy, x.DType)]);
    }

    private static Tensor Convert(Tensor x, DType dtype)
    {
        if (x.DType == dtype) return x.CloneData();
        var y = Compute.Empty(x.Shape, dtype);
        if (dtype == DType.Float64) Kernels.Elementwise.Convert<float, double>(x.F32, y.F64);
        else Kernels.Elementwise.Convert<double, float>(x.F64, y.F32);
        return y;
    }
}
