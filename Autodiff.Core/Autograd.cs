namespace Autodiff;

/// <summary>Debugging switches for the autograd engine. Same idea as <c>torch.autograd</c>'s anomaly mode.</summary>
public static class Autograd
{
    private static readonly AsyncLocal<int> s_anomalyDepth = new();

    /// <summary>True inside a <see cref="DetectAnomaly"/> scope.</summary>
    public static bool IsAnomalyDetectionEnabled => s_anomalyDepth.Value > 0;

    /// <summary>Starts a scope in which the first recorded op whose output, or whose gradient for an input, holds NaN or
    /// ±Infinity throws an <see cref="AnomalyException"/> naming the op, its input shapes and the ops that produced
    /// those inputs. Same as <c>torch.autograd.detect_anomaly()</c>. It scans every value, so use it to debug, not to train.</summary>
    /// <example><code>using (Autograd.DetectAnomaly()) { loss = Step(); loss.Backward(); }</code></example>
    public static AnomalyScope DetectAnomaly()
    {
        s_anomalyDepth.Value++;
        return new AnomalyScope();
    }

    internal static void EndAnomaly() => s_anomalyDepth.Value--;

    /// <summary>Throws when <paramref name="values"/> holds a NaN or an infinity (anomaly mode only).</summary>
    internal static void CheckFinite(string op, string phase, Tensor values, IReadOnlyList<Tensor> inputs)
    {
        int bad = FirstNonFinite(values);
        if (bad < 0) return;
        string sources = string.Join(", ", inputs.Select(t => $"{t.Label} from {(t.Creator is null ? "a leaf" : t.Creator.Op)}"));
        throw new AnomalyException($"{op}: the {phase} produced {values.ToDoubleArray()[bad]} at element {bad} of {values.Shape}; " +
            $"inputs: {sources}.", op);
    }

    private static int FirstNonFinite(Tensor t)
    {
        var values = t.ToDoubleArray();
        for (int i = 0; i < values.Length; i++) if (!double.IsFinite(values[i])) return i;
        return -1;
    }
}

/// <summary>The scope returned by <see cref="Autograd.DetectAnomaly"/>.</summary>
public readonly struct AnomalyScope : IDisposable
{
    /// <summary>Ends the scope.</summary>
    public void Dispose() => Autograd.EndAnomaly();
}

/// <summary>Thrown in anomaly mode by the first op whose forward or backward produced NaN or infinity.</summary>
public sealed class AnomalyException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public AnomalyException(string message, string op) : base(message) => Op = op;

    /// <summary>The op that produced the value.</summary>
    public string Op { get; }
}
