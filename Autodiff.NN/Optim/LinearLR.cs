namespace Autodiff.Optim;

/// <summary>Scales the rate by a factor that moves linearly from <c>startFactor</c> to <c>endFactor</c> over
/// <c>totalIters</c> epochs, then stays: <c>lr = base·(s + (e - s)·min(epoch, totalIters)/totalIters)</c>; the usual
/// warm-up. Same as <c>torch.optim.lr_scheduler.LinearLR</c> (closed form).</summary>
/// <remarks>As in PyTorch, creating it sets the rate for epoch 0, <c>base·startFactor</c>, so the first epoch already
/// trains at the warm-up rate.</remarks>
/// <example><code>
/// var warmUp = new LinearLR(optimizer, startFactor: 0.1, totalIters: 5);
/// var decay = new CosineAnnealingLR(optimizer, tMax: 95);
/// var scheduler = new SequentialLR(optimizer, [warmUp, decay], milestones: [5]);
/// </code></example>
public sealed class LinearLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the epoch-0 rate; the defaults are PyTorch's.</summary>
    /// <exception cref="ArgumentException">startFactor is not in (0, 1], endFactor is not in [0, 1], or totalIters is not positive.</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1))
            Check.Fail("LinearLR", $"startFactor must be in (0, 1], got {startFactor}.", nameof(startFactor));
        if (!(endFactor >= 0 && endFactor <= 1))
            Check.Fail("LinearLR", $"endFactor must be in [0, 1], got {endFactor}.", nameof(endFactor));
        if (totalIters <= 0) Check.Fail("LinearLR", $"totalIters must be positive, got {totalIters}.", nameof(totalIters));
        (StartFactor, EndFactor, TotalIters) = (startFactor, endFactor, totalIters);
        SetRatesAtStart();
    }

    /// <summary>The factor at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>The factor from epoch <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; }

    /// <summary>Epochs over which the factor moves.</summary>
    public int TotalIters { get; }

    internal override bool IsMultiplicative => true;

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group) =>
        BaseLrs[group] * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, epoch) / TotalIters);
}
