namespace Autodiff.Optim;

/// <summary>Multiplies the factors of several schedulers, stepped together: <c>lr = base·Π(rateᵢ(epoch)/base)</c>. Same as
/// <c>torch.optim.lr_scheduler.ChainedScheduler</c> for PyTorch's chainable schedulers.</summary>
/// <remarks>PyTorch steps each member, each multiplying the current rate by its own change; here each member's closed-form
/// factor is multiplied, from the base rates the optimizer had before the first member was created. That is the same for
/// schedulers that scale their base by a factor (StepLR, ExponentialLR, LinearLR, CosineAnnealingLR with etaMin 0, and
/// chains of them); any other member (OneCycleLR, a CosineAnnealingLR with etaMin, SequentialLR, ReduceLROnPlateau) is
/// refused rather than composed differently. Creating it sets the product at epoch 0. The members are stepped through
/// this scheduler only.</remarks>
/// <example><code>
/// var scheduler = new ChainedScheduler([new LinearLR(optimizer, startFactor: 0.1, totalIters: 3), new ExponentialLR(optimizer, gamma: 0.9)]);
/// /* after each epoch: */ scheduler.Step();
/// </code></example>
public sealed class ChainedScheduler : LRScheduler
{
    private readonly LRScheduler[] _schedulers;

    /// <summary>Chains <paramref name="schedulers"/>, which all schedule one optimizer, and sets the epoch-0 product.</summary>
    /// <exception cref="ArgumentException">There are no schedulers, one is null, of another optimizer, already part of a
    /// chain, given twice, or not a factor of its base (see the remarks).</exception>
    public ChainedScheduler(IEnumerable<LRScheduler> schedulers) : base(Chain.FirstOptimizer(schedulers))
    {
        _schedulers = Chain.Members("ChainedScheduler", Optimizer, schedulers, multiplicative: true);
        Chain.Adopt(this, _schedulers);
        SetBaseLrs(Chain.InitialLrs(_schedulers));
        SetRatesAtStart();
    }

    /// <summary>The chained schedulers.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => Array.AsReadOnly(_schedulers);

    internal override bool IsMultiplicative => true;

    internal override long FirstCreated => _schedulers.Min(s => s.FirstCreated);

    internal override IReadOnlyList<double> InitialLrs => BaseLrs;

    private protected override void OnBaseLrsChanged()
    {
        if (_schedulers is null) return;
        foreach (var scheduler in _schedulers) scheduler.Rebase(BaseLrs);
    }

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group)
    {
        double baseLr = BaseLrs[group], rate = baseLr;
        if (baseLr == 0) return 0;
        foreach (var scheduler in _schedulers) rate *= scheduler.ChainRate(epoch, group) / baseLr;
        return rate;
    }

    private protected override void OnRatesApplied(int epoch)
    {
        foreach (var scheduler in _schedulers) scheduler.ChainApplied(epoch);
    }
}
