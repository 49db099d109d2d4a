// TorchSharp side of the side-by-side benchmark (bench/compare.sh). Not part of Autodiff.sln.
// Same workloads, timing policy and JSON lines as Autodiff.Benchmarks/Compare/OursBench.cs and bench/peers/torch_bench.py.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

int threads = 1, epochs = 3, cnnEpochs = 0;
double budget = 1.0;
string data = "/usr/share/datasets/fashion-mnist";
HashSet<string>? only = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--budget") budget = double.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--epochs") epochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--cnn-epochs") cnnEpochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--data") data = args[++i];
    else if (args[i] == "--only") only = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)];
}
// --only GROUP,...: the workload groups of OursBench's --only (training, cnn, matmul, tape, ops, block, sequence, epochs,
// autoencoder); all of them without it.
bool Want(string group) => only is null || only.Contains(group);

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
    for (int i = 0; i < 3 || sw.Elapsed.TotalSeconds < 0.3 || (i < 40 && sw.Elapsed.TotalSeconds < 3); i++) step();   // same warm-up as OursBench.cs (tiered JIT)
    var times = new List<double>();
    var total = Stopwatch.StartNew();
    while (times.Count < 5 || (times.Count < 300 && total.Elapsed.TotalSeconds < budget))
    {
        long t0 = Stopwatch.GetTimestamp();
        step();
        times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds / divisor);
    }
    return (Median(times), times.Count);
}

static double Median(List<double> values)
{
    values.Sort();
    int n = values.Count;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static nn.Module<Tensor, Tensor> Mlp(int[] sizes)
{
    torch.manual_seed(0);
    var layers = new List<nn.Module<Tensor, Tensor>>();
    for (int i = 0; i + 1 < sizes.Length; i++)
    {
        layers.Add(nn.Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.Length) layers.Add(nn.ReLU());
    }
    return nn.Sequential(layers.ToArray());
}

static float TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, Tensor x, Tensor labels)
{
    using var scope = torch.NewDisposeScope();
    var loss = nn.functional.cross_entropy(model.forward(x), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item<float>();
}

// The two training configurations of the issue (and of Autodiff.Examples/FashionMnist).
var configs = new (string Name, int[] Sizes, int Batch, Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer> MakeOpt)[]
{
    ("784-100-10_b100_sgd", [784, 100, 10], 100, p => optim.SGD(p, 0.1)),
    ("784-256-256-10_b128_adam", [784, 256, 256, 10], 128, p => optim.Adam(p, 1e-3)),
};

if (Want("training"))
foreach (var (name, sizes, batch, makeOpt) in configs)
{
    var model = Mlp(sizes);
    var opt = makeOpt(model.parameters());
    var x = torch.rand(batch, sizes[0]);
    var labels = torch.arange(batch, dtype: ScalarType.Int64) % sizes[^1];
    var (m, r) = Measure(() => TrainStep(model, opt, x, labels));
    Report($"train_{name}", m, r);
}

// MatMul, float32: squares and [M,K]x[K,N], then each network's first layer, forward and its two backward products
// (see Autodiff.Benchmarks/Compare/OursBench.cs): xWt = linear(x, W), dyW = dy @ W, dyTx = dy.t() @ x.
var matmuls = new (int M, int K, int N, string Kind)[]
{
    (64, 64, 64, ""), (256, 256, 256, ""), (1024, 1024, 1024, ""), (100, 784, 100, ""),
    (100, 784, 100, "xWt"), (100, 100, 784, "dyW"), (100, 100, 784, "dyTx"),
    (128, 784, 256, "xWt"), (128, 256, 784, "dyW"), (256, 128, 784, "dyTx"),
};
if (Want("matmul"))
foreach (var (mm, kk, nn_, kind) in matmuls)
{
    torch.manual_seed(1);
    var a = kind == "dyTx" ? torch.randn(kk, mm) : torch.randn(mm, kk);
    var b = kind == "xWt" ? torch.randn(nn_, kk) : torch.randn(kk, nn_);
    Func<Tensor> product = kind switch
    {
        "xWt" => () => nn.functional.linear(a, b),
        "dyTx" => () => a.t().matmul(b),
        _ => () => a.matmul(b),
    };
    var (m, r) = Measure(() => { using var scope = torch.NewDisposeScope(); using var noGrad = torch.no_grad(); product(); });
    Report($"matmul_{mm}x{kk}x{nn_}{(kind == "" ? "" : "_" + kind)}", m, r);
}

if (Want("tape"))
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

// The op workloads of issue 16 (see Autodiff.Benchmarks/Compare/OursBench.Ops.cs): forward + backward of one op, per call
// x.grad = None; op(x).sum().backward(), in a DisposeScope as TorchSharp users write it (native memory is not the GC's).
{
    var labels1000 = torch.tensor(Enumerable.Range(0, 1000).Select(i => (long)(i * 7 % 1000)).ToArray());
    var ops = new (string Name, string? Other, Func<Tensor, Tensor, Tensor> Op)[]
    {
        ("gelu", null, (x, _) => nn.functional.gelu(x)),
        ("relu", null, (x, _) => nn.functional.relu(x)),
        ("sigmoid", null, (x, _) => torch.sigmoid(x)),
        ("tanh", null, (x, _) => torch.tanh(x)),
        ("exp", null, (x, _) => torch.exp(x)),
        ("pow2", null, (x, _) => x.pow(2)),
        ("exp_mul_x", null, (x, _) => torch.exp(x) * x),
        ("mul", "same", (x, y) => x * y),
        ("add_bias", "row", (x, b) => x + b),
        ("mul_scalar", null, (x, _) => x * 2.0),
        ("log_softmax", null, (x, _) => nn.functional.log_softmax(x, -1)),
        ("softmax", null, (x, _) => nn.functional.softmax(x, -1)),
        ("layer_norm", "row", (x, w) => nn.functional.layer_norm(x, [x.shape[^1]], w, w)),
        ("mse_loss", "same", (x, t) => nn.functional.mse_loss(x, t.detach())),
    };
    string[] unary = ["gelu", "relu", "sigmoid", "tanh", "exp", "pow2", "mul_scalar"];
    void OpWorkload(string name, long rows, long cols, long[]? otherShape, Func<Tensor, Tensor, Tensor> op, string? label = null)
    {
        label ??= $"op_{name}_{rows}x{cols}";
        var g = new torch.Generator(1);
        var x = torch.randn(rows, cols, generator: g).requires_grad_();
        var y = otherShape is null ? x : torch.randn(otherShape, generator: g).requires_grad_();
        var (m, r) = Measure(() =>
        {
            using var scope = torch.NewDisposeScope();
            x.grad = null;
            y.grad = null;
            op(x, y).sum().backward();
        });
        string extra = unary.Contains(name) ? string.Create(CultureInfo.InvariantCulture, $",\"gb_per_s\":{5.0 * 4 * rows * cols / (m * 1e3):F2}") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"impl\":\"torchsharp\",\"workload\":\"{label}\",\"threads\":{torch.get_num_threads()},\"median_us\":{m:F3},\"reps\":{r}{extra}}}"));
    }
    long[]? Other(string? kind, long rows, long cols) => kind switch { "same" => [rows, cols], "row" => [cols], _ => null };
    if (Want("ops"))
    {
    foreach (var (name, other, op) in ops) OpWorkload(name, 1000, 1000, Other(other, 1000, 1000), op);
    foreach (long c in new long[] { 64, 256, 1024 })
        foreach (var name in new[] { "gelu", "add_bias", "softmax", "layer_norm" })
        {
            var (_, other, op) = ops.First(o => o.Name == name);
            OpWorkload(name, 1024, c, Other(other, 1024, c), op);
        }
    OpWorkload("softmax", 16 * 32, 32, null, (x, _) => nn.functional.softmax(x.view(16, 32, 32), -1), "op_softmax_16x32x32");
    OpWorkload("linear3to1", 1000, 3, [1, 3], (x, w) => nn.functional.linear(x, w), "op_linear3to1_1000x3");
    OpWorkload("cross_entropy", 1000, 1000, null, (x, _) => nn.functional.cross_entropy(x, labels1000), "op_cross_entropy_1000x1000");
    var gen = new torch.Generator(0);
    var (rm, rr) = Measure(() => { using var scope = torch.NewDisposeScope(); torch.randn(new long[] { 1000, 1000 }, generator: gen); });
    Report("randn_1000x1000", rm, rr);
    }

    // The transformer-style MLP block on [8, 128, 256]: LayerNorm -> Linear 256->1024 -> GELU -> Linear 1024->256 -> residual.
    if (Want("block"))
    {
    torch.manual_seed(0);
    var norm = nn.LayerNorm(256);
    var (fc1, fc2) = (nn.Linear(256, 1024), nn.Linear(1024, 256));
    var blockParams = norm.parameters().Concat(fc1.parameters()).Concat(fc2.parameters()).ToList();
    var xb = torch.randn(8, 128, 256).requires_grad_();
    var (bm, br) = Measure(() =>
    {
        using var scope = torch.NewDisposeScope();
        foreach (var p in blockParams) p.grad = null;
        xb.grad = null;
        (xb + fc2.forward(nn.functional.gelu(fc1.forward(norm.forward(xb))))).sum().backward();
    });
    Report("block_mlp_8x128x256", bm, br);
    }

    // The issue's CNN: one Adam step on a random batch of 128.
    if (Want("cnn"))
    {
    torch.manual_seed(0);
    var cnnStep = nn.Sequential(nn.Unflatten(1, [1, 28, 28]), nn.Conv2d(1, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10));
    var cnnStepOpt = optim.Adam(cnnStep.parameters(), lr: 1e-3);
    var xc = torch.rand(128, 784);
    var lc = torch.arange(128, dtype: ScalarType.Int64) % 10;
    var (cm, cr) = Measure(() => TrainStep(cnnStep, cnnStepOpt, xc, lc));
    Report("train_cnn_b128_adam", cm, cr);
    }
}

// The sequence models of issue 17 (see Autodiff.Benchmarks/Compare/OursBench.Sequence.cs, bench/peers/seq_models.py and
// SeqModels.cs here): the GPT training step, the LSTM and GRU training steps, and generation by nanoGPT's recompute loop.
if (Want("sequence"))
{
    void ReportTokens(string workload, int tokens, double medianUs, int reps) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"impl\":\"torchsharp\",\"workload\":\"{workload}\",\"threads\":{torch.get_num_threads()},\"median_us\":{medianUs:F3},\"reps\":{reps},\"tokens_per_s\":{tokens / (medianUs * 1e-6):F0}}}"));

    // GPT: 4 layers, 4 heads, 128 channels, context 64, batch 32, vocabulary 65, dropout 0.1; cross entropy, zero_grad,
    // backward, clip_grad_norm_(1.0), AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices only).
    torch.manual_seed(0);
    var gpt = new TorchSharpBench.Gpt(vocab: 65, context: 64, layers: 4, heads: 4, channels: 128, dropout: 0.1);
    var gptOpt = gpt.Optimizer(1e-3);
    var (gx, gy) = (torch.randint(65, [32, 64]), torch.randint(65, [32, 64]));
    var (sm, sr) = Measure(() =>
    {
        using var scope = torch.NewDisposeScope();
        var loss = nn.functional.cross_entropy(gpt.forward(gx).view(-1, 65), gy.view(-1));
        gptOpt.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(gpt.parameters(), 1.0);
        gptOpt.step();
        loss.item<float>();
    });
    ReportTokens("train_gpt_l4h4c128_t64_b32_adamw", 32 * 64, sm, sr);

    // LSTM and GRU: 2 layers of 256, input [64, 32, 256] (sequence first), MSE against a random target, SGD 0.01.
    foreach (var kind in new[] { "lstm", "gru" })
    {
        torch.manual_seed(0);
        var lstm = kind == "lstm" ? nn.LSTM(256, 256, numLayers: 2) : null;
        var gru = kind == "gru" ? nn.GRU(256, 256, numLayers: 2) : null;
        var rnnOpt = optim.SGD(lstm is not null ? lstm.parameters() : gru!.parameters(), 0.01);
        var (rx, rt) = (torch.randn(64, 32, 256), torch.randn(64, 32, 256));
        var (rm, rr) = Measure(() =>
        {
            using var scope = torch.NewDisposeScope();
            var output = lstm is not null ? lstm.forward(rx).Item1 : gru!.forward(rx).Item1;
            var loss = nn.functional.mse_loss(output, rt);
            rnnOpt.zero_grad();
            loss.backward();
            rnnOpt.step();
            loss.item<float>();
        });
        Report($"train_{kind}_l2h256_t64_b32_sgd", rm, rr);
    }

    // Generation: 300 tokens from the prompt [[1]] at temperature 0.8, eval mode, no grad, nanoGPT's recompute loop.
    gpt.eval();
    var (gm, gr) = Measure(() => gpt.GenerateRecompute(300, 0.8, new torch.Generator(3)));
    ReportTokens("gen_gpt_300tok_recompute", 300, gm, gr);
}

// One Fashion-MNIST epoch: all 60,000 training images, a fresh seeded permutation per epoch, forward + backward + step
// per batch. Data loaded to tensors once, outside the timing; 20 warm-up steps; median of the timed epochs.
string? IdxPath(string stem) => new[] { stem, stem + ".gz" }.Select(f => Path.Combine(data, f)).FirstOrDefault(File.Exists);
string[] stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"];
if (!Want("epochs") && !Want("autoencoder")) return 0;
if (stems.Any(s => IdxPath(s) is null))
{
    Console.WriteLine($"{{\"impl\":\"torchsharp\",\"skipped\":\"Fashion-MNIST epochs: data not found in {data} (sudo apt-get install dataset-fashion-mnist)\"}}");
    return 0;
}
var (imageDims, pixels) = ReadIdx(IdxPath(stems[0])!);
var images = torch.tensor(pixels, [imageDims[0], imageDims[1] * imageDims[2]]).to_type(ScalarType.Float32) / 255f;
var allLabels = torch.tensor(ReadIdx(IdxPath(stems[1])!).Data).to_type(ScalarType.Int64);
long count = allLabels.shape[0];
if (Want("epochs"))
foreach (var (label, (name, sizes, batch, makeOpt)) in new[] { "twolayer", "mlp" }.Zip(configs))
{
    var model = Mlp(sizes);
    var opt = makeOpt(model.parameters());
    var generator = new torch.Generator(0);
    void Epoch(int steps)
    {
        using var order = torch.randperm(count, generator: generator);
        for (long start = 0, i = 0; start < count && i < steps; start += batch, i++)
        {
            using var scope = torch.NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(batch, count - start));
            TrainStep(model, opt, images.index_select(0, index), allLabels.index_select(0, index));
        }
    }
    Epoch(20);
    var times = new List<double>();
    for (int e = 0; e < epochs; e++)
    {
        long t0 = Stopwatch.GetTimestamp();
        Epoch(int.MaxValue);
        times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
    }
    Report($"epoch_{label}_{name}", Median(times), times.Count);
}

// The issue's CNN (as torch_bench.py): two 3x3 convolutions with ReLU and 2x2 max pooling, then 3136-128-10; Adam 1e-3, batch 128.
if (cnnEpochs > 0 && Want("epochs"))
{
    torch.manual_seed(0);
    var cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10));
    var cnnOpt = optim.Adam(cnn.parameters(), lr: 1e-3);
    var images4 = images.view(count, 1, 28, 28);
    var generator = new torch.Generator(0);
    void CnnEpoch(int steps)
    {
        using var order = torch.randperm(count, generator: generator);
        for (long start = 0, i = 0; start < count && i < steps; start += 128, i++)
        {
            using var scope = torch.NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(128, count - start));
            TrainStep(cnn, cnnOpt, images4.index_select(0, index), allLabels.index_select(0, index));
        }
    }
    CnnEpoch(20);
    var times = new List<double>();
    for (int e = 0; e < cnnEpochs; e++)
    {
        long t0 = Stopwatch.GetTimestamp();
        CnnEpoch(int.MaxValue);
        times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
    }
    Report("epoch_cnn_b128_adam", Median(times), times.Count);
}

// An autoencoder 784-256-64-256-784 (ReLU, sigmoid output), MSE loss, Adam 1e-3, batch 128: one epoch.
if (epochs > 0 && Want("autoencoder"))
{
    torch.manual_seed(0);
    var ae = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 256), nn.ReLU(),
        nn.Linear(256, 784), nn.Sigmoid());
    var aeOpt = optim.Adam(ae.parameters(), lr: 1e-3);
    var generator = new torch.Generator(0);
    void AeEpoch(int steps)
    {
        using var order = torch.randperm(count, generator: generator);
        for (long start = 0, i = 0; start < count && i < steps; start += 128, i++)
        {
            using var scope = torch.NewDisposeScope();
            var xa = images.index_select(0, order.narrow(0, start, Math.Min(128, count - start)));
            var loss = nn.functional.mse_loss(ae.forward(xa), xa);
            aeOpt.zero_grad();
            loss.backward();
            aeOpt.step();
            loss.item<float>();
        }
    }
    AeEpoch(20);
    var times = new List<double>();
    for (int e = 0; e < epochs; e++)
    {
        long t0 = Stopwatch.GetTimestamp();
        AeEpoch(int.MaxValue);
        times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
    }
    Report("epoch_autoencoder_b128_adam", Median(times), times.Count);
}
return 0;

// An IDX file of unsigned bytes (plain or gzipped): its dimensions and data.
static (long[] Dims, byte[] Data) ReadIdx(string path)
{
    byte[] raw = File.ReadAllBytes(path);
    if (path.EndsWith(".gz", StringComparison.Ordinal))
    {
        using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        raw = output.ToArray();
    }
    int rank = raw[3];
    var dims = Enumerable.Range(0, rank).Select(i => (long)BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4 + 4 * i))).ToArray();
    return (dims, raw[(4 + 4 * rank)..]);
}
