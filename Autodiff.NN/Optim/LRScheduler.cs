namespace Autodiff.Optim;

/// <summary>Changes an optimizer's learning rate once per epoch. Same idea as <c>torch.optim.lr_scheduler.LRScheduler</c>.</summary>
/// <remarks>Call <see cref="Step"/> after each epoch's optimizer steps; the rate for epoch e is a closed-form function of e
/// and the optimizer's learning rate when the scheduler was created. Because the form is closed, a rate set by anything
/// else between two steps (your code, a second scheduler) would be overwritten silently: <see cref="Step"/> refuses
/// instead (chaining schedulers is not supported yet). To resume training, save <see cref="StateDict"/> beside the
/// optimizer's and restore it with <see cref="LoadStateDict"/>, as PyTorch's <c>scheduler.state_dict()</c>: a new
/// scheduler would take the already-decayed rate as its base and decay it again.</remarks>
public abstract class LRScheduler
{
    private double _lastSet;

    /// <summary>Remembers the optimizer and its initial learning rate.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLr = _lastSet = optimizer.Lr;
    }

    /// <summary>The optimizer whose rate is scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0.</summary>
    public double BaseLr { get; private set; }

    /// <summary>The number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate for it.</summary>
    /// <exception cref="InvalidOperationException">The optimizer's rate is not the one this scheduler set last: something
    /// else changed it, and the schedule would overwrite that.</exception>
    public void Step()
    {
        // A relative tolerance: a hand-written warm-up that ends on the base rate (0.1 * 3 / 3) differs in the last bit.
        if (Math.Abs(Optimizer.Lr - _lastSet) > 1e-12 * Math.Max(Math.Abs(Optimizer.Lr), Math.Abs(_lastSet)))
            Check.FailState(GetType().Name, $"the optimizer's lr is {Optimizer.Lr} but this scheduler set {_lastSet}: your code or " +
                "another scheduler changed it, and this schedule (a closed form of the epoch) would overwrite that. Change the " +
                "rate through one scheduler only; after loading the optimizer's state, load this scheduler's too (LoadStateDict).");
        LastEpoch++;
        Optimizer.Lr = _lastSet = RateAt(LastEpoch);
    }

    /// <summary>The learning rate for <paramref name="epoch"/>.</summary>
    protected abstract double RateAt(int epoch);

    /// <summary>The schedule's position, <c>base_lr</c> and <c>last_epoch</c>, as Float64 scalars. Same idea as
    /// <c>scheduler.state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict() => new()
    {
        ["base_lr"] = Tensor.Scalar(BaseLr, DType.Float64),
        ["last_epoch"] = Tensor.Scalar(LastEpoch, DType.Float64),
    };

    /// <summary>Restores what <see cref="StateDict"/> returned, so the schedule resumes where it was; load the optimizer's
    /// state as well (its rate is then the one this schedule gives for <see cref="LastEpoch"/>).</summary>
    /// <exception cref="ArgumentException">An entry is missing or not a scalar, or last_epoch is negative or not whole.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string name = GetType().Name;
        double Read(string key)
        {
            if (!state.TryGetValue(key, out var t) || t.Numel != 1)
                Check.Fail(name, $"the state needs a scalar '{key}' (it has {string.Join(", ", state.Keys)}).", nameof(state));
            return t.ItemDouble();
        }
        double baseLr = Read("base_lr"), epoch = Read("last_epoch");
        if (!(epoch >= 0 && epoch == Math.Floor(epoch) && epoch <= int.MaxValue))
            Check.Fail(name, $"last_epoch must be a whole number >= 0, got {epoch}.", nameof(state));
        (BaseLr, LastEpoch) = (baseLr, (int)epoch);
        _lastSet = LastEpoch == 0 ? BaseLr : RateAt(LastEpoch);
    }
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
