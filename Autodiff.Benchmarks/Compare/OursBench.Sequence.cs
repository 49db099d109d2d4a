using System.Globalization;
using Autodiff.Examples.Gpt;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Benchmarks.Compare;

/// <summary>The sequence-model workloads of issue 17 (group <c>sequence</c>): a training step of the gpt example's
/// transformer, of a 2-layer LSTM and GRU, and the example's sampling loop, each written as a PyTorch user writes it (no
/// DisposeScope: the headline) and, for the training steps, again inside a DisposeScope per step (<c>_scoped</c>, ours only).</summary>
/// <remarks>Same models, sizes, seeds and optimizers in bench/peers/torch_bench.py and bench/peers/TorchSharpBench:
/// <list type="bullet">
/// <item><c>train_gpt_l4h4c128_t64_b32_adamw</c>: Autodiff.Examples/Gpt's model (nanoGPT: 4 pre-norm blocks, 4 heads, 128
/// channels, context 64, vocabulary 65, dropout 0.1 in training, weight-tied head), random token ids [32, 64] and targets;
/// per step forward, cross entropy, ZeroGrad, Backward, ClipGradNorm(1.0), AdamW step (lr 1e-3, betas 0.9/0.99, weight
/// decay 0.1 on matrices and embeddings, 0 on biases and norms), loss read back.</item>
/// <item><c>train_lstm_l2h256_t64_b32_sgd</c> / <c>train_gru_…</c>: LSTM/GRU(256, 256, numLayers 2), input [64, 32, 256]
/// (sequence first), MSE against a random target [64, 32, 256], SGD lr 0.01.</item>
/// <item><c>gen_gpt_300tok_cache</c> / <c>gen_gpt_300tok_recompute</c>: the same GPT in eval mode, no grad, 300 tokens
/// from the 1-token prompt [1] at temperature 0.8 (no top-k) through the example's Sampler, with the key/value cache or
/// rerunning the model on the last 64 tokens per token (nanoGPT's generate); the time of the 300 tokens, and tokens/s.</item>
/// </list></remarks>
internal sealed partial class OursBench
{
    private const int GptVocab = 65, GptContext = 64, GptBatch = 32, GptLayers = 4, GptHeads = 4, GptChannels = 128, GenTokens = 300;
    private const int RnnSteps = 64, RnnBatch = 32, RnnInput = 256, RnnHidden = 256;

    private void SequenceModels()
    {
        GptTraining();
        RecurrentTraining("lstm");
        RecurrentTraining("gru");
        GptGeneration();
    }

    /// <summary>The example's GPT at the benchmark's sizes (dropout 0.1; the same-start replay uses 0).</summary>
    private static Gpt NewGpt(double dropout = 0.1, int vocab = GptVocab, int context = GptContext, int layers = GptLayers,
        int heads = GptHeads, int channels = GptChannels) =>
        new(new ModelConfig("gpt", vocab, context, layers, heads, channels, dropout), new Generator(0));

    /// <summary>AdamW with nanoGPT's two parameter groups (weight decay on matrices and embeddings only).</summary>
    private static AdamW GptOptimizer(Gpt model, double lr = 1e-3)
    {
        var (decay, noDecay) = model.ParameterGroups();
        return new AdamW([new ParamGroup(decay, weightDecay: 0.1), new ParamGroup(noDecay, weightDecay: 0)], lr: lr, beta1: 0.9, beta2: 0.99);
    }

    /// <summary>One GPT training step as the example's loop writes it, without its DisposeScope.</summary>
    private static float GptStep(Gpt model, Optimizer opt, int[] x, int[] y, int batch, int context)
    {
        var logits = model.Logits(x, batch, context);                                              // [B, T, V]
        var loss = Functional.CrossEntropy(logits.Reshape(batch * context, model.Config.VocabSize), y);
        opt.ZeroGrad();
        loss.Backward();
        Utils.ClipGradNorm(model.Parameters(), 1.0);
        opt.Step();
        return loss.Item();
    }

    private void GptTraining()
    {
        var model = NewGpt();
        var opt = GptOptimizer(model);
        var g = new Generator(1);
        int[] x = [.. Enumerable.Range(0, GptBatch * GptContext).Select(_ => g.NextInt(GptVocab))];
        int[] y = [.. Enumerable.Range(0, GptBatch * GptContext).Select(_ => g.NextInt(GptVocab))];
        const string name = "train_gpt_l4h4c128_t64_b32_adamw";
        WarmUpTogether(() => GptStep(model, opt, x, y, GptBatch, GptContext), () => GptStep(model, opt, x, y, GptBatch, GptContext), 10, 2, 10);
        var (m, r) = Measure(() => GptStep(model, opt, x, y, GptBatch, GptContext));
        Report(name, m, r, TokensPerSecond(GptBatch * GptContext, m));
        (m, r) = Measure(() => { using var scope = Tensor.NewDisposeScope(); GptStep(model, opt, x, y, GptBatch, GptContext); });
        Report(name + "_scoped", m, r, TokensPerSecond(GptBatch * GptContext, m));
    }

    private void RecurrentTraining(string kind)
    {
        var g = new Generator(0);
        RNNBase model = kind == "gru" ? new GRU(RnnInput, RnnHidden, numLayers: 2, generator: g) : new LSTM(RnnInput, RnnHidden, numLayers: 2, generator: g);
        var opt = new SGD(model.Parameters(), lr: 0.01);
        var x = Tensor.Randn([RnnSteps, RnnBatch, RnnInput], g);
        var target = Tensor.Randn([RnnSteps, RnnBatch, RnnHidden], g);
        float Step()
        {
            var loss = Functional.MseLoss(model.Forward(x), target);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            return loss.Item();
        }
        string name = $"train_{kind}_l2h256_t64_b32_sgd";
        WarmUpTogether(() => Step(), () => Step(), 10, 2, 10);
        var (m, r) = Measure(() => Step());
        Report(name, m, r);
        (m, r) = Measure(() => { using var scope = Tensor.NewDisposeScope(); Step(); });
        Report(name + "_scoped", m, r);
    }

    /// <summary>300 tokens from the prompt [1] through the example's Sampler, with and without the key/value cache. The
    /// sampling generator restarts from the same seed every call, so every call draws the same text.</summary>
    private void GptGeneration()
    {
        var model = NewGpt();
        model.Eval();
        foreach (bool cache in new[] { true, false })
        {
            var (m, r) = Measure(() => Sampler.Generate(model, [1], GenTokens, 0.8, 0, new Generator(3), cache));
            Report($"gen_gpt_{GenTokens}tok_{(cache ? "cache" : "recompute")}", m, r, TokensPerSecond(GenTokens, m));
        }
    }

    private static string TokensPerSecond(int tokens, double us) =>
        string.Create(CultureInfo.InvariantCulture, $",\"tokens_per_s\":{tokens / (us * 1e-6):F0}");
}
