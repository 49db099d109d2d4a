using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Picks from <paramref name="a"/> where <paramref name="condition"/> is non-zero and from <paramref name="b"/>
    /// elsewhere, with broadcasting of all three. Same as <c>torch.where(condition, a, b)</c>.</summary>
    /// <remarks>Forward <c>y = c ? a : b</c>. Backward <c>da = where(c, g, 0)</c>, <c>db = where(c, 0, g)</c>; the condition gets no gradient.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Check.NotNull("Where", condition, nameof(condition));
        var ab = Check.Broadcast("Where", a, b);
        Check.SameDType("Where", condition, a);
        var shape = Shape.TryBroadcast(condition.Shape, ab)
            ?? throw new ArgumentException($"Where: condition {condition.Shape} cannot be broadcast with {a.Shape} and {b.Shape}.", nameof(condition));
        var y = Compute.Empty(shape, a.DType);
        Compute.Run(y.DType, new WhereKernel(Compute.Expand(condition, shape), Compute.Expand(a, shape), Compute.Expand(b, shape), y));   // y = c ? a : b

        return Tape.Record("Where", y, [condition, a, b], "da += g·[c], db += g·[!c]",
            [static (_, _) => null, static (g, e) => Where(e.Inputs[0], g, Compute.Scalar(0, g.DType)), static (g, e) => Where(e.Inputs[0], Compute.Scalar(0, g.DType), g)]);
    }

    private readonly struct WhereKernel(Tensor condition, Tensor a, Tensor b, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.Where(condition.Data<T>(), a.Data<T>(), b.Data<T>(), y.Data<T>());
    }
}
