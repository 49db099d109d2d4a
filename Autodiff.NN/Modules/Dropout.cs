namespace Autodiff.NN;

/// <summary>In training mode, zeroes each element with probability p and scales the rest by <c>1/(1-p)</c>; in eval
/// mode, the identity. Same as <c>torch.nn.Dropout</c>.</summary>
/// <remarks>Composite (<see cref="Functional.Dropout"/>): <c>x ⊙ mask</c> with a constant mask, so the backward is <c>dx = g ⊙ mask</c>. Without a seed,
/// each Forward draws its mask from <see cref="Generator.Default"/>, as PyTorch's dropout draws from the global generator:
/// two dropout layers draw different masks, and <see cref="Generator.ManualSeed"/> makes a run reproducible. With a seed,
/// the module draws from a generator of its own seeded with it, so its masks are the same run after run whatever else
/// draws from the default.</remarks>
/// <example><code>
/// var net = new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2), new Linear(256, 10));   // masks from Generator.Default
/// var own = new Dropout(0.2, seed: 1);                                                                  // a mask stream of its own
/// </code></example>
public sealed class Dropout : Module
{
    private readonly Generator? _generator;   // null: draw from Generator.Default at each Forward

    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing an element.</param>
    /// <param name="seed">Null (the default) to draw masks from <see cref="Generator.Default"/>; a seed for a mask stream
    /// of the module's own.</param>
    /// <exception cref="ArgumentException">p is outside [0, 1].</exception>
    public Dropout(double p = 0.5, long? seed = null)
    {
        CheckProbability(p);
        P = p;
        _generator = seed is long s ? new Generator(s) : null;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, _generator);

    /// <summary>Checks a dropout probability (shared with <see cref="Functional.Dropout"/>).</summary>
    /// <exception cref="ArgumentException">p is outside [0, 1] or NaN.</exception>
    internal static void CheckProbability(double p)
    {
        if (!(p >= 0 && p <= 1)) Check.Fail("Dropout", $"p must be in [0, 1], got {p}.", nameof(p));
    }

    /// <summary>A constant mask of <paramref name="shape"/>: each element <c>1/(1-p)</c> with probability 1 - p, else 0
    /// (shared with Dropout2d, whose mask has one element per channel).</summary>
    internal static Tensor Mask(Generator generator, double p, Shape shape, DType dtype)
    {
        double keep = 1 - p;
        var mask = Compute.Empty(shape, dtype);
        if (dtype == DType.Float64) generator.FillBernoulli(mask.F64, keep, 1 / keep);   // one lock for the whole mask
        else generator.FillBernoulli(mask.F32, keep, 1 / keep);
        return mask;
    }

    /// <inheritdoc/>
    public override string Describe() => $"Dropout(p: {P})";
}
