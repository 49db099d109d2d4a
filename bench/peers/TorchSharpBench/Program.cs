// TorchSharp side of the side-by-side benchmark (bench/compare.sh). Not part of Autodiff.sln.
// Same workloads, timing policy and JSON lines as bench/OursBench and bench/peers/torch_bench.py.
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

int threads = 1;
double budget = 1.0;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--budget") budget = double.Parse(args[++i], CultureInfo.InvariantCulture);
}

try
{
    torch.set_num_threads(threads);
}
catch (Exception e)
{
    Console.WriteLine($"{{\"impl\":\"torchsharp\",\"error\":\"TorchSharp could not be loaded: {e.GetType().Name}: {e.Message.Replace("\"", "'").Replace("\n", " ")}\"}}");
    return 1;
}
torch.manual_seed(0);

void Report(string workload, double medianUs, int reps) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"impl\":\"torchsharp\",\"workload\":\"{workload}\",\"threads\":{torch.get_num_threads()},\"median_us\":{medianUs:F3},\"reps\":{reps}}}"));

(double, int) Measure(Action step, double divisor = 1)
{
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 3 || sw.Elapsed.TotalSeconds < 0.3; i++) step();
    var times = new List<double>();
    var total = Stopwatch.StartNew();
    while (times.Count < 5 || (times.Count < 300 && total.Elapsed.TotalSeconds < budget))
    {
        long t0 = Stopwatch.GetTimestamp();
        step();
        times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds / divisor);
    }
    times.Sort();
    int n = times.Count;
    return (n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2, n);
}

void Train(string name, int[] sizes, int batch, Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer> makeOpt)
{
    torch.manual_seed(0);
    var layers = new List<nn.Module<Tensor, Tensor>>();
    for (int i = 0; i + 1 < sizes.Length; i++)
    {
        layers.Add(nn.Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.Length) layers.Add(nn.ReLU());
    }
    var model = nn.Sequential(layers.ToArray());
    var opt = makeOpt(model.parameters());
    var x = torch.rand(batch, sizes[0]);
    var labels = torch.arange(batch, dtype: ScalarType.Int64) % sizes[^1];
    var (m, r) = Measure(() =>
    {
        using var scope = torch.NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.forward(x), labels);
        opt.zero_grad();
        loss.backward();
        opt.step();
    });
    Report(name, m, r);
}

Train("train_784-100-10_b100_sgd", [784, 100, 10], 100, p => optim.SGD(p, 0.1));
Train("train_784-256-256-10_b128_adam", [784, 256, 256, 10], 128, p => optim.Adam(p, 1e-3));

foreach (var (mm, kk, nn_) in new[] { (64, 64, 64), (256, 256, 256), (1024, 1024, 1024), (100, 784, 100) })
{
    torch.manual_seed(1);
    var a = torch.randn(mm, kk);
    var b = torch.randn(kk, nn_);
    var (m, r) = Measure(() => { using var scope = torch.NewDisposeScope(); a.matmul(b); });
    Report($"matmul_{mm}x{kk}x{nn_}", m, r);
}

{
    const int chain = 1000;
    var c = torch.full(1, 1.0001f);
    var (m, r) = Measure(() =>
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(1).requires_grad_();
        var y = x;
        for (int i = 0; i < chain; i++) y = y * c;
        y.sum().backward();
    }, divisor: chain);
    Report("chain1000_mul_fwd_bwd_per_op", m, r);
}
return 0;
