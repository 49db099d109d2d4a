namespace Autodiff.Optim;

/// <summary>The 1cycle policy, stepped once per batch: the rate rises from <c>maxLr/divFactor</c> to <c>maxLr</c> over the
/// first <c>pctStart</c> of the steps, then anneals to <c>maxLr/(divFactor·finalDivFactor)</c>, while the momentum (SGD's
/// and RMSprop's momentum, Adam's β₁) moves the other way between <c>maxMomentum</c> and <c>baseMomentum</c>. Same as
/// <c>torch.optim.lr_scheduler.OneCycleLR</c>.</summary>
/// <remarks>With <c>T = totalSteps</c>, the phases end at steps <c>pctStart·T - 1</c> and <c>T - 1</c> (with
/// <c>threePhase</c>: <c>pctStart·T - 1</c>, <c>2·pctStart·T - 2</c> and <c>T - 1</c>, rising, falling back to the
/// initial rate, then annihilating). Within a phase from step <c>s₀</c> to <c>s₁</c>, <c>pct = (step - s₀)/(s₁ - s₀)</c>
/// and the value goes from <c>a</c> to <c>b</c> as <c>b + (a - b)(1 + cos(π·pct))/2</c> ("cos") or <c>a + (b - a)·pct</c>
/// ("linear"). As in PyTorch, creating it sets the step-0 rate (<c>maxLr/divFactor</c>) and momentum
/// (<c>maxMomentum</c>, also on an SGD built without momentum), the optimizer's own rate is ignored, and stepping past
/// <c>totalSteps</c> fails. The one difference: at step <c>totalSteps</c> itself, one past the last phase (the step a
/// loop takes after its last batch), PyTorch extrapolates and the linear anneal gives a negative rate; here it is 0.</remarks>
/// <example><code>
/// var scheduler = new OneCycleLR(optimizer, maxLr: 0.01, totalSteps: epochs * loader.BatchCount);
/// foreach (var (x, y) in loader) { /* forward, backward */ optimizer.Step(); scheduler.Step(); }
/// </code></example>
public sealed class OneCycleLR : LRScheduler
{
    private readonly double[] _maxLrs;
    private readonly (double End, int StartLr, int EndLr, bool StartAtMaxMomentum, bool EndAtMaxMomentum)[] _phases;
    private readonly bool _useBeta1;

    /// <summary>Creates the schedule with one peak rate for every group; the defaults are PyTorch's.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="maxLr">The peak learning rate.</param>
    /// <param name="totalSteps">The number of steps in the cycle (epochs × batches per epoch).</param>
    /// <param name="pctStart">The fraction of the steps spent raising the rate.</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Whether the momentum (or β₁) cycles inversely to the rate.</param>
    /// <param name="baseMomentum">The momentum at the peak rate.</param>
    /// <param name="maxMomentum">The momentum at the start and end.</param>
    /// <param name="divFactor">The initial rate is <c>maxLr/divFactor</c>.</param>
    /// <param name="finalDivFactor">The final rate is <c>maxLr/(divFactor·finalDivFactor)</c>.</param>
    /// <param name="threePhase">Whether to fall back to the initial rate before annihilating, as the original paper.</param>
    /// <exception cref="ArgumentException">A value is out of range (see the groups overload).</exception>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, string annealStrategy = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25,
        double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, Enumerable.Repeat(maxLr, optimizer?.ParamGroups.Count ?? 0).ToArray(), totalSteps, pctStart, annealStrategy,
            cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase)
    {
    }

    /// <summary>Creates the schedule with a peak rate per parameter group; the defaults are PyTorch's.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="maxLrs">Each group's peak learning rate, in <see cref="Optimizer.ParamGroups"/> order.</param>
    /// <param name="totalSteps">The number of steps in the cycle (epochs × batches per epoch).</param>
    /// <param name="pctStart">The fraction of the steps spent raising the rate.</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Whether the momentum (or β₁) cycles inversely to the rate.</param>
    /// <param name="baseMomentum">The momentum at the peak rate.</param>
    /// <param name="maxMomentum">The momentum at the start and end.</param>
    /// <param name="divFactor">The initial rate is <c>maxLr/divFactor</c>.</param>
    /// <param name="finalDivFactor">The final rate is <c>maxLr/(divFactor·finalDivFactor)</c>.</param>
    /// <param name="threePhase">Whether to fall back to the initial rate before annihilating, as the original paper.</param>
    /// <exception cref="ArgumentException">totalSteps is not positive; pctStart is outside [0, 1] or leaves a phase with
    /// no steps; annealStrategy is not "cos" or "linear"; a rate or factor is negative, zero (divFactor, finalDivFactor)
    /// or NaN; a momentum is negative (or, for β₁, not below 1); the number of rates is not the number of groups; or momentum is cycled for
    /// an optimizer with neither momentum nor β₁.</exception>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart = 0.3, string annealStrategy = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25,
        double finalDivFactor = 1e4, bool threePhase = false)
        : base(optimizer)
    {
        const string Name = "OneCycleLR";
        ArgumentNullException.ThrowIfNull(maxLrs);
        if (maxLrs.Count != optimizer.ParamGroups.Count)
            Check.Fail(Name, $"got {maxLrs.Count} maxLrs for {optimizer.ParamGroups.Count} parameter groups.", nameof(maxLrs));
        foreach (double lr in maxLrs)
            if (!(lr >= 0 && double.IsFinite(lr))) Check.Fail(Name, $"maxLr must be non-negative and finite, got {lr}.", nameof(maxLrs));
        if (totalSteps <= 0) Check.Fail(Name, $"totalSteps must be positive, got {totalSteps}.", nameof(totalSteps));
        if (!(pctStart >= 0 && pctStart <= 1)) Check.Fail(Name, $"pctStart must be in [0, 1], got {pctStart}.", nameof(pctStart));
        if (annealStrategy is not ("cos" or "linear"))
            Check.Fail(Name, $"annealStrategy must be \"cos\" or \"linear\", got \"{annealStrategy}\".", nameof(annealStrategy));
        if (!(divFactor > 0 && double.IsFinite(divFactor))) Check.Fail(Name, $"divFactor must be positive, got {divFactor}.", nameof(divFactor));
        if (!(finalDivFactor > 0 && double.IsFinite(finalDivFactor)))
            Check.Fail(Name, $"finalDivFactor must be positive, got {finalDivFactor}.", nameof(finalDivFactor));
        if (cycleMomentum)
        {
            var group = optimizer.ParamGroups[0];
            _useBeta1 = group.Has("beta1");
            if (!_useBeta1 && !group.Has("momentum"))
                Check.Fail(Name, $"cycleMomentum needs an optimizer with momentum or beta1, and {optimizer.Name} has neither; pass cycleMomentum: false.", nameof(cycleMomentum));
            string range = _useBeta1 ? "in [0, 1) (it sets beta1)" : "non-negative and finite";
            bool Fits(double m) => m >= 0 && (_useBeta1 ? m < 1 : double.IsFinite(m));
            if (!Fits(baseMomentum)) Check.Fail(Name, $"baseMomentum must be {range}, got {baseMomentum}.", nameof(baseMomentum));
            if (!Fits(maxMomentum)) Check.Fail(Name, $"maxMomentum must be {range}, got {maxMomentum}.", nameof(maxMomentum));
        }
        (TotalSteps, PctStart, AnnealStrategy, CycleMomentum, BaseMomentum, MaxMomentum, DivFactor, FinalDivFactor, ThreePhase) =
            (totalSteps, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase);
        const int Initial = 0, Max = 1, Min = 2;
        double up = pctStart * totalSteps - 1;
        _phases = threePhase
            ? [(up, Initial, Max, true, false), (2 * pctStart * totalSteps - 2, Max, Initial, false, true), (totalSteps - 1, Initial, Min, true, true)]
            : [(up, Initial, Max, true, false), (totalSteps - 1, Max, Min, false, true)];
        for (int i = 0; i < _phases.Length; i++)
        {
            // PyTorch divides by each phase's length and fails (ZeroDivisionError) when a phase it reaches has none.
            double start = i == 0 ? 0 : _phases[i - 1].End;
            if (_phases[i].End == start && (i == 0 || i == _phases.Length - 1))          // a middle phase is never entered then
                Check.Fail(Name, $"pctStart {pctStart} with totalSteps {totalSteps} leaves phase {i + 1} of {_phases.Length} with no steps " +
                    $"(it would end at step {_phases[i].End}, where it starts); change pctStart or totalSteps.", nameof(pctStart));
        }
        _maxLrs = maxLrs.ToArray();
        SetBaseLrs(_maxLrs.Select(lr => lr / divFactor).ToArray());            // PyTorch's initial_lr
        SetRatesAtStart();
    }

    /// <summary>The number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>The fraction of the steps spent raising the rate.</summary>
    public double PctStart { get; }

    /// <summary><c>"cos"</c> or <c>"linear"</c>.</summary>
    public string AnnealStrategy { get; }

    /// <summary>Whether the momentum (or β₁) cycles inversely to the rate.</summary>
    public bool CycleMomentum { get; }

    /// <summary>The momentum at the peak rate.</summary>
    public double BaseMomentum { get; }

    /// <summary>The momentum at the start and end.</summary>
    public double MaxMomentum { get; }

    /// <summary>The initial rate is <c>maxLr/DivFactor</c>.</summary>
    public double DivFactor { get; }

    /// <summary>The final rate is <c>maxLr/(DivFactor·FinalDivFactor)</c>.</summary>
    public double FinalDivFactor { get; }

    /// <summary>Whether the cycle has three phases.</summary>
    public bool ThreePhase { get; }

    /// <summary>Each group's peak rate.</summary>
    public IReadOnlyList<double> MaxLrs => Array.AsReadOnly(_maxLrs);

    private protected override bool BaseFromOptimizer => false;

    /// <inheritdoc/>
    protected override double RateAt(int epoch) => RateAt(epoch, 0);

    /// <inheritdoc/>
    protected override double RateAt(int epoch, int group)
    {
        var (phase, pct) = Locate(epoch);
        double Lr(int which) => which switch { 0 => BaseLrs[group], 1 => _maxLrs[group], _ => BaseLrs[group] / FinalDivFactor };
        // Step totalSteps extrapolates past the last phase; PyTorch's linear anneal goes negative there, which would be
        // gradient ascent: the rate stops at 0.
        return Math.Max(0, Anneal(Lr(_phases[phase].StartLr), Lr(_phases[phase].EndLr), pct));
    }

    private protected override void OnRatesApplied(int epoch)
    {
        if (!CycleMomentum) return;
        var (phase, pct) = Locate(epoch);
        double Momentum(bool max) => max ? MaxMomentum : BaseMomentum;
        double momentum = Anneal(Momentum(_phases[phase].StartAtMaxMomentum), Momentum(_phases[phase].EndAtMaxMomentum), pct);
        foreach (var group in Optimizer.ParamGroups)
        {
            if (_useBeta1) group.Beta1 = momentum;
            else group.Momentum = momentum;
        }
    }

    /// <summary>The phase <paramref name="step"/> is in and how far through it, as PyTorch's <c>get_lr</c>.</summary>
    /// <exception cref="InvalidOperationException">The step is past <see cref="TotalSteps"/>.</exception>
    private (int Phase, double Pct) Locate(int step)
    {
        if (step > TotalSteps)
            Check.FailState("OneCycleLR", $"tried to step {step} times, but totalSteps is {TotalSteps}; make a scheduler with more steps.");
        double start = 0;
        for (int i = 0; i < _phases.Length; i++)
        {
            if (step <= _phases[i].End || i == _phases.Length - 1) return (i, (step - start) / (_phases[i].End - start));
            start = _phases[i].End;
        }
        throw new InvalidOperationException("OneCycleLR: unreachable.");
    }

    private double Anneal(double start, double end, double pct) =>
        AnnealStrategy == "cos" ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;
}
