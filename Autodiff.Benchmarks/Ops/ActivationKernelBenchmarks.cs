using Autodiff.Kernels;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>The vectorized activation kernels on 1e6 floats: forward and the fused backward (dx from x and dy in one
/// pass), at the width the CPU runs (Vector512 with AVX-512, else Vector256).</summary>
[MemoryDiagnoser]
public class ActivationKernelBenchmarks
{
    [Params("Gelu", "GeluTanh", "Erf", "Silu", "Softplus", "Pow2")]
    public string Function { get; set; } = "Gelu";

    private const int N = 1_000_000;
    private float[] _x = null!, _dy = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _x = [.. Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 8 - 4))];
        _dy = [.. Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        _y = new float[N];
    }

    [Benchmark]
    public void Forward_1e6()
    {
        switch (Function)
        {
            case "Gelu": Elementwise.Gelu<float>(_x, tanh: false, _y); break;
            case "GeluTanh": Elementwise.Gelu<float>(_x, tanh: true, _y); break;
            case "Erf": Elementwise.Erf<float>(_x, _y); break;
            case "Silu": Activations.Silu<float>(_x, _y); break;
            case "Softplus": Elementwise.Softplus<float>(_x, 1f, 20f, _y); break;
            default: Elementwise.Pow<float>(_x, 2f, _y); break;
        }
    }

    [Benchmark]
    public void Backward_1e6()
    {
        switch (Function)
        {
            case "Gelu": ElementwiseBackward.Gelu<float>(_x, tanh: false, _dy, _y); break;
            case "GeluTanh": ElementwiseBackward.Gelu<float>(_x, tanh: true, _dy, _y); break;
            case "Erf": ElementwiseBackward.Erf<float>(_x, _dy, _y); break;
            case "Silu": Activations.SiluBackward<float>(_x, _dy, _y); break;
            case "Softplus": ElementwiseBackward.Softplus<float>(_x, 1f, 20f, _dy, _y); break;
            default: ElementwiseBackward.Pow<float>(_x, 2f, _dy, _y); break;
        }
    }
}
