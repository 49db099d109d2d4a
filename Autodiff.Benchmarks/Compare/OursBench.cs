using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Autodiff.Benchmarks.Training;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.Optim;

namespace Autodiff.Benchmarks.Compare;

/// <summary>Our side of bench/compare.sh: the same workloads as bench/peers/torch_bench.py and bench/peers/TorchSharpBench,
/// printed as the same JSON lines <c>{"impl","workload","threads","median_us","reps", ...extra fields}</c>.</summary>
/// <remarks>Run as <c>dotnet Autodiff.Benchmarks.dll compare [options]</c>. Options: <c>--budget SECONDS</c> (timed repeats
/// per workload), <c>--threads N</c> (sets <see cref="Threading.NumThreads"/>), <c>--epochs N</c> (timed Fashion-MNIST
/// epochs per model), <c>--cnn-epochs N</c>, <c>--profile NAME</c> (only loop that training step, for bench/profile.sh, no
/// timing output), <c>--same-start DIR</c> (replay bench/peers/cnn_same_start.py's start and batches, print its losses),
/// <c>--same-start-gpt DIR</c> / <c>--same-start-lstm DIR</c> / <c>--same-start-gru DIR</c> (the same for
/// bench/peers/seq_same_start.py) and
/// <c>--only GROUP,...</c> (run only those workload groups).
/// Ours only: bytes allocated per training step, gen-2 collections per epoch, and the 1e6-element forward of Exp and Add
/// against a bare TensorPrimitives call on float[] arrays of the same size.</remarks>
internal sealed partial class OursBench
{
    private readonly double _budget;   // seconds of timed repeats per workload (after warm-up)

    private OursBench(double budget) => _budget = budget;

    /// <summary>The two training configurations of the issue (and of Autodiff.Examples/FashionMnist): name, sizes, batch, optimizer.</summary>
    private static readonly (string Name, int[] Sizes, int Batch, Func<IEnumerable<Tensor>, Optimizer> MakeOpt)[] Configs =
    [
        ("784-100-10_b100_sgd", [784, 100, 10], 100, p => new SGD(p, lr: 0.1f)),
        ("784-256-256-10_b128_adam", [784, 256, 256, 10], 128, p => new Adam(p, lr: 1e-3f)),
    ];

    /// <summary>Parses the options and runs the workloads (or the profile loop, or the same-start replay).</summary>
    /// <exception cref="ArgumentException">An option is not one of those above, or --profile names no workload.</exception>
    public static void Run(string[] args)
    {
        double budget = 1.0;
        int threads = 1, epochs = 3, cnnEpochs = 0;
        string? profile = null, sameStart = null, sameStartGpt = null, sameStartRecurrent = null;
        HashSet<string>? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--budget") budget = double.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--threads") threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--epochs") epochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--profile") profile = args[++i];
            else if (args[i] == "--cnn-epochs") cnnEpochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--same-start") sameStart = args[++i];
            else if (args[i] == "--same-start-gpt") sameStartGpt = args[++i];
            else if (args[i] is "--same-start-lstm" or "--same-start-gru") sameStartRecurrent = args[++i];   // the kind is in the run's config
            else if (args[i] == "--only") only = [.. args[++i].Split(',')];
            else throw new ArgumentException($"compare: unknown option '{args[i]}' (expected --budget S, --threads N, --epochs N, " +
                "--cnn-epochs N, --profile NAME, --same-start DIR, --same-start-gpt DIR, --same-start-lstm DIR, --same-start-gru DIR or --only GROUP,...).");
        }
        Threading.NumThreads = threads;

        if (sameStart is not null) { SameStart(sameStart); return; }
        if (sameStartGpt is not null) { SameStartGpt(sameStartGpt); return; }
        if (sameStartRecurrent is not null) { SameStartRecurrent(sameStartRecurrent); return; }
        if (profile is not null) { Profile(profile); return; }
        var bench = new OursBench(budget);
        (string Group, Action Run)[] groups =
        [
            ("training", bench.TrainingSteps), ("cnn", bench.CnnStep), ("matmul", bench.MatMuls), ("tape", bench.TapeOverhead),
            ("elementwise", bench.Elementwise), ("copy", bench.CopyBandwidth), ("ops", bench.OpWorkloads),
            ("block", bench.TransformerBlock), ("sequence", bench.SequenceModels), ("epochs", () => Epochs(epochs, cnnEpochs)), ("autoencoder", () => AutoencoderEpochs(epochs)),
        ];
        if (only?.FirstOrDefault(o => !groups.Any(g => g.Group == o)) is { } unknown)
            throw new ArgumentException($"compare: --only '{unknown}' is not a group ({string.Join(", ", groups.Select(g => g.Group))}).");
        foreach (var (group, run) in groups)
            if (only is null || only.Contains(group)) run();
    }

    private static void Report(string workload, double medianUs, int reps, string extra = "") =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"impl\":\"autodiff\",\"workload\":\"{workload}\",\"threads\":{Threading.NumThreads},\"median_us\":{medianUs:F3},\"reps\":{reps}{extra}}}"));

    /// <summary>Warm up (at least 3 calls and 0.3 s, and 40 calls unless that takes over 3 s: .NET's tiered JIT recompiles
    /// a method with full optimization after ~30 calls, and the first, quickly jitted code is several times slower), then
    /// time single calls until the budget is spent (min 5, max 300); median.</summary>
    private (double MedianUs, int Reps) Measure(Action step, double perCallDivisor = 1)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 3 || sw.Elapsed.TotalSeconds < 0.3 || (i < 40 && sw.Elapsed.TotalSeconds < 3); i++) step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (times.Count < 300 && total.Elapsed.TotalSeconds < _budget))
        {
            long t0 = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds / perCallDivisor);
        }
        return (Median(times), times.Count);
    }

    /// <summary>Runs a plain loop's step and its scoped twin alternately (at least <paramref name="minSteps"/> each and
    /// <paramref name="minSeconds"/>, at most <paramref name="maxSeconds"/>) before either is timed. Otherwise the row
    /// timed first measures the JIT's early code and a buffer pool still filling (it fills at the GC's pace: a plain
    /// loop's buffers come back at its collections); measured: whichever of the two rows ran first was the slow one.</summary>
    private static void WarmUpTogether(Action plain, Action scoped, int minSteps, double minSeconds, double maxSeconds)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; (i < minSteps || warm.Elapsed.TotalSeconds < minSeconds) && warm.Elapsed.TotalSeconds < maxSeconds; i++)
        {
            plain();
            using var scope = Tensor.NewDisposeScope();
            scoped();
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    private static Sequential Mlp(int[] sizes, Generator g)
    {
        var layers = new List<Module>();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            layers.Add(new Linear(sizes[i], sizes[i + 1], generator: g));
            if (i + 2 < sizes.Length) layers.Add(new ReLU());
        }
        return new Sequential([.. layers]);
    }

    /// <summary>The issue's CNN, as in Autodiff.Examples/FashionMnist (--model cnn) and the peers' scripts.</summary>
    private static Module Cnn(Generator g) => new Sequential(new Unflatten(1, 1, 28, 28),
        new Conv2d(1, 32, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2), new Conv2d(32, 64, 3, padding: 1, generator: g),
        new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(3136, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));

    /// <summary>A training step as a performance-minded user writes it, in a DisposeScope (<see cref="Models.Step"/>): this
    /// step's activations, gradients and the batch go back to the buffer pool (PyTorch frees them by reference counting;
    /// .NET needs the scope).</summary>
    private static float TrainStep(Module model, Optimizer opt, Tensor x, int[] labels, bool ownsBatch = false) =>
        Models.Step(model, opt, x, labels, ownsBatch);

    /// <summary>From the weights and the shuffled order PyTorch wrote, one epoch of the same batches; the loss printed at
    /// the same steps as bench/peers/cnn_same_start.py, so the two can be compared line by line.</summary>
    private static void SameStart(string directory)
    {
        int[] reportSteps = [1, 2, 3, 5, 10, 20, 50, 100, 200, 300, 400, 469];
        var (trainSet, testSet) = (FashionMnist.Load(train: true), FashionMnist.Load(train: false));
        var model = Cnn(new Generator(0));
        model.LoadSafetensors(Path.Combine(directory, "start.safetensors"));
        int[] order = Array.ConvertAll(Safetensors.Load(Path.Combine(directory, "order.safetensors"))["order"].ToDoubleArray(), v => (int)v);
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        double total = 0;
        int step = 0;
        foreach (var batch in order.Chunk(128))
        {
            float loss = TrainStep(model, opt, Autodiff.Ops.IndexSelect(trainSet.Inputs, 0, batch), [.. batch.Select(i => trainSet.Labels[i])], ownsBatch: true);
            total += loss;
            if (reportSteps.Contains(++step)) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step}: loss {loss:F6}"));
        }
        model.Eval();
        int correct = 0;
        using (Tape.NoGrad())
            foreach (var (x, y) in new DataLoader(testSet, 1000))
            {
                var predicted = Autodiff.Ops.ArgmaxIndices(model.Forward(x), 1);
                for (int i = 0; i < y.Length; i++) if (predicted[i] == y[i]) correct++;
            }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch mean loss {total / step:F6}, test accuracy {correct / (double)testSet.Count:F4}"));
    }

    /// <summary>Loops one training step for 20 s, for perf to sample (bench/profile.sh); prints nothing.</summary>
    /// <exception cref="ArgumentException">The name is not one of the training configurations or <c>cnn_b128_adam</c>.</exception>
    private static void Profile(string name)
    {
        var g = new Generator(0);
        Module model;
        Optimizer opt;
        Tensor x;
        int[] labels;
        if (name == "cnn_b128_adam")
        {
            model = Cnn(g);
            opt = new Adam(model.Parameters(), lr: 1e-3f);
            x = Tensor.Rand([128, 784], g);
            labels = Enumerable.Range(0, 128).Select(i => i % 10).ToArray();
        }
        else
        {
            int index = Array.FindIndex(Configs, c => c.Name == name);
            if (index < 0)
                throw new ArgumentException($"compare: unknown --profile '{name}' (expected {string.Join(", ", Configs.Select(c => c.Name))} or cnn_b128_adam).");
            var (_, sizes, batch, makeOpt) = Configs[index];
            model = Mlp(sizes, g);
            opt = makeOpt(model.Parameters());
            x = Tensor.Rand([batch, sizes[0]], g);
            labels = Enumerable.Range(0, batch).Select(i => i % sizes[^1]).ToArray();
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 20) TrainStep(model, opt, x, labels);   // perf samples this
    }

    /// <summary>One training step of each configuration on a fixed random batch, and its steady-state allocation.</summary>
    private void TrainingSteps()
    {
        foreach (var (name, sizes, batch, makeOpt) in Configs)
        {
            var g = new Generator(0);
            var model = Mlp(sizes, g);
            var opt = makeOpt(model.Parameters());
            var x = Tensor.Rand([batch, sizes[0]], g);
            var labels = Enumerable.Range(0, batch).Select(i => i % sizes[^1]).ToArray();
            WarmUpTogether(() => PlainStep(model, opt, x, labels), () => TrainStep(model, opt, x, labels), 200, 1, 5);
            foreach (bool scoped in new[] { false, true })
            {
                float Step() => scoped ? TrainStep(model, opt, x, labels) : PlainStep(model, opt, x, labels);
                var (m, r) = Measure(() => Step());
                // Steady-state allocation per step, after the warm-up above; all threads (kernels may use workers).
                const int allocSteps = 50;
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < allocSteps; i++) Step();
                double bytesPerStep = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)allocSteps;
                Report($"train_{name}{(scoped ? "_scoped" : "")}", m, r,
                    string.Create(CultureInfo.InvariantCulture, $",\"alloc_bytes_per_step\":{bytesPerStep:F0}"));
            }
        }
    }

    /// <summary>MatMul, float32. Squares and [M,K]x[K,N]; then the first layer of each network, forward and its two
    /// backward products:
    /// <code>
    ///   xWt  = x·Wᵀ  (x [batch, in], W [out, in])            -> M = batch, K = in,    N = out
    ///   dyW  = dy·W  (dy [batch, out], W [out, in])           -> M = batch, K = out,   N = in
    ///   dyTx = dyᵀ·x (dy [batch, out] read transposed, x [batch, in]) -> M = out, K = batch, N = in
    /// </code>
    /// xWt through Functional.Linear (reads Wᵀ in place), dyW through MatMul, and dyᵀ·x through the GEMM call that
    /// Linear's backward makes (transA read in place; the public API has no transposed view to pass to MatMul). Outputs
    /// go back to the pool after each call, as a caching allocator does for the peers.</summary>
    private void MatMuls()
    {
        var matmuls = new (int M, int K, int N, string Kind)[]
        {
            (64, 64, 64, ""), (256, 256, 256, ""), (1024, 1024, 1024, ""), (100, 784, 100, ""),
            (100, 784, 100, "xWt"), (100, 100, 784, "dyW"), (100, 100, 784, "dyTx"),
            (128, 784, 256, "xWt"), (128, 256, 784, "dyW"), (256, 128, 784, "dyTx"),
        };
        foreach (var (mm, kk, nn, kind) in matmuls)
        {
            var g = new Generator(1);
            // Stored shapes: xWt reads b as [N, K]; dyTx reads a as [K, M].
            var a = Tensor.Randn(kind == "dyTx" ? [kk, mm] : [mm, kk], g);
            var b = Tensor.Randn(kind == "xWt" ? [nn, kk] : [kk, nn], g);
            Func<Tensor> product = kind switch
            {
                "xWt" => () => Functional.Linear(a, b),
                "dyTx" => () =>
                {
                    var c = Compute.Zeros(new Shape(mm, nn), DType.Float32);
                    Compute.Gemm(a, 0, true, b, 0, false, c, 0, mm, kk, nn, accumulate: false);
                    return c;
                },
                _ => () => a.MatMul(b),
            };
            var (m, r) = Measure(() => { using (Tape.NoGrad()) product().Dispose(); });
            Report($"matmul_{mm}x{kk}x{nn}{(kind == "" ? "" : "_" + kind)}", m, r);
        }
    }

    /// <summary>The tape overhead per tiny op: a chain of 1000 scalar multiplies, forward and backward, per op.</summary>
    private void TapeOverhead()
    {
        const int chain = 1000;
        var c = Tensor.Full([1], 1.0001);
        var (m, r) = Measure(() =>
        {
            var x0 = Tensor.Ones([1], DType.Float32).RequireGrad();
            var x = x0;
            for (int i = 0; i < chain; i++) x = x * c;
            x.Sum().Backward();
        }, perCallDivisor: chain);
        Report("chain1000_mul_fwd_bwd_per_op", m, r);
    }

    /// <summary>Element-wise forward at 1e6 (nothing recorded: the inputs do not require grad) against TensorPrimitives on float[].</summary>
    private void Elementwise()
    {
        const int n = 1_000_000;
        var a = Tensor.Randn([n], seed: 1);
        var b = Tensor.Randn([n], seed: 2);
        var (xs, ys, zs) = (a.ToArray(), b.ToArray(), new float[n]);
        foreach (var (name, ours, bare) in new (string, Func<Tensor>, Action)[]
        {
            ("exp_1e6_fwd", () => a.Exp(), () => TensorPrimitives.Exp(xs, zs)),
            ("add_1e6_fwd", () => a + b, () => TensorPrimitives.Add(xs, ys, zs)),
        })
        {
            var (bareUs, _) = Measure(bare);
            var (m, r) = Measure(() => ours().Dispose());                 // the output buffer is reused, as zs is
            Report(name, m, r, string.Create(CultureInfo.InvariantCulture, $",\"bare_us\":{bareUs:F3}"));
        }
    }

    /// <summary>One Fashion-MNIST epoch: all 60,000 training images, shuffled by the seeded DataLoader as in the example,
    /// forward + backward + step per batch. Data loaded once, outside the timing; 20 warm-up steps; median of the timed
    /// epochs. A model asked for 0 epochs is skipped (there is no median to report).</summary>
    private static void Epochs(int epochs, int cnnEpochs)
    {
        var epochRuns = new[] { "twolayer", "mlp" }.Zip(Configs).Select(p => (p.First, p.Second.Name, p.Second.Batch, Epochs: epochs,
            Make: (Func<Generator, Module>)(g => Mlp(p.Second.Sizes, g)), p.Second.MakeOpt)).ToList();
        if (cnnEpochs > 0) epochRuns.Add(("cnn", "b128_adam", 128, cnnEpochs, Cnn, p => new Adam(p, lr: 1e-3f)));
        epochRuns.RemoveAll(run => run.Epochs <= 0);
        if (epochRuns.Count == 0) return;
        if (!FashionMnist.IsAvailable())
        {
            Console.WriteLine($"{{\"impl\":\"autodiff\",\"skipped\":\"Fashion-MNIST epochs: {FashionMnist.HowToGet}\"}}");
            return;
        }
        var train = FashionMnist.Load(train: true);
        foreach (var (label, name, batch, runEpochs, make, makeOpt) in epochRuns)
        {
            var g = new Generator(0);
            var model = make(g);
            var opt = makeOpt(model.Parameters());
            var loader = new DataLoader(train, batch, shuffle: true, seed: 0);
            foreach (var (x, y) in loader.Take(20)) TrainStep(model, opt, x, y, ownsBatch: true);
            foreach (bool scoped in new[] { false, true })
            {
                var times = new List<double>();
                int gen2Max = 0;
                for (int e = 0; e < runEpochs; e++)
                {
                    int gen2 = GC.CollectionCount(2);
                    long t0 = Stopwatch.GetTimestamp();
                    double lossSum = 0;
                    foreach (var (x, y) in loader)
                        lossSum += scoped ? TrainStep(model, opt, x, y, ownsBatch: true) : PlainStep(model, opt, x, y);
                    times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                    gen2Max = Math.Max(gen2Max, GC.CollectionCount(2) - gen2);
                }
                Report($"epoch_{label}_{name}{(scoped ? "_scoped" : "")}", Median(times), times.Count, $",\"gen2_per_epoch_max\":{gen2Max}");
            }
        }
    }
}
