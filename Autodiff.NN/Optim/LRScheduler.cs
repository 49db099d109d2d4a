namespace Autodiff.Optim;

/// <summary>Changes an optimizer's learning rate once per epoch. Same idea as <c>torch.optim.lr_scheduler.LRScheduler</c>.</summary>
/// <remarks>Call <see cref="Step"/> after each epoch's optimizer steps; the rate for epoch e is a closed-form function of e
/// and the optimizer's learning rate when the scheduler was created.</remarks>
public abstract class LRScheduler
{
    /// <summary>Remembers the optimizer and its initial learning rate.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLr = optimizer.Lr;
    }

    /// <summary>The optimizer whose rate is scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0.</summary>
    public double BaseLr { get; }

    /// <summary>The number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate for it.</summary>
    public void Step()
    {
        LastEpoch++;
        Optimizer.Lr = RateAt(LastEpoch);
    }

    /// <summary>The learning rate for <paramref name="epoch"/>.</summary>
    protected abstract double RateAt(int epoch);
}

/// <summary>Multiplies the rate by γ every <c>stepSize</c> epochs: <c>lr = base·γ^⌊epoch/stepSize⌋</c>. Same as <c>torch.optim.lr_scheduler.StepLR</c>.</summary>
/// <example><code>var scheduler = new StepLR(optimizer, stepSize: 10, gamma: 0.5); /* after each epoch: */ scheduler.Step();</code></example>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentException">stepSize is not positive, or gamma is negative or NaN.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) Check.Fail("StepLR", $"stepSize must be positive, got {stepSize}.", nameof(stepSize));
        if (!(gamma >= 0)) Check.Fail("StepLR", $"gamma must be non-negative, got {gamma}.", nameof(gamma));
        (StepSize, Gamma) = (stepSize, gamma);
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor γ.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => BaseLr * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>Anneals the rate along half a cosine from its base to <c>etaMin</c> over <c>tMax</c> epochs:
/// <c>lr = ηmin + (base - ηmin)(1 + cos(π·epoch/tMax))/2</c>. Same as <c>torch.optim.lr_scheduler.CosineAnnealingLR</c> (closed form).</summary>
/// <example><code>var scheduler = new CosineAnnealingLR(optimizer, tMax: 50); /* after each epoch: */ scheduler.Step();</code></example>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentException">tMax is not positive, or etaMin is negative or NaN.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) Check.Fail("CosineAnnealingLR", $"tMax must be positive, got {tMax}.", nameof(tMax));
        if (!(etaMin >= 0)) Check.Fail("CosineAnnealingLR", $"etaMin must be non-negative, got {etaMin}.", nameof(etaMin));
        (TMax, EtaMin) = (tMax, etaMin);
    }

    /// <summary>Epochs in half a cosine period.</summary>
    public int TMax { get; }

    /// <summary>The minimum rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => EtaMin + (BaseLr - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
