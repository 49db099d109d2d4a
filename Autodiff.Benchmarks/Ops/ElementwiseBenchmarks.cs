using System.Numerics.Tensors;
using Autodiff;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>Element-wise Mul, forward and backward through the tape, against a bare TensorPrimitives call on the same sizes.</summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    [Params(1_000, 100_000, 1_000_000)]
    public int N { get; set; }

    private Tensor _a = null!, _b = null!;
    private float[] _x = null!, _y = null!, _z = null!;

    [GlobalSetup]
    public void Setup()
    {
        _a = Tensor.Randn([N], seed: 1).RequireGrad();
        _b = Tensor.Randn([N], seed: 2);
        (_x, _y, _z) = (_a.ToArray(), _b.ToArray(), new float[N]);
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitives_Multiply() => TensorPrimitives.Multiply(_x, _y, _z);

    [Benchmark]
    public void Mul_Forward()
    {
        using (Tape.NoGrad()) _ = _a * _b;
    }

    [Benchmark]
    public void Mul_ForwardBackward()
    {
        (_a * _b).Backward(Tensor.OnesLike(_a));
        _a.Grad = null;
    }
}
