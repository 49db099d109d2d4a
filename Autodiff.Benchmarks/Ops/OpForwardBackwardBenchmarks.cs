using System.Numerics.Tensors;
using Autodiff;
using Autodiff.NN;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>Per-op cost at 1e3, 1e5 and 1e6 elements: the forward alone (nothing recorded), forward + backward through the
/// tape, and the bare <see cref="TensorPrimitives"/> call(s) computing the same forward on the same arrays (the baseline,
/// so the Ratio column of <c>Forward</c> is the "within 1.2x of a bare TensorPrimitives call").</summary>
/// <remarks>Element-wise ops and reductions run on a flat [N] tensor. Softmax, LogSoftmax and CrossEntropy run row-wise on
/// logits [N/10, 10], the classifier's shape; their baseline loops over the rows. Backward is seeded with ones for
/// non-scalar outputs. Gradients are cleared after each backward, as ZeroGrad would.</remarks>
[MemoryDiagnoser]
public class OpForwardBackwardBenchmarks
{
    private const int Classes = 10;

    [Params("Add", "Mul", "Exp", "Tanh", "Sigmoid", "Relu", "Sum", "Mean", "Max", "Softmax", "LogSoftmax", "CrossEntropy")]
    public string Op { get; set; } = "";

    [Params(1_000, 100_000, 1_000_000)]
    public int N { get; set; }

    private Tensor _a = null!, _b = null!, _ones = null!;
    private int[] _targets = null!;
    private float[] _x = null!, _y = null!, _z = null!, _scratch = null!;
    private Func<Tensor> _forward = null!;
    private Action _bare = null!;

    [GlobalSetup]
    public void Setup()
    {
        bool rows = Op is "Softmax" or "LogSoftmax" or "CrossEntropy";
        int[] shape = rows ? [N / Classes, Classes] : [N];
        _a = Tensor.Randn(shape, seed: 1).RequireGrad();
        _b = Tensor.Randn(shape, seed: 2);
        _targets = [.. Enumerable.Range(0, N / Classes).Select(i => i % Classes)];
        (_x, _y, _z, _scratch) = (_a.ToArray(), _b.ToArray(), new float[N], new float[Classes]);
        (_forward, _bare) = Op switch
        {
            // op => (forward through Autodiff, the same forward with bare TensorPrimitives calls)
            "Add" => Pair(() => _a + _b, () => TensorPrimitives.Add(_x, _y, _z)),
            "Mul" => (() => _a * _b, () => TensorPrimitives.Multiply(_x, _y, _z)),
            "Exp" => Pair(() => _a.Exp(), () => TensorPrimitives.Exp(_x, _z)),
            "Tanh" => (() => _a.Tanh(), () => TensorPrimitives.Tanh(_x, _z)),
            "Sigmoid" => Pair(() => _a.Sigmoid(), () => TensorPrimitives.Sigmoid(_x, _z)),
            "Relu" => (() => _a.Relu(), () => TensorPrimitives.Max(_x, 0f, _z)),
            "Sum" => Pair(() => Autodiff.Ops.Sum(_a), () => _z[0] = TensorPrimitives.Sum(_x)),
            "Mean" => (() => Autodiff.Ops.Mean(_a), () => _z[0] = TensorPrimitives.Sum(_x) / N),
            "Max" => Pair(() => Autodiff.Ops.Max(_a), () => _z[0] = TensorPrimitives.Max(_x)),
            "Softmax" => (() => Autodiff.Ops.Softmax(_a, 1), ForEachRow((row, dest) => TensorPrimitives.SoftMax(row, dest))),
            "LogSoftmax" => Pair(() => Autodiff.Ops.LogSoftmax(_a, 1), ForEachRow(LogSoftmaxRow)),
            "CrossEntropy" => (() => Functional.CrossEntropy(_a, _targets), BareCrossEntropy),
            _ => throw new ArgumentException($"OpForwardBackwardBenchmarks: unknown op '{Op}'."),
        };
        _ones = Tensor.OnesLike(_forward());
        _a.Grad = null;
    }

    /// <summary>The bare TensorPrimitives forward on float[] arrays of the same size, writing into a preallocated array.</summary>
    [Benchmark(Baseline = true)]
    public void TensorPrimitives_Forward() => _bare();

    /// <summary>The op's forward with recording off: the output allocation plus the kernel.</summary>
    [Benchmark]
    public Tensor Forward()
    {
        using (Tape.NoGrad()) return _forward();
    }

    /// <summary>Forward recorded on the tape, then Backward; gradients cleared afterwards.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        var y = _forward();
        if (y.Numel == 1) y.Backward();
        else y.Backward(_ones);
        _a.Grad = null;
    }

    private static (Func<Tensor> Forward, Action Bare) Pair(Func<Tensor> forward, Action bare) => (forward, bare);

    private Action ForEachRow(RowKernel kernel) => () =>
    {
        for (int start = 0; start < N; start += Classes)
            kernel(_x.AsSpan(start, Classes), _z.AsSpan(start, Classes));
    };

    private delegate void RowKernel(ReadOnlySpan<float> row, Span<float> destination);

    /// <summary><c>y = x - max(x) - log Σ exp(x - max(x))</c> with TensorPrimitives calls.</summary>
    private void LogSoftmaxRow(ReadOnlySpan<float> row, Span<float> destination)
    {
        TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), destination);
        TensorPrimitives.Exp(destination, _scratch);
        TensorPrimitives.Subtract(destination, MathF.Log(TensorPrimitives.Sum(_scratch)), destination);
    }

    /// <summary>Mean over rows of <c>-logsoftmax(x)[t]</c>.</summary>
    private void BareCrossEntropy()
    {
        float total = 0;
        for (int r = 0, start = 0; start < N; r++, start += Classes)
        {
            LogSoftmaxRow(_x.AsSpan(start, Classes), _z.AsSpan(start, Classes));
            total -= _z[start + _targets[r]];
        }
        _z[0] = total / (N / Classes);
    }
}
