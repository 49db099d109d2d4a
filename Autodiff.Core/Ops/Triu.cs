namespace Autodiff;

public static partial class Ops
{
    /// <summary>The upper triangle of the last two dims (a matrix or a batch of matrices), zeros below it. Same as <c>torch.triu</c>.</summary>
    /// <remarks>Forward <c>y[.., r, c] = x[.., r, c] if c - r ≥ diagonal else 0</c>: <paramref name="diagonal"/> 0 keeps the main
    /// diagonal, 1 drops it (the strict upper triangle, a causal attention mask's future positions), -1 also keeps the one
    /// below it. Backward <c>dx = triu(g, diagonal)</c>.</remarks>
    /// <param name="x">A tensor of rank 2 or more.</param>
    /// <param name="diagonal">Which diagonal bounds the triangle, as above.</param>
    /// <exception cref="ArgumentException">x has fewer than 2 dims.</exception>
    public static Tensor Triu(Tensor x, int diagonal = 0)
    {
        Check.NotNull("Triu", x, nameof(x));
        var y = Triangle("Triu", x, diagonal, lower: false);                            // y = x where c - r ≥ diagonal, else 0

        return Tape.Record("Triu", y, [x], diagonal == 0 ? "dx += triu(g)" : $"dx += triu(g, {diagonal})",
            [diagonal == 0 ? static (g, _) => Triu(g) : (g, _) => Triu(g, diagonal)]);
    }
}
