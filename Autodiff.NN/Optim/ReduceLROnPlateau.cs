namespace Autodiff.Optim;

/// <summary>Multiplies every group's rate by <c>factor</c> when a watched metric (a validation loss) has stopped
/// improving for more than <c>patience</c> epochs. Same as <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>.</summary>
/// <remarks>Call <see cref="Step(double)"/> with the metric after each epoch. The metric improves when it beats the best
/// so far by the threshold: in "min" mode <c>metric &lt; best·(1 - threshold)</c> ("rel") or <c>metric &lt; best - threshold</c>
/// ("abs"); in "max" mode <c>metric &gt; best·(1 + threshold)</c> or <c>metric &gt; best + threshold</c>; a NaN metric never
/// improves. After more than <c>patience</c> epochs without improvement each group's rate becomes
/// <c>max(lr·factor, minLr)</c> (a change smaller than <c>eps</c> is skipped), and the next <c>cooldown</c> epochs count no bad
/// epochs. Unlike the closed-form schedulers it starts from each group's current rate, so a rate you set yourself is kept.</remarks>
/// <example><code>
/// var scheduler = new ReduceLROnPlateau(optimizer, mode: "min", factor: 0.5, patience: 3);
/// /* after each epoch: */ scheduler.Step(validationLoss);
/// </code></example>
public sealed class ReduceLROnPlateau : LRScheduler
{
    private readonly double[] _minLrs;

    /// <summary>Creates the scheduler; the defaults are PyTorch's.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="mode"><c>"min"</c> when the metric should fall (a loss), <c>"max"</c> when it should rise (an accuracy).</param>
    /// <param name="factor">The factor the rates are multiplied by, in [0, 1).</param>
    /// <param name="patience">Epochs without improvement tolerated before the rates fall.</param>
    /// <param name="threshold">How much better than the best a metric must be to count as an improvement.</param>
    /// <param name="thresholdMode"><c>"rel"</c> (threshold relative to the best) or <c>"abs"</c>.</param>
    /// <param name="cooldown">Epochs after a reduction during which bad epochs are not counted.</param>
    /// <param name="minLr">The lowest rate a reduction sets, for every group.</param>
    /// <param name="eps">The smallest change of rate that is applied.</param>
    /// <exception cref="ArgumentException">mode or thresholdMode is unknown, factor is outside [0, 1), patience or
    /// cooldown is negative, or threshold, minLr or eps is negative or NaN.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, mode, factor, patience, threshold, thresholdMode, cooldown,
            Enumerable.Repeat(minLr, optimizer?.ParamGroups.Count ?? 0).ToArray(), eps)
    {
    }

    /// <summary>Creates the scheduler with a lowest rate per parameter group.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="mode"><c>"min"</c> when the metric should fall (a loss), <c>"max"</c> when it should rise (an accuracy).</param>
    /// <param name="factor">The factor the rates are multiplied by, in [0, 1).</param>
    /// <param name="patience">Epochs without improvement tolerated before the rates fall.</param>
    /// <param name="threshold">How much better than the best a metric must be to count as an improvement.</param>
    /// <param name="thresholdMode"><c>"rel"</c> (threshold relative to the best) or <c>"abs"</c>.</param>
    /// <param name="cooldown">Epochs after a reduction during which bad epochs are not counted.</param>
    /// <param name="minLrs">Each group's lowest rate, in <see cref="Optimizer.ParamGroups"/> order.</param>
    /// <param name="eps">The smallest change of rate that is applied.</param>
    /// <exception cref="ArgumentException">As the other constructor, or the number of minLrs is not the number of groups.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode, double factor, int patience, double threshold,
        string thresholdMode, int cooldown, IReadOnlyList<double> minLrs, double eps = 1e-8)
        : base(optimizer)
    {
        const string Name = "ReduceLROnPlateau";
        ArgumentNullException.ThrowIfNull(minLrs);
        if (mode is not ("min" or "max")) Check.Fail(Name, $"mode must be \"min\" or \"max\", got \"{mode}\".", nameof(mode));
        if (thresholdMode is not ("rel" or "abs"))
            Check.Fail(Name, $"thresholdMode must be \"rel\" or \"abs\", got \"{thresholdMode}\".", nameof(thresholdMode));
        if (!(factor >= 0 && factor < 1)) Check.Fail(Name, $"factor must be in [0, 1), got {factor}.", nameof(factor));
        if (patience < 0) Check.Fail(Name, $"patience must be non-negative, got {patience}.", nameof(patience));
        if (cooldown < 0) Check.Fail(Name, $"cooldown must be non-negative, got {cooldown}.", nameof(cooldown));
        if (!(threshold >= 0)) Check.Fail(Name, $"threshold must be non-negative, got {threshold}.", nameof(threshold));
        if (!(eps >= 0)) Check.Fail(Name, $"eps must be non-negative, got {eps}.", nameof(eps));
        if (minLrs.Count != optimizer.ParamGroups.Count)
            Check.Fail(Name, $"got {minLrs.Count} minLrs for {optimizer.ParamGroups.Count} parameter groups.", nameof(minLrs));
        foreach (double m in minLrs)
            if (!(m >= 0)) Check.Fail(Name, $"minLr must be non-negative, got {m}.", nameof(minLrs));
        (Mode, Factor, Patience, Threshold, ThresholdMode, Cooldown, Eps) = (mode, factor, patience, threshold, thresholdMode, cooldown, eps);
        _minLrs = minLrs.ToArray();
        Best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary><c>"min"</c> or <c>"max"</c>.</summary>
    public string Mode { get; }

    /// <summary>The factor the rates are multiplied by.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement tolerated before the rates fall.</summary>
    public int Patience { get; }

    /// <summary>How much better than the best a metric must be to count as an improvement.</summary>
    public double Threshold { get; }

    /// <summary><c>"rel"</c> or <c>"abs"</c>.</summary>
    public string ThresholdMode { get; }

    /// <summary>Epochs after a reduction during which bad epochs are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>Each group's lowest rate.</summary>
    public IReadOnlyList<double> MinLrs => Array.AsReadOnly(_minLrs);

    /// <summary>The smallest change of rate that is applied.</summary>
    public double Eps { get; }

    /// <summary>The best metric so far (+∞ in "min" mode, -∞ in "max" mode before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>Epochs since the last improvement (or reduction). Same as PyTorch's <c>num_bad_epochs</c>.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Cooldown epochs left. Same as PyTorch's <c>cooldown_counter</c>.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Records the metric of one epoch and lowers the rates if it has not improved for too long.</summary>
    /// <param name="metric">The watched value, e.g. the validation loss.</param>
    public void Step(double metric)
    {
        LastEpoch++;
        bool better = (Mode, ThresholdMode) switch
        {
            ("min", "rel") => metric < Best * (1 - Threshold),
            ("min", _) => metric < Best - Threshold,
            (_, "rel") => metric > Best * (1 + Threshold),
            _ => metric > Best + Threshold,
        };
        if (better) (Best, NumBadEpochs) = (metric, 0);
        else NumBadEpochs++;
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;                                   // bad epochs in cooldown do not count
        }
        if (NumBadEpochs > Patience)
        {
            var groups = Optimizer.ParamGroups;
            for (int g = 0; g < groups.Count; g++)
            {
                double old = groups[g].Lr, lowered = Math.Max(old * Factor, _minLrs[g]);
                if (old - lowered > Eps) groups[g].Lr = lowered;
            }
            (CooldownCounter, NumBadEpochs) = (Cooldown, 0);
        }
        RecordRates();
    }

    /// <summary>Fails: this scheduler follows a metric; call <see cref="Step(double)"/>.</summary>
    private protected override void StepCore() =>
        Check.FailState("ReduceLROnPlateau", "Step() needs the metric it watches: call Step(metric), e.g. Step(validationLoss).");

    /// <summary>Not used: the rates follow the metric, not a closed form of the epoch.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    protected override double RateAt(int epoch) =>
        throw new NotSupportedException("ReduceLROnPlateau: the rate follows the metric, not a closed form of the epoch.");

    private protected override double RestoredRate(int epoch, int group) => Optimizer.ParamGroups[group].Lr;

    private protected override void WriteState(Dictionary<string, Tensor> state)
    {
        state["best"] = Tensor.Scalar(Best, DType.Float64);
        state["num_bad_epochs"] = Tensor.Scalar(NumBadEpochs, DType.Float64);
        state["cooldown_counter"] = Tensor.Scalar(CooldownCounter, DType.Float64);
    }

    private protected override Action? ReadState(IReadOnlyDictionary<string, Tensor> state, Func<string, double> read)
    {
        double best = read("best"), bad = read("num_bad_epochs"), cooldown = read("cooldown_counter");
        foreach (var (key, value) in new[] { ("num_bad_epochs", bad), ("cooldown_counter", cooldown) })
            if (!(value >= 0 && value == Math.Floor(value) && value <= int.MaxValue))
                Check.Fail("ReduceLROnPlateau", $"{key} must be a whole number >= 0, got {value}.", nameof(state));
        return () => (Best, NumBadEpochs, CooldownCounter) = (best, (int)bad, (int)cooldown);
    }
}
