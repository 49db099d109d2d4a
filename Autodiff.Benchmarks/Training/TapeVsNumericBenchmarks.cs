using System.Globalization;
using Autodiff;
using Autodiff.NN;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Autodiff.Benchmarks.Training;

/// <summary>The gradient of the notes' two-layer net (784-H-10, ReLU, softmax-with-loss, batch 100, float64) by one tape
/// Backward versus by central differences <c>(L(θ + h) - L(θ - h)) / 2h</c>, two forward passes per parameter.</summary>
/// <remarks>The full numeric gradient (39,760 parameters at H = 50, two forwards each) would take minutes per
/// invocation, so <see cref="NumericGradient_Subset"/> times a fixed subset (<see cref="PerTensor"/> evenly strided
/// elements of each of W1, b1, W2, b2) and the extra columns extrapolate: every parameter costs the same two forward
/// passes, so the full time is the subset's times (all parameters / subset size). GlobalSetup prints the subset sizes and
/// throws unless tape and numeric gradients agree to 1e-4 on every element of the subset.</remarks>
[MemoryDiagnoser]
[NumericExtrapolationColumn]
public class TapeVsNumericBenchmarks
{
    /// <summary>Elements of each parameter tensor in the numeric subset (all of them when the tensor is smaller).</summary>
    public const int PerTensor = 32;
    private const int Batch = 100;
    private const double Step = 1e-4, Tolerance = 1e-4;

    [Params(50, 100)]
    public int Hidden { get; set; }

    private Tensor _x = null!;
    private int[] _labels = null!;
    private Tensor[] _parameters = null!;
    private int[][] _subset = null!;

    /// <summary>All parameters divided by those in the subset: the factor from the subset's time to the full gradient's.</summary>
    internal static double Extrapolation(int hidden) => (784.0 * hidden + hidden + hidden * 10 + 10) / SubsetIndices(hidden).Sum(s => s.Length);

    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(0);
        _x = Tensor.Rand([Batch, 784], generator, DType.Float64);
        _labels = [.. Enumerable.Range(0, Batch).Select(i => i % 10)];
        var w1 = (Tensor.Randn([784, Hidden], generator, DType.Float64) * 0.01).Detach().RequireGrad();
        var b1 = Tensor.Zeros([Hidden], DType.Float64).RequireGrad();
        var w2 = (Tensor.Randn([Hidden, 10], generator, DType.Float64) * 0.01).Detach().RequireGrad();
        var b2 = Tensor.Zeros([10], DType.Float64).RequireGrad();
        _parameters = [w1, b1, w2, b2];
        _subset = SubsetIndices(Hidden);

        TapeGradient();
        var tape = _parameters.Select(p => p.Grad!.ToDoubleArray()).ToArray();
        var numeric = NumericGradient_Subset();
        double worst = 0;
        for (int k = 0; k < _parameters.Length; k++)
            for (int j = 0; j < _subset[k].Length; j++)
            {
                double difference = Math.Abs(tape[k][_subset[k][j]] - numeric[k][j]);
                if (!(difference <= Tolerance))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"TapeVsNumeric: parameter {k} element {_subset[k][j]}: tape {tape[k][_subset[k][j]]:G10}, numeric {numeric[k][j]:G10} differ by {difference:G3} > {Tolerance}."));
                worst = Math.Max(worst, difference);
            }
        int subsetCount = _subset.Sum(s => s.Length);
        long total = _parameters.Sum(p => (long)p.Numel);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// TapeVsNumeric 784-{Hidden}-10: numeric gradient timed over a fixed subset of {subsetCount} of {total} parameters " +
            $"({PerTensor} evenly strided per tensor); 'Numeric all (extrapolated)' = subset time x {Extrapolation(Hidden):F1}. " +
            $"Tape and numeric agree on the subset: max |difference| {worst:E2} <= {Tolerance:E0}."));
    }

    /// <summary>One forward recorded on the tape and one Backward: every parameter's gradient.</summary>
    [Benchmark(Baseline = true)]
    public void TapeGradient()
    {
        foreach (var p in _parameters) p.Grad = null;
        Loss().Backward();
    }

    /// <summary>Central differences over the fixed subset: two forward passes (nothing recorded) per parameter.</summary>
    [Benchmark]
    public double[][] NumericGradient_Subset()
    {
        var numeric = new double[_parameters.Length][];
        using (Tape.NoGrad())
        {
            for (int k = 0; k < _parameters.Length; k++)
            {
                var data = _parameters[k].AsDoubleSpan();
                numeric[k] = new double[_subset[k].Length];
                for (int j = 0; j < _subset[k].Length; j++)
                {
                    int i = _subset[k][j];
                    double saved = data[i];
                    data[i] = saved + Step;
                    double plus = Loss().ItemDouble();
                    data[i] = saved - Step;
                    double minus = Loss().ItemDouble();
                    data[i] = saved;
                    numeric[k][j] = (plus - minus) / (2 * Step);                    // (L(θ+h) - L(θ-h)) / 2h
                }
            }
        }
        return numeric;
    }

    private Tensor Loss()
    {
        var (w1, b1, w2, b2) = (_parameters[0], _parameters[1], _parameters[2], _parameters[3]);
        return Functional.CrossEntropy((_x.MatMul(w1) + b1).Relu().MatMul(w2) + b2, _labels);
    }

    /// <summary>For W1 [784, H], b1 [H], W2 [H, 10], b2 [10]: up to <see cref="PerTensor"/> evenly strided flat indices each.</summary>
    private static int[][] SubsetIndices(int hidden) =>
        [.. new[] { 784 * hidden, hidden, hidden * 10, 10 }.Select(n =>
            Enumerable.Range(0, Math.Min(n, PerTensor)).Select(j => (int)((long)j * n / Math.Min(n, PerTensor))).ToArray())];
}

/// <summary>Adds the extrapolated full numeric-gradient time and its ratio to the tape's time to the summary table.</summary>
internal sealed class NumericExtrapolationColumnAttribute() : ColumnConfigBaseAttribute(
    new NumericExtrapolationColumn(ratio: false), new NumericExtrapolationColumn(ratio: true));

/// <summary>For <see cref="TapeVsNumericBenchmarks.NumericGradient_Subset"/>: its mean times the extrapolation factor
/// ("Numeric all (extrapolated)"), or that divided by the mean of TapeGradient at the same Hidden ("Numeric / tape").</summary>
internal sealed class NumericExtrapolationColumn(bool ratio) : IColumn
{
    public string Id => nameof(NumericExtrapolationColumn) + (ratio ? ".Ratio" : ".Time");
    public string ColumnName => ratio ? "Numeric / tape (extrapolated)" : "Numeric all (extrapolated)";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => ratio ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => ratio ? UnitType.Dimensionless : UnitType.Time;
    public string Legend => ratio
        ? "Extrapolated full numeric-gradient time / tape-gradient time"
        : "NumericGradient_Subset mean x (all parameters / subset size): the estimated time of the full numeric gradient";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(TapeVsNumericBenchmarks.NumericGradient_Subset)) return "-";
        var numeric = summary[benchmarkCase]?.ResultStatistics;
        if (numeric is null) return "?";
        int hidden = (int)benchmarkCase.Parameters["Hidden"];
        double fullNs = numeric.Mean * TapeVsNumericBenchmarks.Extrapolation(hidden);
        if (!ratio) return string.Create(CultureInfo.InvariantCulture, $"{fullNs / 1e9:F2} s");
        var tape = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.WorkloadMethod.Name == nameof(TapeVsNumericBenchmarks.TapeGradient) &&
            c.Job == benchmarkCase.Job && (int)c.Parameters["Hidden"] == hidden);
        var tapeStats = tape is null ? null : summary[tape]?.ResultStatistics;
        return tapeStats is null ? "?" : string.Create(CultureInfo.InvariantCulture, $"{fullNs / tapeStats.Mean:N0}x");
    }
}
