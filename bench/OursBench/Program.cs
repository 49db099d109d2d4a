// Same workloads as bench/peers/torch_bench.py and bench/peers/TorchSharpBench, same JSON lines:
// {"impl","workload","threads","median_us","reps"}. Autodiff is single-threaded, so threads is always 1.
using System.Diagnostics;
using System.Globalization;
using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

double budget = 1.0;   // seconds of timed repeats per workload (after warm-up)
for (int i = 0; i < args.Length; i++)
    if (args[i] == "--budget") budget = double.Parse(args[++i], CultureInfo.InvariantCulture);

void Report(string workload, double medianUs, int reps) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"impl\":\"autodiff\",\"workload\":\"{workload}\",\"threads\":1,\"median_us\":{medianUs:F3},\"reps\":{reps}}}"));

// Warm up (at least 3 calls and 0.3 s), then time single calls until the budget is spent (min 5, max 300); median.
(double medianUs, int reps) Measure(Action step, double perCallDivisor = 1)
{
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 3 || sw.Elapsed.TotalSeconds < 0.3; i++) step();
    var times = new List<double>();
    var total = Stopwatch.StartNew();
    while (times.Count < 5 || (times.Count < 300 && total.Elapsed.TotalSeconds < budget))
    {
        long t0 = Stopwatch.GetTimestamp();
        step();
        times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds / perCallDivisor);
    }
    times.Sort();
    int n = times.Count;
    double med = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    return (med, n);
}

void Train(string name, int[] sizes, int batch, Func<IEnumerable<Tensor>, Optimizer> makeOpt)
{
    var g = new Generator(0);
    var layers = new List<Module>();
    for (int i = 0; i + 1 < sizes.Length; i++)
    {
        layers.Add(new Linear(sizes[i], sizes[i + 1], generator: g));
        if (i + 2 < sizes.Length) layers.Add(new ReLU());
    }
    var model = new Sequential(layers.ToArray());
    var opt = makeOpt(model.Parameters());
    var x = Tensor.Rand([batch, sizes[0]], g);
    var labels = Enumerable.Range(0, batch).Select(i => i % sizes[^1]).ToArray();
    var (m, r) = Measure(() =>
    {
        var loss = Functional.CrossEntropy(model.Forward(x), labels);
        opt.ZeroGrad();
        loss.Backward();
        opt.Step();
    });
    Report(name, m, r);
}

Train("train_784-100-10_b100_sgd", [784, 100, 10], 100, p => new SGD(p, lr: 0.1f));
Train("train_784-256-256-10_b128_adam", [784, 256, 256, 10], 128, p => new Adam(p, lr: 1e-3f));

foreach (var (mm, kk, nn) in new[] { (64, 64, 64), (256, 256, 256), (1024, 1024, 1024), (100, 784, 100) })
{
    var g = new Generator(1);
    var a = Tensor.Randn([mm, kk], g);
    var b = Tensor.Randn([kk, nn], g);
    var (m, r) = Measure(() => a.MatMul(b));
    Report($"matmul_{mm}x{kk}x{nn}", m, r);
}

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
