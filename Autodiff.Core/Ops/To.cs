namespace Autodiff;

public static partial class Ops
{
    /// <summary>Converts to another element type (a copy, even to the same type). Same as <c>torch.Tensor.to(dtype)</c>.</summary>
    /// <remarks>
    /// <para>Forward <c>y = (dtype) x</c>: between Float32 and Float64 by rounding; to Int64 truncated toward zero (as
    /// PyTorch; out-of-range values saturate and NaN becomes 0); to Bool <c>x ≠ 0</c> (NaN is true); from Bool 1 or 0.</para>
    /// <para>Backward <c>dx = (x.dtype) g</c> between floating-point dtypes. A conversion to or from Int64 or Bool is not
    /// differentiable and is not recorded, as in PyTorch (an integer tensor cannot require grad).</para>
    /// </remarks>
    public static Tensor To(Tensor x, DType dtype)
    {
        Check.NotNullAnyDType("To", x, nameof(x));
        var y = Compute.Empty(x.Shape, dtype);
        Compute.Convert(x, y);                                                           // y = (dtype) x

        return Tape.Record("To", y, [x], $"dx += ({x.DType}) g", [static (g, e) => To(g, e.Inputs[0].DType)]);
    }
}
