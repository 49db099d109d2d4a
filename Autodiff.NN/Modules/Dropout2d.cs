namespace Autodiff.NN;

/// <summary>In training mode, zeroes whole channels with probability p and scales the rest by <c>1/(1-p)</c>; in eval
/// mode, the identity. Same as <c>torch.nn.Dropout2d</c>.</summary>
/// <remarks>Composite: <c>x ⊙ mask</c> with a constant mask of shape <c>[N, C, 1, 1]</c> (<c>[C, 1, 1]</c> for an unbatched
/// <c>[C, H, W]</c> input) broadcast over each plane, so the backward is <c>dx = g ⊙ mask</c>. Without a seed, each
/// Forward draws its mask from <see cref="Generator.Default"/> (as PyTorch); with a seed, from a generator of the module's
/// own, so its masks are the same run after run whatever else draws from the default.</remarks>
/// <example><code>var block = new Sequential(new Conv2d(32, 64, 3, padding: 1), new ReLU(), new Dropout2d(0.2, seed: 1));</code></example>
public sealed class Dropout2d : Module
{
    private readonly Generator? _generator;   // null: draw from Generator.Default at each Forward

    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing a channel.</param>
    /// <param name="seed">Null (the default) to draw masks from <see cref="Generator.Default"/>; a seed for a mask stream
    /// of the module's own.</param>
    /// <exception cref="ArgumentException">p is outside [0, 1].</exception>
    public Dropout2d(double p = 0.5, long? seed = null)
    {
        if (!(p >= 0 && p <= 1)) Check.Fail("Dropout2d", $"p must be in [0, 1], got {p}.", nameof(p));
        P = p;
        _generator = seed is long s ? new Generator(s) : null;
    }

    /// <summary>The probability of zeroing a channel.</summary>
    public double P { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is not [N, C, H, W] or [C, H, W].</exception>
    public override Tensor Forward(Tensor input)
    {
        Check.NotNull("Dropout2d", input, nameof(input));
        if (input.Rank is not (3 or 4)) Check.Fail("Dropout2d", $"expected [N, C, H, W] or [C, H, W] input, got {input.Shape}.", nameof(input));
        if (!Training || P == 0) return input;
        var channels = input.Rank == 4 ? new Shape(input.Shape[0], input.Shape[1], 1, 1) : new Shape(input.Shape[0], 1, 1);   // one draw per channel
        return Ops.Mul(input, Dropout.Mask(_generator ?? Generator.Default, P, channels, input.DType));
    }

    /// <inheritdoc/>
    public override string Describe() => $"Dropout2d(p: {P})";
}
