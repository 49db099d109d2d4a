using System.Globalization;
using System.Text.Json;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Benchmarks.Compare;

/// <summary>Same start, same batches for the sequence models: bench/peers/seq_same_start.py writes PyTorch's initial
/// weights (start.safetensors) and the batches of every step (batches.safetensors, with the run's settings as JSON in its
/// metadata under "config"), trains, and prints <c>step N: loss L</c> for every step; these replay the same steps with our
/// modules and print the same lines, so the script can compare the two loss curves.</summary>
internal sealed partial class OursBench
{
    private static (Dictionary<string, Tensor> Batches, JsonElement Config) LoadRun(string directory)
    {
        var batches = Safetensors.Load(Path.Combine(directory, "batches.safetensors"), out var metadata);
        if (!metadata.TryGetValue("config", out var json))
            throw new InvalidDataException($"compare: {directory}/batches.safetensors has no \"config\" metadata (write it with bench/peers/seq_same_start.py).");
        return (batches, JsonDocument.Parse(json).RootElement);
    }

    private static void PrintLoss(int step, float loss) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step}: loss {loss:G9}"));

    /// <summary>The example's GPT without dropout (its random masks cannot match PyTorch's), PyTorch's initial weights,
    /// AdamW with nanoGPT's groups, clipping at 1.0, the script's batches of token ids.</summary>
    private static void SameStartGpt(string directory)
    {
        var (batches, c) = LoadRun(directory);
        int Get(string key) => c.GetProperty(key).GetInt32();
        int steps = Get("steps"), batch = Get("batch"), context = Get("context");
        var model = NewGpt(dropout: 0, vocab: Get("vocab"), context: context, layers: Get("layers"), heads: Get("heads"), channels: Get("channels"));
        model.LoadSafetensors(Path.Combine(directory, "start.safetensors"));
        var (decay, noDecay) = model.ParameterGroups();
        var opt = new AdamW([new ParamGroup(decay, weightDecay: c.GetProperty("weight_decay").GetDouble()), new ParamGroup(noDecay, weightDecay: 0)],
            lr: c.GetProperty("lr").GetDouble(), beta1: c.GetProperty("beta1").GetDouble(), beta2: c.GetProperty("beta2").GetDouble(),
            eps: c.GetProperty("eps").GetDouble());
        double clip = c.GetProperty("clip").GetDouble();
        int[] Ids(string name) => Array.ConvertAll(batches[name].ToDoubleArray(), v => (int)v);
        int[] xs = Ids("x"), ys = Ids("y");                                    // [steps, B, T] each
        int perStep = batch * context;
        for (int step = 1; step <= steps; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            var x = xs.AsSpan((step - 1) * perStep, perStep).ToArray();
            var y = ys.AsSpan((step - 1) * perStep, perStep).ToArray();
            var logits = model.Logits(x, batch, context);
            var loss = Functional.CrossEntropy(logits.Reshape(perStep, model.Config.VocabSize), y);
            opt.ZeroGrad();
            loss.Backward();
            Utils.ClipGradNorm(model.Parameters(), clip);
            opt.Step();
            PrintLoss(step, loss.Item());
        }
    }

    /// <summary>LSTM or GRU (input, hidden, layers), as the config's "model" says; PyTorch's initial weights, MSE against
    /// the script's targets, Adam; step s uses batch (s - 1) mod the number of batches written.</summary>
    private static void SameStartRecurrent(string directory)
    {
        var (batches, c) = LoadRun(directory);
        int Get(string key) => c.GetProperty(key).GetInt32();
        int steps = Get("steps");
        bool gru = c.GetProperty("model").GetString() == "gru";
        RNNBase model = gru ? new GRU(Get("input"), Get("hidden"), numLayers: Get("layers")) : new LSTM(Get("input"), Get("hidden"), numLayers: Get("layers"));
        model.LoadSafetensors(Path.Combine(directory, "start.safetensors"));
        var opt = new Adam(model.Parameters(), lr: c.GetProperty("lr").GetDouble());
        var (xs, targets) = (batches["x"], batches["target"]);                // [K, T, N, F], [K, T, N, H]
        int count = xs.Shape[0];
        for (int step = 1; step <= steps; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            int k = (step - 1) % count;
            var loss = Functional.MseLoss(((Module)model).Forward(xs.Select(0, k)), targets.Select(0, k));
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            PrintLoss(step, loss.Item());
        }
    }
}
