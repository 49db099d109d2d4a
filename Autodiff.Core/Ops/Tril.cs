using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The lower triangle of the last two dims (a matrix or a batch of matrices), zeros above it. Same as <c>torch.tril</c>.</summary>
    /// <remarks>Forward <c>y[.., r, c] = x[.., r, c] if c - r ≤ diagonal else 0</c>: <paramref name="diagonal"/> 0 keeps the main
    /// diagonal, 1 also the one above it, -1 drops the main one. Backward <c>dx = tril(g, diagonal)</c>.</remarks>
    /// <param name="x">A tensor of rank 2 or more.</param>
    /// <param name="diagonal">Which diagonal bounds the triangle, as above.</param>
    /// <exception cref="ArgumentException">x has fewer than 2 dims.</exception>
    public static Tensor Tril(Tensor x, int diagonal = 0)
    {
        Check.NotNull("Tril", x, nameof(x));
        var y = Triangle("Tril", x, diagonal, lower: true);                             // y = x where c - r ≤ diagonal, else 0

        return Tape.Record("Tril", y, [x], diagonal == 0 ? "dx += tril(g)" : $"dx += tril(g, {diagonal})",
            [diagonal == 0 ? static (g, _) => Tril(g) : (g, _) => Tril(g, diagonal)]);
    }

    /// <summary>Checks that x holds matrices and keeps one triangle of each: the kernel Tril and Triu share.</summary>
    private static Tensor Triangle(string op, Tensor x, int diagonal, bool lower)
    {
        if (x.Rank < 2) Check.Fail(op, $"input must have at least 2 dims (a matrix or a batch of matrices), got shape {x.Shape}.", nameof(x));
        int rows = x.Shape[x.Rank - 2], cols = x.Shape[x.Rank - 1];
        int count = rows * cols == 0 ? 0 : x.Numel / (rows * cols);
        var y = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new TriangleKernel(x, count, rows, cols, diagonal, lower, y));
        return y;
    }

    private readonly struct TriangleKernel(Tensor x, int count, int rows, int cols, int diagonal, bool lower, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Masking.Triangle<T>(x.Data<T>(), count, rows, cols, diagonal, lower, y.Data<T>());
    }
}
