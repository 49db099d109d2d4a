using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The sum of all elements, as a scalar. Same as <c>torch.sum(x)</c>.</summary>
    /// <remarks>Forward <c>y = Σᵢ xᵢ</c> (0 for an empty tensor). Backward <c>dx = g</c> for every element (g expanded to x's shape).</remarks>
    public static Tensor Sum(Tensor x)
    {
        if (Compute.IntegerSum("Sum", x) is { } integer) return integer;               // Int64/Bool: an Int64 sum, as torch
        Check.NotNull("Sum", x, nameof(x));
        var y = Compute.Empty(Shape.Scalar, x.DType);
        Compute.Run(x.DType, new SumKernel(x, y));                                      // y = Σ x

        return Tape.Record("Sum", y, [x], "dx += g", [static (g, e) => ExpandAs(g, e.Inputs[0])]);
    }

    /// <summary>The sum along one dimension. Same as <c>torch.sum(x, dim, keepdim)</c>.</summary>
    /// <remarks>Forward <c>y[.., ..] = Σₖ x[.., k, ..]</c>. Backward <c>dx[.., k, ..] = g[.., ..]</c> for every k (g, with
    /// the summed dim put back as size 1, expanded to x's shape).</remarks>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to sum over; negative counts from the end.</param>
    /// <param name="keepDim">Keep the summed dimension with size 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false)
    {
        if (Compute.IntegerSum("Sum", x, dim, keepDim) is { } integer) return integer;  // Int64/Bool: Int64 sums, as torch
        Check.NotNull("Sum", x, nameof(x));
        int d = Check.Dim("Sum", dim, x.Shape);
        var (outer, size, inner) = x.Shape.Around(d);
        var y = Compute.Empty(x.Shape.Reduce(d, keepDim), x.DType);
        Compute.Run(x.DType, new SumDimKernel(x, outer, size, inner, y));               // y = Σₖ x[.., k, ..]

        return keepDim                                                                   // dx[.., k, ..] = g[.., ..]
            ? Tape.Record("Sum", y, [x], SumDimFormula(d), [static (g, e) => ExpandAs(g, e.Inputs[0])])
            : SumRemovedDim(y, x, d);
    }

    /// <summary>The rule when the summed dim was removed: put it back as size 1, then expand. The dim is saved state the
    /// entry does not hold, captured in this method so that a kept dim allocates no closure.</summary>
    private static Tensor SumRemovedDim(Tensor y, Tensor x, int d) =>
        Tape.Record("Sum", y, [x], SumDimFormula(d), [(g, e) => ExpandAs(Unsqueeze(g, d), e.Inputs[0])]);

    /// <summary>g repeated to x's shape: the rule of Sum and SumToSize. g itself when nothing was summed (a size-1 dim
    /// kept), where Expand would copy.</summary>
    private static Tensor ExpandAs(Tensor g, Tensor x) => g.Shape == x.Shape ? g : Expand(g, x.Shape.ToArray());

    private static string SumDimFormula(int d) => $"dx += g (broadcast along dim {d})";

    private readonly struct SumKernel(Tensor x, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => y.Data<T>()[0] = Reduce.Sum<T>(x.Data<T>());
    }

    private readonly struct SumDimKernel(Tensor x, int outer, int size, int inner, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Reduce.SumDim<T>(x.Data<T>(), outer, size, inner, y.Data<T>());
    }
}
