using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The running sum along one dimension. Same as <c>torch.cumsum(x, dim)</c>.</summary>
    /// <remarks>Forward <c>y[.., k, ..] = Σ_{j ≤ k} x[.., j, ..]</c>. Backward <c>dx[.., k, ..] = Σ_{j ≥ k} g[.., j, ..]</c>, the
    /// running sum taken from the end (PyTorch's <c>g.flip(dim).cumsum(dim).flip(dim)</c>), as a named op whose own rule is
    /// CumSum again, so gradients of any order flow through it.</remarks>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to sum along; negative counts from the end.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor CumSum(Tensor x, int dim)
    {
        Check.NotNull("CumSum", x, nameof(x));
        int d = Check.Dim("CumSum", dim, x.Shape);
        var y = RunningSum(x, d, reverse: false);                                        // y[k] = Σ_{j ≤ k} x[j]

        return Tape.Record("CumSum", y, [x], $"dx += reverse cumsum of g along dim {d}", [(g, _) => CumSumBackward(g, d)]);
    }

    /// <summary>CumSum's backward as an op: <c>dx[k] = Σ_{j ≥ k} dy[j]</c> along <paramref name="dim"/>. It is linear, and its
    /// adjoint is the forward running sum, so its rule is <c>d(dy) = CumSum(g, dim)</c>.</summary>
    internal static Tensor CumSumBackward(Tensor dy, int dim)
    {
        var dx = RunningSum(dy, dim, reverse: true);                                     // dx[k] = Σ_{j ≥ k} dy[j]

        return Tape.Record("CumSumBackward", dx, [dy], $"d(dy) += cumsum of g along dim {dim}", [(g, _) => CumSum(g, dim)]);
    }

    /// <summary>The running sum along <paramref name="dim"/>, from the start or from the end: the kernel CumSum and its
    /// adjoint share.</summary>
    private static Tensor RunningSum(Tensor x, int dim, bool reverse)
    {
        var (outer, size, inner) = x.Shape.Around(dim);
        var y = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new CumSumKernel(x, outer, size, inner, reverse, y));
        return y;
    }

    private readonly struct CumSumKernel(Tensor x, int outer, int size, int inner, bool reverse, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Scan.CumSum<T>(x.Data<T>(), outer, size, inner, reverse, y.Data<T>());
    }
}
