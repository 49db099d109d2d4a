namespace Autodiff.NN;

/// <summary>In training mode, zeroes each element with probability p and scales the rest by <c>1/(1-p)</c>; in eval
/// mode, the identity. Same as <c>torch.nn.Dropout</c>.</summary>
/// <remarks>Composite: <c>x ⊙ mask</c> with a constant mask, so the backward is <c>dx = g ⊙ mask</c>. The mask comes
/// from the module's own generator, so a seed gives the same masks run after run.</remarks>
/// <example><code>var net = new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2, seed: 1), new Linear(256, 10));</code></example>
public sealed class Dropout : Module
{
    private readonly Generator _generator;

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException">p is outside [0, 1].</exception>
    public Dropout(double p = 0.5, long seed = 0)
    {
        if (!(p >= 0 && p <= 1)) Check.Fail("Dropout", $"p must be in [0, 1], got {p}.", nameof(p));
        P = p;
        _generator = new Generator(seed);
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Check.NotNull("Dropout", input, nameof(input));
        if (!Training || P == 0) return input;
        return Ops.Mul(input, Mask(_generator, P, input.Shape.ToArray(), input.DType));
    }

    /// <summary>A constant mask of <paramref name="shape"/>: each element <c>1/(1-p)</c> with probability 1 - p, else 0
    /// (shared with Dropout2d, whose mask has one element per channel).</summary>
    internal static Tensor Mask(Generator generator, double p, int[] shape, DType dtype)
    {
        double keep = 1 - p;
        var values = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = generator.NextDouble() < keep ? 1 / keep : 0;
        return dtype == DType.Float64 ? Tensor.FromArray(values, shape) : Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape);
    }

    /// <inheritdoc/>
    public override string Describe() => $"Dropout(p: {P})";
}
