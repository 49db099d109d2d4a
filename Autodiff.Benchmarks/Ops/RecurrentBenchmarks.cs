using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>One training step (forward, MSE loss, backward, SGD step) of the recurrent shape: 2 layers, hidden
/// 256, input 256, sequence 64, batch 32, float32, the default path (no DisposeScope); and one fused cell op forward +
/// backward on a [32, 4·256] gate block.</summary>
[MemoryDiagnoser]
public class RecurrentBenchmarks
{
    [Params("LSTM_2x256_T64_N32", "GRU_2x256_T64_N32", "LstmCell_32x256", "GruCell_32x256")]
    public string Workload { get; set; } = "";

    private Action _step = null!;

    [GlobalSetup]
    public void Setup()
    {
        const int T = 64, N = 32, F = 256, H = 256;
        if (Workload.EndsWith("Cell_32x256", StringComparison.Ordinal))
        {
            bool lstm = Workload.StartsWith("Lstm", StringComparison.Ordinal);
            var gates = Tensor.Randn([N, (lstm ? 4 : 3) * H], seed: 1).RequireGrad();
            var gh = Tensor.Randn([N, 3 * H], seed: 2).RequireGrad();
            var state = Tensor.Randn([N, H], seed: 3).RequireGrad();
            _step = lstm
                ? () => { var (h, c) = Autodiff.Ops.LstmCell(gates, state); (h + c).Sum().Backward(); (gates.Grad, state.Grad) = (null, null); }
                : () => { Autodiff.Ops.GruCell(gates, gh, state).Sum().Backward(); (gates.Grad, gh.Grad, state.Grad) = (null, null, null); };
            return;
        }
        Generator.ManualSeed(0);
        RNNBase model = Workload.StartsWith("GRU", StringComparison.Ordinal) ? new GRU(F, H, numLayers: 2) : new LSTM(F, H, numLayers: 2);
        var optimizer = new SGD(model.Parameters(), lr: 0.01);
        var x = Tensor.Randn([T, N, F], seed: 4);
        var target = Tensor.Randn([T, N, H], seed: 5);
        _step = () =>
        {
            optimizer.ZeroGrad();
            Functional.MseLoss(((Module)model).Forward(x), target).Backward();
            optimizer.Step();
        };
    }

    /// <summary>One step.</summary>
    [Benchmark]
    public void Step() => _step();
}
