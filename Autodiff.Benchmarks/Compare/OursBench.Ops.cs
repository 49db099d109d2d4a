using System.Diagnostics;
using System.Globalization;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.Optim;

namespace Autodiff.Benchmarks.Compare;

/// <summary>The op workloads of issue 16: forward + backward of one op, the transformer-style MLP block, an
/// autoencoder epoch, each written as a PyTorch user writes it (no DisposeScope: the headline), and again inside a
/// DisposeScope per call (<c>_scoped</c>, ours only) to show what the opt-in path still buys.</summary>
/// <remarks>Same workloads, shapes and seeds in bench/peers/torch_bench.py and bench/peers/TorchSharpBench. An op
/// workload is <c>op_NAME_ROWSxCOLS</c>: <c>x = randn(shape).requires_grad_()</c>, then per call
/// <c>x.grad = None; op(x).sum().backward()</c> (binary ops: both operands require grad).</remarks>
internal sealed partial class OursBench
{
    /// <summary>The ops of the issue's table, by name, as functions of (x, a second operand of the shape the op needs).</summary>
    private static readonly (string Name, Func<int, int, int[]?> OtherShape, Func<Tensor, Tensor, Tensor> Op)[] OpTable =
    [
        ("gelu", None, (x, _) => Functional.Gelu(x)),
        ("relu", None, (x, _) => Functional.Relu(x)),
        ("sigmoid", None, (x, _) => x.Sigmoid()),
        ("tanh", None, (x, _) => x.Tanh()),
        ("exp", None, (x, _) => x.Exp()),
        ("pow2", None, (x, _) => x.Pow(2)),
        ("exp_mul_x", None, (x, _) => x.Exp() * x),
        ("mul", Same, (x, y) => x * y),
        ("add_bias", Row, (x, b) => x + b),
        ("mul_scalar", None, (x, _) => x * 2.0),
        ("log_softmax", None, (x, _) => Functional.LogSoftmax(x, -1)),
        ("softmax", None, (x, _) => Functional.Softmax(x, -1)),
        ("layer_norm", Row, (x, w) => Functional.LayerNorm(x, [x.Shape[^1]], w, w)),
        ("mse_loss", Same, (x, t) => Functional.MseLoss(x, t.Detach())),
    ];

    private static int[]? None(int rows, int cols) => null;
    private static int[] Same(int rows, int cols) => [rows, cols];
    private static int[] Row(int rows, int cols) => [cols];

    /// <summary>Forward + backward of each op at 1e6 elements ([1000, 1000]) and the transformer shapes [1024, C].</summary>
    private void OpWorkloads()
    {
        foreach (var (name, otherShape, op) in OpTable)
            OpWorkload(name, 1000, 1000, otherShape, op);
        foreach (int c in new[] { 64, 256, 1024 })
            foreach (var name in new[] { "gelu", "add_bias", "softmax", "layer_norm" })
            {
                var (_, otherShape, op) = OpTable.First(o => o.Name == name);
                OpWorkload(name, 1024, c, otherShape, op);
            }
        // The issue's "tried as a new user would" cases.
        OpWorkload("softmax", 16 * 32, 32, None, (x, _) => Functional.Softmax(x.Reshape(16, 32, 32), -1), label: "op_softmax_16x32x32");
        OpWorkload("linear3to1", 1000, 3, (r, c) => [1, 3], (x, w) => Functional.Linear(x, w), label: "op_linear3to1_1000x3");
        OpWorkload("cross_entropy", 1000, 1000, None, (x, _) => Functional.CrossEntropy(x, Labels1000), label: "op_cross_entropy_1000x1000");
        var g = new Generator(0);
        var (m, r) = Measure(() => Tensor.Randn([1000, 1000], g));
        Report("randn_1000x1000", m, r);
        (m, r) = Measure(() => Tensor.Randn([1000, 1000], g).Dispose());
        Report("randn_1000x1000_scoped", m, r);
    }

    private static readonly int[] Labels1000 = [.. Enumerable.Range(0, 1000).Select(i => i * 7 % 1000)];

    private void OpWorkload(string name, int rows, int cols, Func<int, int, int[]?> otherShape, Func<Tensor, Tensor, Tensor> op,
        string? label = null)
    {
        label ??= $"op_{name}_{rows}x{cols}";
        var g = new Generator(1);
        var x = Tensor.Randn([rows, cols], g).RequireGrad();
        var other = otherShape(rows, cols) is { } shape ? Tensor.Randn(shape, g).RequireGrad() : x;
        void Step()
        {
            x.Grad = null;
            if (!ReferenceEquals(other, x)) other.Grad = null;
            op(x, other).Sum().Backward();
        }
        var (m, r) = Measure(Step);
        Report(label, m, r, BytesExtra(name, rows * cols, m));
        (m, r) = Measure(() => { using var scope = Tensor.NewDisposeScope(); Step(); });
        Report(label + "_scoped", m, r);
    }

    /// <summary>Achieved bandwidth of a unary element-wise op's forward + backward, counting the least traffic it needs:
    /// read x and write y, then read the incoming gradient and x (or y) and write dx (5 × 4 bytes per element).</summary>
    private static string BytesExtra(string name, int n, double us)
    {
        string[] unary = ["gelu", "relu", "sigmoid", "tanh", "exp", "pow2", "mul_scalar"];
        if (!unary.Contains(name)) return "";
        double gbPerS = 5.0 * 4 * n / (us * 1e3);
        return string.Create(CultureInfo.InvariantCulture, $",\"gb_per_s\":{gbPerS:F2}");
    }

    /// <summary>The machine's copy bandwidth as .NET sees it: 4 MB copied to another 4 MB buffer (read + write counted).</summary>
    private void CopyBandwidth()
    {
        var (src, dst) = (new float[1_000_000], new float[1_000_000]);
        var (m, r) = Measure(() => src.AsSpan().CopyTo(dst));
        Report("copy_1e6", m, r, string.Create(CultureInfo.InvariantCulture, $",\"gb_per_s\":{2.0 * 4e6 / (m * 1e3):F2}"));
    }

    /// <summary>The transformer-style MLP block of the issue on [8, 128, 256]: LayerNorm → Linear 256→1024 → GELU →
    /// Linear 1024→256 → residual, forward + backward (sum of the output), parameters' grads cleared as ZeroGrad does.</summary>
    private void TransformerBlock()
    {
        var g = new Generator(0);
        var norm = new LayerNorm(256);
        var (fc1, fc2) = (new Linear(256, 1024, generator: g), new Linear(1024, 256, generator: g));
        var parameters = norm.Parameters().Concat(fc1.Parameters()).Concat(fc2.Parameters()).ToList();
        var x = Tensor.Randn([8, 128, 256], g).RequireGrad();
        void Step()
        {
            foreach (var p in parameters) p.Grad = null;
            x.Grad = null;
            var y = x + fc2.Forward(Functional.Gelu(fc1.Forward(norm.Forward(x))));
            y.Sum().Backward();
        }
        var (m, r) = Measure(Step);
        Report("block_mlp_8x128x256", m, r);
        (m, r) = Measure(() => { using var scope = Tensor.NewDisposeScope(); Step(); });
        Report("block_mlp_8x128x256_scoped", m, r);
    }

    /// <summary>The issue's CNN, one Adam step on a random batch of 128, plain and scoped.</summary>
    private void CnnStep()
    {
        var g = new Generator(0);
        var model = Cnn(g);
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        var x = Tensor.Rand([128, 784], g);
        var labels = Enumerable.Range(0, 128).Select(i => i % 10).ToArray();
        var (m, r) = Measure(() => PlainStep(model, opt, x, labels));
        Report("train_cnn_b128_adam", m, r);
        (m, r) = Measure(() => TrainStep(model, opt, x, labels));
        Report("train_cnn_b128_adam_scoped", m, r);
    }

    /// <summary>A training step exactly as a PyTorch user writes it: no scope, nothing disposed.</summary>
    private static float PlainStep(Module model, Optimizer opt, Tensor x, int[] labels)
    {
        var loss = Functional.CrossEntropy(model.Forward(x), labels);
        opt.ZeroGrad();
        loss.Backward();
        opt.Step();
        return loss.Item();
    }

    /// <summary>An autoencoder 784-256-64-256-784 (ReLU, sigmoid output, MSE, Adam 1e-3, batch 128) for
    /// <paramref name="epochs"/> Fashion-MNIST epochs, plain and scoped; median epoch time and peak working set.</summary>
    private static void AutoencoderEpochs(int epochs)
    {
        if (epochs <= 0) return;
        if (!FashionMnist.IsAvailable())
        {
            Console.WriteLine($"{{\"impl\":\"autodiff\",\"skipped\":\"autoencoder epochs: {FashionMnist.HowToGet}\"}}");
            return;
        }
        var train = FashionMnist.Load(train: true);
        // Plain and scoped take turns epoch by epoch, each with its own model from the same seed, so neither pays more of
        // the JIT's warm-up or of a noisy neighbour than the other.
        var variants = new[] { false, true }.Select(scoped => new AutoencoderRun(train, scoped)).ToArray();
        foreach (var run in variants) run.Warm();
        for (int e = 0; e < epochs; e++)
            foreach (var run in variants) run.TimeEpoch();
        foreach (var run in variants)
            Report(run.Scoped ? "epoch_autoencoder_b128_adam_scoped" : "epoch_autoencoder_b128_adam", Median(run.Times), run.Times.Count,
                string.Create(CultureInfo.InvariantCulture,
                    $",\"peak_working_set_mb\":{run.PeakWorkingSet / 1048576.0:F0},\"peak_gc_committed_mb\":{run.PeakCommitted / 1048576.0:F0}"));
    }

    /// <summary>One variant of the autoencoder epoch: MseLoss(model(x), x), Adam, batch 128, plain or in a DisposeScope.</summary>
    private sealed class AutoencoderRun(TensorDataset train, bool scoped)
    {
        public bool Scoped => scoped;
        public readonly List<double> Times = [];
        public long PeakWorkingSet, PeakCommitted;
        private readonly Sequential _model = Autoencoder();
        private Adam? _opt;
        private readonly DataLoader _loader = new(train, 128, shuffle: true, seed: 0);

        private static Sequential Autoencoder()
        {
            var g = new Generator(0);
            return new Sequential(new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 64, generator: g), new ReLU(),
                new Linear(64, 256, generator: g), new ReLU(), new Linear(256, 784, generator: g), new Sigmoid());
        }

        private float Step(Tensor x)
        {
            _opt ??= new Adam(_model.Parameters(), lr: 1e-3f);
            var loss = Functional.MseLoss(_model.Forward(x), x);
            _opt.ZeroGrad();
            loss.Backward();
            _opt.Step();
            return loss.Item();
        }

        private void Batch(Tensor x)
        {
            if (!scoped) { Step(x); return; }
            using var scope = Tensor.NewDisposeScope();
            scope.Include(x);
            Step(x);
        }

        public void Warm()
        {
            foreach (var (x, _) in _loader.Take(40)) Batch(x);
        }

        /// <summary>One timed epoch after a clean start; the working set (process) and the GC's committed bytes (the
        /// managed heap, where every tensor buffer lives) sampled every 50 steps.</summary>
        public void TimeEpoch()
        {
            CleanStart();
            long t0 = Stopwatch.GetTimestamp();
            int i = 0;
            foreach (var (x, _) in _loader)
            {
                Batch(x);
                if (++i % 50 == 0)
                {
                    PeakWorkingSet = Math.Max(PeakWorkingSet, Environment.WorkingSet);
                    PeakCommitted = Math.Max(PeakCommitted, GC.GetGCMemoryInfo().TotalCommittedBytes);
                }
            }
            Times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }
    }

    /// <summary>A full, compacting collection (the large-object heap too) and empty pools, so each variant's peak working
    /// set starts from the same state, not from what the data loading or the previous variant left behind (the dataset's
    /// 188 MB of floats stay: they are in both); returns the working set after it.</summary>
    private static long CleanStart()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        Tensor.TrimBufferPools();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return Environment.WorkingSet;
    }
}
