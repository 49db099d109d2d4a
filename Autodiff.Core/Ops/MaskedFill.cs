namespace Autodiff;

public static partial class Ops
{
    /// <summary>Replaces the elements of <paramref name="x"/> where <paramref name="mask"/> is set by <paramref name="value"/>.
    /// Same as <c>torch.Tensor.masked_fill(mask, value)</c>.</summary>
    /// <remarks>
    /// <para>Forward <c>y = value where mask ≠ 0, else x</c>. Backward <c>dx = g where mask = 0, else 0</c>
    /// (<c>MaskedFill(g, mask, 0)</c>); the mask gets no gradient.</para>
    /// <para>The mask is a <see cref="DType.Bool"/> tensor whose shape broadcasts to x's, as PyTorch's (e.g. <c>x &lt; 0</c>),
    /// or a float tensor of 0 and 1 of x's dtype (any non-zero counts as set). A causal attention mask:
    /// <c>scores.MaskedFill(Ops.Triu(Tensor.Ones(T, T), 1), double.NegativeInfinity)</c>.</para>
    /// </remarks>
    /// <param name="x">The input.</param>
    /// <param name="mask">Bool, or 0/1 values of x's dtype, that broadcast to x's shape; must not require grad.</param>
    /// <param name="value">The value written where the mask is set (±inf and NaN allowed).</param>
    /// <exception cref="ArgumentException">The mask's shape does not broadcast to x's, it is neither Bool nor of x's dtype, x is
    /// not floating-point, or the mask requires grad.</exception>
    public static Tensor MaskedFill(Tensor x, Tensor mask, double value)
    {
        const string op = "MaskedFill";
        Check.NotNull(op, x, nameof(x));
        Check.NotNullAnyDType(op, mask, nameof(mask));
        if (mask.DType != DType.Bool) Check.SameDType(op, x, mask);
        if (Shape.TryBroadcast(mask.Shape, x.Shape) != x.Shape)
            Check.Fail(op, $"mask {mask.Shape} cannot be broadcast to input {x.Shape}.", nameof(mask));
        if (mask.RequiresGrad)
            Check.Fail(op, $"mask {mask.Label} requires grad, but a mask only selects elements and gets no gradient; pass mask.Detach().", nameof(mask));
        var y = Compute.Where(Compute.AsMask(mask, x.DType), Compute.Scalar(value, x.DType), x, x.Shape);   // y = mask ? value : x, mask read in place

        return Tape.Record(op, y, [x, mask], "dx += g·[mask = 0]", [static (g, e) => MaskedFill(g, e.Inputs[1], 0), static (_, _) => null]);
    }
}
