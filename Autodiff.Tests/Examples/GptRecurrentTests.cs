using Autodiff.Examples.Gpt;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.Examples;

/// <summary>The gpt example's --model lstm and --model gru: the same task with the recurrent modules.</summary>
public class GptRecurrentTests
{
    private const string Text = "abcabdabcabdabcabd\n";

    private static RecurrentCharModel Model(string kind, int vocab, double dropout = 0, long seed = 1) =>
        new(new ModelConfig(kind, vocab, 12, 2, 1, 24, dropout), new Generator(seed));

    [TestCase("lstm")]
    [TestCase("gru")]
    public void Training_LowersTheLossInAFewSteps(string kind)
    {
        var vocabulary = CharVocabulary.FromText(Text);
        var corpus = new TextCorpus(vocabulary.Encode(string.Concat(Enumerable.Repeat(Text, 4))));
        var model = Model(kind, vocabulary.Count, dropout: 0.1);
        var optimizer = new AdamW(model.Parameters(), lr: 1e-2);
        var batches = new Generator(2);
        var losses = new List<double>();
        for (int step = 0; step < 40; step++)
        {
            var (x, y) = corpus.Batch(batches, 4, 12);
            losses.Add(GptCommand.TrainStep(model, optimizer, x, y, 4, 12, gradClip: 1.0));
        }
        Assert.That(losses.TakeLast(5).Average(), Is.LessThan(losses.Take(5).Average() * 0.6), string.Join(", ", losses.Select(l => l.ToString("F3"))));
    }

    [TestCase("lstm", "rnn.weight_ih_l0", "rnn.weight_hh_l1", 4)]
    [TestCase("gru", "rnn.weight_ih_l0", "rnn.bias_hh_l1", 3)]
    public void Model_HasPyTorchNames(string kind, string first, string other, int gates)
    {
        var model = Model(kind, 5);
        var state = model.StateDict();
        Assert.That(state.Keys, Does.Contain("encoder.weight").And.Contain("decoder.weight").And.Contain(first).And.Contain(other));
        Assert.That(state[first].Shape.ToArray(), Is.EqualTo(new[] { gates * 24, 24 }));
    }

    [TestCase("lstm")]
    [TestCase("gru")]
    public void StatefulDecoder_GivesTheFullSequenceLogitsAtEveryStep(string kind)
    {
        var model = Model(kind, 6).Double();
        model.Eval();
        var recurrent = (RecurrentCharModel)model;
        using var noGrad = Tape.NoGrad();
        var g = new Generator(3);
        var tokens = Enumerable.Range(0, 20).Select(_ => g.NextInt(6)).ToArray();   // longer than the context: state carries on
        var decoder = recurrent.NewDecoder();
        var first = decoder.Feed(tokens.AsSpan(0, 2)).ToDoubleArray();
        Assert.That(first, Is.EqualTo(recurrent.Logits(tokens[..2], 1, 2).Select(1, 1).ToDoubleArray()).Within(1e-12));
        for (int t = 2; t < tokens.Length; t++)
        {
            var logits = decoder.Feed(tokens.AsSpan(t, 1)).ToDoubleArray();
            var full = recurrent.Logits(tokens[..(t + 1)], 1, t + 1).Select(1, t).ToDoubleArray();
            Assert.That(logits, Is.EqualTo(full).Within(1e-12), $"token {t}");
        }
    }

    [TestCase("lstm")]
    [TestCase("gru")]
    public void Sampling_RepeatsWithASeedAndIsCausal(string kind)
    {
        var model = Model(kind, 7);
        int[] Draw() => Sampler.Generate(model, [0], 25, 1.0, 0, new Generator(4));
        Assert.That(Draw(), Is.EqualTo(Draw()));
        Assert.That(Draw().All(t => t is >= 0 and < 7), Is.True);
        var m = (RecurrentCharModel)model.Double();
        m.Eval();
        Assert.That(CausalityCheck.FindLeak(m.FromEmbeddings, Tensor.Randn([2, 6, 24], new Generator(5), DType.Float64)), Is.Null);
    }

    [Test]
    public void ModelFile_RoundTripsARecurrentModel()
    {
        var vocabulary = CharVocabulary.FromText(Text);
        var model = Model("lstm", vocabulary.Count);
        var path = Path.Combine(Path.GetTempPath(), $"autodiff-lstm-{Guid.NewGuid()}.safetensors");
        try
        {
            ModelFile.Save(path, model, vocabulary);
            var (loaded, _) = ModelFile.Load(path);
            Assert.That(loaded, Is.TypeOf<RecurrentCharModel>());
            model.Eval();
            loaded.Eval();
            var tokens = vocabulary.Encode("abcabd");
            Assert.That(loaded.Logits(tokens, 1, 6).ToArray(), Is.EqualTo(model.Logits(tokens, 1, 6).ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
