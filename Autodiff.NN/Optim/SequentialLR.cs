namespace Autodiff.Optim;

/// <summary>Runs schedulers one after another: the first until the first milestone, the next from there, each starting
/// again at its own epoch 0 when its milestone is reached. Same as <c>torch.optim.lr_scheduler.SequentialLR</c>.</summary>
/// <remarks>At epoch <c>e</c> the active scheduler is the one after the last milestone <c>m ≤ e</c> and the rate is its
/// closed form at <c>e - m</c>, from the base rates the optimizer had before the first of them was created (PyTorch's
/// <c>initial_lr</c>: a warm-up that lowered the rate when it was created does not lower the next one's base). Creating
/// it sets the first scheduler's epoch-0 rates. The members are stepped through this scheduler only (their own
/// <see cref="LRScheduler.Step"/> fails); ReduceLROnPlateau, which needs a metric, cannot be a member.</remarks>
/// <example><code>
/// var warmUp = new LinearLR(optimizer, startFactor: 0.1, totalIters: 5);
/// var decay = new CosineAnnealingLR(optimizer, tMax: 95);
/// var scheduler = new SequentialLR(optimizer, [warmUp, decay], milestones: [5]);
/// /* after each epoch: */ scheduler.Step();
/// </code></example>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>Creates the sequence and sets the first scheduler's epoch-0 rates.</summary>
    /// <param name="optimizer">The optimizer every scheduler schedules.</param>
    /// <param name="schedulers">The schedulers, in the order they run.</param>
    /// <param name="milestones">The epochs at which the next scheduler takes over: one fewer than the schedulers, increasing.</param>
    /// <exception cref="ArgumentException">There are no schedulers, one is null, a ReduceLROnPlateau, of another optimizer,
    /// already part of a chain or given twice; or the milestones are not one fewer than the schedulers, positive and increasing.</exception>
    public SequentialLR(Optimizer optimizer, IEnumerable<LRScheduler> schedulers, IEnumerable<int> milestones) : base(optimizer)
    {
        _schedulers = Chain.Members("SequentialLR", optimizer, schedulers, multiplicative: false);
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = milestones.ToArray();
        if (_milestones.Length != _schedulers.Length - 1)
            Check.Fail("SequentialLR", $"needs one milestone fewer than schedulers, got {_schedulers.Length} schedulers and " +
                $"{_milestones.Length} milestones.", nameof(milestones));
        for (int i = 0; i < _milestones.Length; i++)
            if (_milestones[i] <= (i == 0 ? 0 : _milestones[i - 1]))
                Check.Fail("SequentialLR", $"milestones must be positive and increasing, got [{string.Join(", ", _milestones)}].", nameof(milestones));
        Chain.Adopt(this, _schedulers);
        SetBaseLrs(Chain.InitialLrs(_schedulers));
        SetRatesAtStart();
    }

    /// <summary>The schedulers, in the order they run.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => Array.AsReadOnly(_schedulers);

    /// <summary>The epochs at which the next scheduler takes over.</summary>
    public IReadOnlyList<int> Milestones => Array.AsReadOnly(_milestones);

    internal override long FirstCreated => _schedulers.Min(s => s.FirstCreated);

    internal override IReadOnlyList<double> InitialLrs => BaseLrs;

    private protected override void OnBaseLrsChanged()
    {
        if (_schedulers is null) return;                        // the base class sets its own base before the members are known
        foreach (var scheduler in _schedulers) scheduler.Rebase(BaseLrs);
    }

    /// <summary>The active scheduler at <paramref name="epoch"/> and its own epoch.</summary>
    private (LRScheduler Scheduler, int Epoch) Active(int epoch)
    {
        int i = 0;
        while (i < _milestones.Length && _milestones[i] <= epoch) i++;
        return (_schedulers[i], i == 0 ? epoch : epoch - _milestones[i - 1]);
    }

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group)
    {
        var (scheduler, local) = Active(epoch);
        return scheduler.ChainRate(local, group);
    }

    private protected override void OnRatesApplied(int epoch)
    {
        var (scheduler, local) = Active(epoch);
        scheduler.ChainApplied(local);
    }
}

/// <summary>What <see cref="SequentialLR"/> and <see cref="ChainedScheduler"/> share: checking and taking their members.</summary>
internal static class Chain
{
    /// <summary>The optimizer of the first scheduler, for the base constructor.</summary>
    public static Optimizer FirstOptimizer(IEnumerable<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        var first = schedulers.FirstOrDefault();
        if (first is null) Check.Fail("ChainedScheduler", "needs at least one scheduler, got none (or a null first).", nameof(schedulers));
        return first.Optimizer;
    }

    /// <summary>Checks the members of a chain called <paramref name="name"/> on <paramref name="optimizer"/>.</summary>
    public static LRScheduler[] Members(string name, Optimizer optimizer, IEnumerable<LRScheduler> schedulers, bool multiplicative)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        var members = schedulers.ToArray();
        if (members.Length == 0) Check.Fail(name, "needs at least one scheduler, got none.", nameof(schedulers));
        for (int i = 0; i < members.Length; i++)
        {
            var s = members[i];
            Check.NotNullArg(name, s, $"schedulers[{i}]");
            string what = $"scheduler {i} ({s.GetType().Name})";
            if (s is ReduceLROnPlateau)
                Check.Fail(name, $"{what} needs a metric at each step, so it cannot be part of a {name}; step it on its own.", nameof(schedulers));
            if (!ReferenceEquals(s.Optimizer, optimizer))
                Check.Fail(name, $"{what} schedules another optimizer ({s.Optimizer.Name}) than the {name}'s ({optimizer.Name}).", nameof(schedulers));
            if (s.Owner is not null)
                Check.Fail(name, $"{what} is already part of a {s.Owner.GetType().Name}.", nameof(schedulers));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(members[j], s)) Check.Fail(name, $"{what} is the same scheduler as scheduler {j}.", nameof(schedulers));
            if (multiplicative && !s.IsMultiplicative)
                Check.Fail(name, $"{what} does not scale its base rate by a factor (StepLR, ExponentialLR, LinearLR and " +
                    "CosineAnnealingLR with etaMin 0 do), so multiplying it with the others would not give PyTorch's chained " +
                    "rates; use SequentialLR to run it before or after the others.", nameof(schedulers));
        }
        return members;
    }

    /// <summary>Makes <paramref name="owner"/> the only way to step <paramref name="members"/>.</summary>
    public static void Adopt(LRScheduler owner, LRScheduler[] members)
    {
        foreach (var s in members) s.Owner = owner;
    }

    /// <summary>The rates the optimizer had before the first member was created (PyTorch's <c>initial_lr</c>).</summary>
    public static double[] InitialLrs(LRScheduler[] members) => members.MinBy(s => s.FirstCreated)!.InitialLrs.ToArray();
}
