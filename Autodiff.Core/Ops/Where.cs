namespace Autodiff;

public static partial class Ops
{
    /// <summary>Picks from <paramref name="a"/> where <paramref name="condition"/> is true (non-zero) and from <paramref name="b"/>
    /// elsewhere, with broadcasting of all three. Same as <c>torch.where(condition, a, b)</c>.</summary>
    /// <remarks>Forward <c>y = c ? a : b</c>. Backward <c>da = where(c, g, 0)</c>, <c>db = where(c, 0, g)</c>; the condition gets no gradient.
    /// The condition is a <see cref="DType.Bool"/> tensor (e.g. <c>x &gt; 0</c>), as in PyTorch, or a float tensor of
    /// a's dtype where any non-zero counts as true.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, a or b is not floating-point, the dtypes
    /// of a and b differ, or a non-Bool condition's dtype differs from theirs.</exception>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Check.NotNullAnyDType("Where", condition, nameof(condition));
        var ab = Check.Broadcast("Where", a, b);
        if (condition.DType != DType.Bool) Check.SameDType("Where", condition, a);
        var shape = Shape.TryBroadcast(condition.Shape, ab)
            ?? throw new ArgumentException($"Where: condition {condition.Shape} cannot be broadcast with {a.Shape} and {b.Shape}.", nameof(condition));
        var c = Compute.AsMask(condition, a.DType);                                     // a Bool condition as 1/0 of a's dtype
        var y = Compute.Where(c, a, b, shape);                                          // y = c ? a : b

        return Tape.Record("Where", y, [condition, a, b], "da += g·[c], db += g·[!c]",
            [static (_, _) => null, static (g, e) => Where(e.Inputs[0], g, Compute.Scalar(0, g.DType)), static (g, e) => Where(e.Inputs[0], Compute.Scalar(0, g.DType), g)]);
    }

}
