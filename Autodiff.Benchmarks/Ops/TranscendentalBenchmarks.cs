using System.Numerics.Tensors;
using Autodiff;
using Autodiff.Kernels;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>Exp, Log, Tanh and Sigmoid on 1e6 floats: a bare TensorPrimitives call (the baseline), our deterministic
/// kernel (VectorMath) on the same arrays, and our op's forward (which also allocates its output).</summary>
[MemoryDiagnoser]
public class TranscendentalBenchmarks
{
    [Params("Exp", "Log", "Tanh", "Sigmoid")]
    public string Function { get; set; } = "Exp";

    private const int N = 1_000_000;
    private float[] _x = null!, _y = null!;
    private Tensor _tensor = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        // Log gets positive inputs; the others a range where no lane saturates: [-10, 10].
        _x = [.. Enumerable.Range(0, N).Select(_ => Function == "Log" ? (float)(rng.NextDouble() * 100) : (float)(rng.NextDouble() * 20 - 10))];
        _y = new float[N];
        _tensor = Tensor.FromArray(_x, N);
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitives_1e6()
    {
        switch (Function)
        {
            case "Exp": TensorPrimitives.Exp(_x, _y); break;
            case "Log": TensorPrimitives.Log(_x, _y); break;
            case "Tanh": TensorPrimitives.Tanh(_x, _y); break;
            default: TensorPrimitives.Sigmoid(_x, _y); break;
        }
    }

    [Benchmark]
    public void Kernel_1e6()
    {
        switch (Function)
        {
            case "Exp": VectorMath.Map<VectorMath.ExpFunction>(_x, _y); break;
            case "Log": VectorMath.Map<VectorMath.LogFunction>(_x, _y); break;
            case "Tanh": VectorMath.Map<VectorMath.TanhFunction>(_x, _y); break;
            default: VectorMath.Map<VectorMath.SigmoidFunction>(_x, _y); break;
        }
    }

    [Benchmark]
    public Tensor Op_Forward_1e6()
    {
        using (Tape.NoGrad())
        {
            return Function switch
            {
                "Exp" => _tensor.Exp(),
                "Log" => _tensor.Log(),
                "Tanh" => _tensor.Tanh(),
                _ => _tensor.Sigmoid(),
            };
        }
    }
}
