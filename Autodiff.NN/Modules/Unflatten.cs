namespace Autodiff.NN;

/// <summary>Expands dimension <paramref name="dim"/> into <paramref name="sizes"/>, e.g. a batch of 784-pixel rows into
/// <c>[N, 1, 28, 28]</c> images. Same as <c>torch.nn.Unflatten</c>; a view, nothing is copied.</summary>
/// <param name="dim">The dimension to expand; negative counts from the end.</param>
/// <param name="sizes">Its new sizes, whose product must equal its size.</param>
public sealed class Unflatten(int dim, params int[] sizes) : Module
{
    /// <summary>The dimension to expand.</summary>
    public int Dim { get; } = dim;

    /// <summary>Its new sizes.</summary>
    public IReadOnlyList<int> Sizes { get; } = (int[])sizes.Clone();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The sizes do not multiply to the dimension's size.</exception>
    public override Tensor Forward(Tensor input)
    {
        Check.NotNull("Unflatten", input, nameof(input));
        int d = Check.Dim("Unflatten", Dim, input.Shape);
        if (Sizes.Aggregate(1L, (p, s) => p * s) != input.Shape[d])
            Check.Fail("Unflatten", $"sizes {Shape.Format([.. Sizes])} do not multiply to dim {Dim} of {input.Shape}.", nameof(input));
        var dims = input.Shape.ToArray();
        return Ops.Reshape(input, [.. dims[..d], .. Sizes, .. dims[(d + 1)..]]);
    }

    /// <inheritdoc/>
    public override string Describe() => $"Unflatten(dim: {Dim}, sizes: {Shape.Format([.. Sizes])})";
}
