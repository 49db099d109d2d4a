namespace Autodiff.Optim;

/// <summary>Multiplies the rate by γ every epoch: <c>lr = base·γ^epoch</c>. Same as <c>torch.optim.lr_scheduler.ExponentialLR</c>.</summary>
/// <example><code>var scheduler = new ExponentialLR(optimizer, gamma: 0.95); /* after each epoch: */ scheduler.Step();</code></example>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentException">gamma is negative or NaN.</exception>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        if (!(gamma >= 0)) Check.Fail("ExponentialLR", $"gamma must be non-negative, got {gamma}.", nameof(gamma));
        Gamma = gamma;
    }

    /// <summary>The decay factor γ.</summary>
    public double Gamma { get; }

    internal override bool IsMultiplicative => true;

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group) => BaseLrs[group] * Math.Pow(Gamma, epoch);
}
