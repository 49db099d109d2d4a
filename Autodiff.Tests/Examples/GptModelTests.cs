using Autodiff.Examples.Gpt;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.Examples;

/// <summary>The gpt example's model, sampler and checkpoint, on tiny synthetic texts built here (never system files).</summary>
public class GptModelTests
{
    // 200 characters of made-up English: the overfitting text.
    private static readonly string Text200 = string.Concat(Enumerable.Repeat(
        "the cat sat on a warm mat, a dog ran by the old barn; five owls sang at dusk while the river kept its slow time. ", 2))[..200];

    private static ModelConfig Tiny(int vocab, int context = 16, int layers = 2, int heads = 2, int channels = 16, double dropout = 0) =>
        new("gpt", vocab, context, layers, heads, channels, dropout);

    private static int[] RandomTokens(int count, int vocab, long seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, count).Select(_ => g.NextInt(vocab)).ToArray();
    }

    [Test]
    public void Gpt_HasNanoGptParameterNamesAndNoSeparateHeadWeight()
    {
        var model = new Gpt(Tiny(10, layers: 1), new Generator(1));
        var names = model.StateDict().Keys.ToArray();
        Assert.That(names, Is.EqualTo(new[]
        {
            "wte.weight", "wpe.weight",
            "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight",
            "h.0.attn.c_proj.bias", "h.0.ln_2.weight", "h.0.ln_2.bias", "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias",
            "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias", "ln_f.weight", "ln_f.bias",
        }));
        var (decay, noDecay) = model.ParameterGroups();
        Assert.That(decay.All(p => p.Rank == 2) && noDecay.All(p => p.Rank == 1), Is.True);
        Assert.That(decay, Has.Length.EqualTo(6));   // wte, wpe, c_attn, attn.c_proj, c_fc, mlp.c_proj
    }

    [Test]
    public void Gpt_HeadIsTiedToTheTokenEmbedding()
    {
        var model = new Gpt(Tiny(7), new Generator(2));
        var tokens = RandomTokens(2 * 5, 7, 3);
        var loss = model.Logits(tokens, 2, 5).Sum();
        loss.Backward();
        var wte = model.NamedParameters().First(p => p.Name == "wte.weight").Parameter;
        // Every row of wte gets gradient through the head, also the rows of tokens that never appear in the input.
        var unused = Enumerable.Range(0, 7).Except(tokens).ToArray();
        Assume.That(unused, Is.Not.Empty);
        var grad = wte.Grad!.ToArray();
        Assert.That(Enumerable.Range(0, 16).Any(j => grad[unused[0] * 16 + j] != 0), Is.True);
    }

    [Test]
    public void Training_OverfitsA200CharacterTextToNearZeroLoss()
    {
        var vocabulary = CharVocabulary.FromText(Text200);
        var ids = vocabulary.Encode(Text200);
        int context = ids.Length - 1;                                    // one window: the whole text
        var x = ids[..context];
        var y = ids[1..];
        var model = new Gpt(Tiny(vocabulary.Count, context, layers: 1, heads: 2, channels: 32), new Generator(4));
        var (decay, noDecay) = model.ParameterGroups();
        var optimizer = new AdamW([new ParamGroup(decay, weightDecay: 0.1), new ParamGroup(noDecay, weightDecay: 0)], lr: 1e-2, beta2: 0.99);
        double loss = double.NaN;
        int step = 0;
        while (step < 300 && !(loss < 0.05))
        {
            loss = GptCommand.TrainStep(model, optimizer, x, y, 1, context, gradClip: 1.0);
            step++;
        }
        TestContext.Out.WriteLine($"loss {loss:F4} after {step} steps");
        Assert.That(loss, Is.LessThan(0.1));
    }

    [Test]
    public void Sampler_RepeatsWithTheSameSeedAndDiffersWithAnother()
    {
        var model = new Gpt(Tiny(12, dropout: 0.2), new Generator(5));
        int[] Draw(long seed) => Sampler.Generate(model, [1, 2], 40, temperature: 1.0, topK: 0, new Generator(seed));
        Assert.That(Draw(9), Is.EqualTo(Draw(9)));
        Assert.That(Draw(9), Is.Not.EqualTo(Draw(10)));
        Assert.That(model.Training, Is.True, "sampling puts the model back in training mode");
    }

    [Test]
    public void Sampler_TopKOneAndTemperatureZeroPickTheMostLikelyToken()
    {
        var model = new Gpt(Tiny(12), new Generator(6));
        var greedy = Sampler.Generate(model, [3], 30, temperature: 0, topK: 0, new Generator(1));
        var topOne = Sampler.Generate(model, [3], 30, temperature: 1.3, topK: 1, new Generator(2));
        Assert.That(topOne, Is.EqualTo(greedy));
    }

    [Test]
    public void Sampler_TopKDrawsOnlyAmongTheKLargestLogits()
    {
        var logits = Tensor.FromArray([0.5f, 3f, -1f, 2.5f, 2.9f, 0f]);
        var g = new Generator(3);
        var drawn = Enumerable.Range(0, 300).Select(_ => Sampler.Draw(logits, 2.0, 3, g)).ToHashSet();
        Assert.That(drawn, Is.EquivalentTo(new[] { 1, 3, 4 }));
    }

    [TestCase(DType.Float64, 1e-12)]
    [TestCase(DType.Float32, 2e-5)]
    public void CachedDecoder_GivesTheFullContextLogitsAtEveryStep(DType dtype, double tolerance)
    {
        var config = Tiny(11, context: 12, layers: 2, heads: 2, channels: 16);
        var model = new Gpt(config, new Generator(7));
        model.To(dtype);
        model.Eval();
        using var noGrad = Tape.NoGrad();
        var tokens = RandomTokens(12, 11, 8);
        var decoder = model.NewDecoder(cache: true);
        var cached = new List<double[]> { decoder.Feed(tokens.AsSpan(0, 3)).ToDoubleArray() };   // a 3-token prompt at once
        for (int t = 3; t < tokens.Length; t++) cached.Add(decoder.Feed(tokens.AsSpan(t, 1)).ToDoubleArray());
        for (int i = 0; i < cached.Count; i++)
        {
            int length = 3 + i;
            var full = model.Logits(tokens[..length], 1, length).Select(1, length - 1).ToDoubleArray();   // [V] at the last position
            Assert.That(cached[i], Is.EqualTo(full).Within(tolerance), $"step {i}, {length} tokens");
        }
    }

    [Test]
    public void CachedDecoder_SlidesToTheLastHalfContextWhenFull()
    {
        var config = Tiny(9, context: 8);
        var model = new Gpt(config, new Generator(9)).Double();
        model.Eval();
        var gpt = (Gpt)model;
        using var noGrad = Tape.NoGrad();
        var tokens = RandomTokens(14, 9, 10);
        var decoder = gpt.NewDecoder();
        var recompute = gpt.NewDecoder(cache: false);
        for (int t = 0; t < tokens.Length; t++)
        {
            var logits = decoder.Feed(tokens.AsSpan(t, 1)).ToDoubleArray();
            var plain = recompute.Feed(tokens.AsSpan(t, 1)).ToDoubleArray();
            // Up to the context both see everything; at 9 tokens the cache restarts from the last 4 and grows to 8 again.
            int window = t < 8 ? t + 1 : 4 + (t - 8) % 5;   // 4, 5, 6, 7, 8, then 4 again
            var expected = gpt.Logits(tokens[(t + 1 - window)..(t + 1)], 1, window).Select(1, window - 1).ToDoubleArray();
            Assert.That(logits, Is.EqualTo(expected).Within(1e-12), $"token {t}");
            if (t < 8) Assert.That(plain, Is.EqualTo(expected).Within(1e-12), $"token {t} without the cache");
        }
    }

    [Test]
    public void CausalityCheck_PassesOnTheModel()
    {
        var model = new Gpt(Tiny(10, context: 8, dropout: 0.1), new Generator(13)).Double();
        model.Eval();
        var gpt = (Gpt)model;
        Assert.That(CausalityCheck.FindLeak(gpt.FromEmbeddings, Tensor.Randn([2, 8, 16], new Generator(14), DType.Float64)), Is.Null);
        Assert.DoesNotThrow(() => CausalityCheck.Assert(gpt.FromEmbeddings, Tensor.Randn([1, 8, 16], new Generator(15), DType.Float64)));
    }

    [Test]
    public void CausalityCheck_CatchesAMaskShiftedByOneNamingTheFirstLeakingPair()
    {
        var model = new Gpt(Tiny(10, context: 8), new Generator(16)).Double();
        model.Eval();
        var gpt = (Gpt)model;
        // The classic bug: tril(ones, diagonal: 1), so position t also attends to t + 1 (in the second layer only).
        gpt.Attentions.Last().MaskOverride = t =>
            Tensor.FromArray(Enumerable.Range(0, t * t).Select(k => k % t <= k / t + 1).ToArray(), t, t);   // j <= i + 1
        var input = Tensor.Randn([2, 8, 16], new Generator(17), DType.Float64);
        Assert.That(CausalityCheck.FindLeak(gpt.FromEmbeddings, input), Is.EqualTo(((int, int)?)(0, 1)));
        var ex = Assert.Throws<CausalityException>(() => CausalityCheck.Assert(gpt.FromEmbeddings, input))!;
        Assert.That(ex.Message, Does.Contain("output position 0 depends on input position 1"));
    }

    [Test]
    public void ModelFile_RoundTripsWeightsConfigAndVocabulary()
    {
        var vocabulary = CharVocabulary.FromText("héllo wörld\n🙂");
        var model = new Gpt(Tiny(vocabulary.Count, dropout: 0.1), new Generator(11));
        var path = Path.Combine(Path.GetTempPath(), $"autodiff-gpt-{Guid.NewGuid()}.safetensors");
        try
        {
            ModelFile.Save(path, model, vocabulary);
            var (loaded, loadedVocabulary) = ModelFile.Load(path);
            Assert.That(loaded.Config, Is.EqualTo(model.Config));
            Assert.That(loadedVocabulary.Symbols, Is.EqualTo(vocabulary.Symbols));
            Assert.That(loadedVocabulary.Decode(loadedVocabulary.Encode("wörld 🙂")), Is.EqualTo("wörld 🙂"));
            model.Eval();
            loaded.Eval();
            var tokens = RandomTokens(2 * 6, vocabulary.Count, 12);
            Assert.That(loaded.Logits(tokens, 2, 6).ToArray(), Is.EqualTo(model.Logits(tokens, 2, 6).ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Vocabulary_RejectsAnUnknownCharacterNamingIt()
    {
        var vocabulary = CharVocabulary.FromText("abc");
        var ex = Assert.Throws<ArgumentException>(() => vocabulary.Encode("abz"))!;
        Assert.That(ex.Message, Does.Contain("'z'").And.Contain("position 2"));
    }

    [Test]
    public void Schedule_WarmsUpLinearlyThenDecaysByCosineToATenth()
    {
        var p = Tensor.Zeros(2).RequireGrad();
        var optimizer = new AdamW([p], lr: 1e-2);
        var scheduler = GptCommand.Schedule(optimizer, warmup: 4, total: 14, lr: 1e-2);
        var rates = new List<double> { optimizer.Lr };
        for (int i = 0; i < 14; i++) { scheduler.Step(); rates.Add(optimizer.Lr); }
        Assert.That(rates[0], Is.EqualTo(1e-2 / 4).Within(1e-12));
        Assert.That(rates[2], Is.EqualTo(1e-2 * (0.25 + 0.75 * 2 / 4)).Within(1e-12));
        Assert.That(rates[4], Is.EqualTo(1e-2).Within(1e-12));
        Assert.That(rates[9], Is.EqualTo(1e-3 + 0.5 * 9e-3 * (1 + Math.Cos(Math.PI * 5 / 10))).Within(1e-12));
        Assert.That(rates[14], Is.EqualTo(1e-3).Within(1e-12));
    }
}
