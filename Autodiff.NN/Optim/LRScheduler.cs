using System.Globalization;

namespace Autodiff.Optim;

/// <summary>Changes an optimizer's learning rate once per epoch. Same idea as <c>torch.optim.lr_scheduler.LRScheduler</c>.</summary>
/// <remarks>Call <see cref="Step"/> after each epoch's optimizer steps (or after each batch, for a per-step schedule such
/// as <see cref="OneCycleLR"/>); the rate for epoch e is a closed-form function of e and the rate each parameter group had
/// when the scheduler was created (<see cref="BaseLrs"/>), so every group keeps its own base and the same schedule scales
/// each one, as PyTorch's <c>base_lrs</c>. Because the form is closed, a rate set by anything else between two steps
/// (your code, a second scheduler) would be overwritten silently: <see cref="Step"/> refuses instead; combine schedules
/// with <see cref="SequentialLR"/> (one after another) or <see cref="ChainedScheduler"/> (multiplied). To resume
/// training, save <see cref="StateDict"/> beside the optimizer's and restore it with <see cref="LoadStateDict"/>, as
/// PyTorch's <c>scheduler.state_dict()</c>: a new scheduler would take the already-decayed rate as its base and decay it
/// again.</remarks>
public abstract class LRScheduler
{
    private static long s_created;                      // creation order, for chains (see Created)
    private readonly double[] _found;                   // each group's lr when this scheduler was created
    private double[] _baseLrs;
    private System.Collections.ObjectModel.ReadOnlyCollection<double> _baseView;
    private readonly double[] _lastSet;
    private bool _setsRatesAtStart;

    /// <summary>Remembers the optimizer and each group's current learning rate, the base of the schedule.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        _found = optimizer.ParamGroups.Select(g => g.Lr).ToArray();
        _baseView = Array.AsReadOnly(_baseLrs = (double[])_found.Clone());
        _lastSet = (double[])_found.Clone();
        Created = Interlocked.Increment(ref s_created);
    }

    /// <summary>The optimizer whose rate is scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0 (the first group's, with several groups).</summary>
    public double BaseLr => _baseLrs[0];

    /// <summary>Each parameter group's base rate, in <see cref="Optimizer.ParamGroups"/> order. Same as PyTorch's <c>base_lrs</c>.</summary>
    public IReadOnlyList<double> BaseLrs => _baseView;

    /// <summary>The rates this scheduler set last (at creation, its base rates or its epoch-0 rates), one per group.
    /// Same as <c>scheduler.get_last_lr()</c>.</summary>
    public IReadOnlyList<double> LastLr => Array.AsReadOnly((double[])_lastSet.Clone());

    /// <summary>The number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private protected set; }

    /// <summary>The order in which schedulers were created: a chain takes the rates in effect before the first of its
    /// schedulers changed them as every member's base (PyTorch's <c>initial_lr</c>).</summary>
    internal long Created { get; }

    /// <summary>When the first scheduler that this one is made of was created (itself, or a chain's earliest member).</summary>
    internal virtual long FirstCreated => Created;

    /// <summary>Each group's learning rate before this scheduler (or a chain's earliest member) changed it.</summary>
    internal virtual IReadOnlyList<double> InitialLrs => _found;

    /// <summary>The <see cref="SequentialLR"/> or <see cref="ChainedScheduler"/> that steps this scheduler, if any.</summary>
    internal LRScheduler? Owner { get; set; }

    /// <summary>Whether each step multiplies the base by a factor that does not depend on it (StepLR, ExponentialLR,
    /// LinearLR, CosineAnnealingLR to 0), so that <see cref="ChainedScheduler"/> can multiply the factors as PyTorch
    /// composes its chainable schedulers.</summary>
    internal virtual bool IsMultiplicative => false;

    /// <summary>Whether the base rates are the optimizer's (false for OneCycleLR, whose base is <c>maxLr/divFactor</c>).</summary>
    private protected virtual bool BaseFromOptimizer => true;

    /// <summary>Advances one epoch and sets every group's learning rate for it.</summary>
    /// <exception cref="InvalidOperationException">A group's rate is not the one this scheduler set last: something
    /// else changed it, and the schedule would overwrite that; or this scheduler is stepped by a SequentialLR or
    /// ChainedScheduler.</exception>
    public void Step()
    {
        if (Owner is not null)
            Check.FailState(GetType().Name, $"it is part of a {Owner.GetType().Name}, which steps it; call Step on the {Owner.GetType().Name} only.");
        StepCore();
    }

    /// <summary>What <see cref="Step"/> does: by default checks that the rates are this scheduler's, advances the epoch
    /// and applies its rates.</summary>
    private protected virtual void StepCore()
    {
        CheckRatesUnchanged();
        ApplyRates(LastEpoch + 1);                                  // first: a schedule that has ended changes nothing
        LastEpoch++;
    }

    /// <summary>Fails when a group's rate is not the one this scheduler set last.</summary>
    private protected void CheckRatesUnchanged()
    {
        var groups = Optimizer.ParamGroups;
        for (int g = 0; g < groups.Count; g++)
        {
            double lr = groups[g].Lr, set = _lastSet[g];
            // A relative tolerance: a hand-written warm-up that ends on the base rate (0.1 * 3 / 3) differs in the last bit.
            if (Math.Abs(lr - set) > 1e-12 * Math.Max(Math.Abs(lr), Math.Abs(set)))
                Check.FailState(GetType().Name, $"the optimizer's {(groups.Count == 1 ? "" : $"group {g} ")}lr is {lr} but this scheduler set {set}: your code or " +
                    "another scheduler changed it, and this schedule (a closed form of the epoch) would overwrite that. Change the " +
                    "rate through one scheduler only (combine schedules with SequentialLR or ChainedScheduler); after loading the " +
                    "optimizer's state, load this scheduler's too (LoadStateDict).");
        }
    }

    /// <summary>Sets every group's rate to the schedule's for <paramref name="epoch"/> and remembers it.</summary>
    private protected void ApplyRates(int epoch)
    {
        var groups = Optimizer.ParamGroups;
        var rates = new double[groups.Count];
        for (int g = 0; g < rates.Length; g++)                                   // all first: a failing rate changes nothing
            if (!((rates[g] = RateAt(epoch, g)) >= 0))
                Check.FailState(GetType().Name, $"the schedule gives group {g} the rate {rates[g]} at epoch {epoch}; a rate must be non-negative.");
        for (int g = 0; g < rates.Length; g++) groups[g].Lr = _lastSet[g] = rates[g];
        OnRatesApplied(epoch);
    }

    /// <summary>Called after the rates for <paramref name="epoch"/> were set, to set what else the schedule drives
    /// (OneCycleLR's momentum).</summary>
    private protected virtual void OnRatesApplied(int epoch)
    {
    }

    /// <summary>For a scheduler whose epoch-0 rates are not its base rates (LinearLR's warm-up, OneCycleLR): sets them
    /// at creation, as PyTorch's schedulers do in their constructor. Call at the end of the constructor.</summary>
    private protected void SetRatesAtStart()
    {
        _setsRatesAtStart = true;
        ApplyRates(0);
    }

    /// <summary>Replaces the base rates (OneCycleLR's <c>maxLr/divFactor</c>; a chain's common base).</summary>
    private protected void SetBaseLrs(double[] baseLrs)
    {
        _baseView = Array.AsReadOnly(_baseLrs = baseLrs);
        OnBaseLrsChanged();
    }

    /// <summary>Called when the base rates were replaced (a chain passes them on to its members).</summary>
    private protected virtual void OnBaseLrsChanged()
    {
    }

    /// <summary>Remembers each group's current rate as the one this scheduler set (ReduceLROnPlateau, which changes
    /// rates by a factor instead of by a closed form).</summary>
    private protected void RecordRates()
    {
        for (int g = 0; g < _lastSet.Length; g++) _lastSet[g] = Optimizer.ParamGroups[g].Lr;
    }

    /// <summary>The rate group <paramref name="group"/> had when the schedule was at <paramref name="epoch"/>, for
    /// <see cref="LoadStateDict"/>: the base at epoch 0 unless the schedule sets its own there, else the closed form.</summary>
    private protected virtual double RestoredRate(int epoch, int group) =>
        epoch == 0 && !_setsRatesAtStart ? _baseLrs[group] : RateAt(epoch, group);

    /// <summary>Gives this scheduler the base rates of a chain it joins, unless its base is not the optimizer's rate.</summary>
    internal void Rebase(IReadOnlyList<double> baseLrs)
    {
        if (BaseFromOptimizer) SetBaseLrs(baseLrs.ToArray());
    }

    /// <summary>The learning rate for <paramref name="epoch"/>, of the first group (whose base is <see cref="BaseLr"/>).</summary>
    protected abstract double RateAt(int epoch);

    /// <summary>The learning rate of group <paramref name="group"/> for <paramref name="epoch"/>, from its base
    /// <c>BaseLrs[group]</c>. By default <see cref="RateAt(int)"/> scaled by <c>BaseLrs[group] / BaseLr</c>, which is
    /// right for a schedule that multiplies its base by a factor; the library's schedulers compute each group's own.</summary>
    /// <exception cref="NotSupportedException">The first group's base is 0 and another group's is not, so the default
    /// cannot scale; override this method.</exception>
    protected virtual double RateAt(int epoch, int group)
    {
        if (group == 0) return RateAt(epoch);
        if (_baseLrs[group] == _baseLrs[0]) return RateAt(epoch);
        if (_baseLrs[0] == 0)
            throw new NotSupportedException($"{GetType().Name}: cannot scale the first group's schedule (base 0) to group {group}'s base " +
                $"{_baseLrs[group]}; override RateAt(epoch, group).");
        return RateAt(epoch) * (_baseLrs[group] / _baseLrs[0]);
    }

    /// <summary>The rate group <paramref name="group"/> gets at <paramref name="epoch"/>, for a chain that steps this scheduler.</summary>
    internal double ChainRate(int epoch, int group) => RateAt(epoch, group);

    /// <summary>Sets what else the schedule drives at <paramref name="epoch"/>, for a chain that steps this scheduler.</summary>
    internal void ChainApplied(int epoch) => OnRatesApplied(epoch);

    /// <summary>The schedule's position, <c>base_lr</c> (the first group's), <c>base_lrs.{group}</c> (with several groups)
    /// and <c>last_epoch</c>, and what else the schedule keeps, as Float64 scalars. Same idea as
    /// <c>scheduler.state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>
        {
            ["base_lr"] = Tensor.Scalar(BaseLr, DType.Float64),
            ["last_epoch"] = Tensor.Scalar(LastEpoch, DType.Float64),
        };
        if (_baseLrs.Length > 1)
            for (int g = 0; g < _baseLrs.Length; g++)
                state[$"base_lrs.{g.ToString(CultureInfo.InvariantCulture)}"] = Tensor.Scalar(_baseLrs[g], DType.Float64);
        WriteState(state);
        return state;
    }

    /// <summary>Adds what a scheduler keeps beyond its base rates and epoch to <paramref name="state"/>.</summary>
    private protected virtual void WriteState(Dictionary<string, Tensor> state)
    {
    }

    /// <summary>Checks what <see cref="WriteState"/> wrote, reading scalars with <paramref name="read"/>, and returns
    /// what applies it; nothing may change before the returned action runs.</summary>
    private protected virtual Action? ReadState(IReadOnlyDictionary<string, Tensor> state, Func<string, double> read) => null;

    /// <summary>Restores what <see cref="StateDict"/> returned, so the schedule resumes where it was; load the optimizer's
    /// state as well (its rates are then the ones this schedule gives for <see cref="LastEpoch"/>).</summary>
    /// <exception cref="ArgumentException">An entry is missing or not a scalar, last_epoch is negative or not whole (or past
    /// OneCycleLR's last step), or the state has base rates for another number of groups; nothing is changed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string name = GetType().Name;
        double Read(string key)
        {
            if (!state.TryGetValue(key, out var t) || t is null || t.Numel != 1)
                Check.Fail(name, $"the state needs a scalar '{key}' (it has {string.Join(", ", state.Keys)}).", nameof(state));
            return t.ItemDouble();
        }
        double baseLr = Read("base_lr"), epoch = Read("last_epoch");
        if (!(epoch >= 0 && epoch == Math.Floor(epoch) && epoch <= int.MaxValue))
            Check.Fail(name, $"last_epoch must be a whole number >= 0, got {epoch}.", nameof(state));
        int saved = state.Keys.Count(k => k.StartsWith("base_lrs.", StringComparison.Ordinal));
        if (saved > 0 ? saved != _baseLrs.Length : _baseLrs.Length != 1)
            Check.Fail(name, $"the state holds base rates for {Math.Max(saved, 1)} parameter group{(saved > 1 ? "s" : "")} but the optimizer has " +
                $"{_baseLrs.Length}.", nameof(state));
        var baseLrs = saved > 0 ? Enumerable.Range(0, saved).Select(g => Read($"base_lrs.{g.ToString(CultureInfo.InvariantCulture)}")).ToArray() : [baseLr];
        var apply = ReadState(state, Read);
        var previous = (_baseLrs, LastEpoch);
        SetBaseLrs(baseLrs);
        LastEpoch = (int)epoch;
        var lastSet = new double[_baseLrs.Length];
        try
        {
            for (int g = 0; g < lastSet.Length; g++) lastSet[g] = RestoredRate(LastEpoch, g);
        }
        catch (InvalidOperationException e)
        {
            SetBaseLrs(previous._baseLrs);                          // OneCycleLR past its last step: nothing changes
            LastEpoch = previous.LastEpoch;
            Check.Fail(name, $"last_epoch {epoch} does not fit this schedule: {e.Message}", nameof(state));
        }
        lastSet.CopyTo(_lastSet, 0);
        apply?.Invoke();
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

    internal override bool IsMultiplicative => true;

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group) => BaseLrs[group] * Math.Pow(Gamma, epoch / StepSize);
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

    internal override bool IsMultiplicative => EtaMin == 0;

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group) => EtaMin + (BaseLrs[group] - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
