using Autodiff.Examples.Gpt;
using Autodiff.NN;

namespace Autodiff.Tests.Onnx;

/// <summary>Whole models through export → import → export: attention, Transformer encoders and the gpt example's model
/// compute what the original does, their two files agree in ONNX Runtime, and fine-tuning the imported module follows
/// the original's losses step by step.</summary>
public class OnnxImportModelTests
{
    private static Func<int, Tensor> Randn(params int[] rest) =>
        batch => Tensor.Randn([batch, .. rest], seed: 4000 + batch);

    private static Func<int, Tensor> Tokens(int length, int vocabulary) =>
        batch => Tensor.FromArray(Enumerable.Range(0, batch * length).Select(i => (long)((i * 7 + batch) % vocabulary)).ToArray(), batch, length);

    private static Module Encoder() =>
        new Sequential(new Linear(6, 8),
            new TransformerEncoder(i => new TransformerEncoderLayer(8, 2, 16, activation: i == 0 ? "relu" : "gelu", batchFirst: true,
                normFirst: i == 1, generator: new Generator(30 + i)), 2, new LayerNorm(8)),
            new Linear(8, 3));

    [TestCase(true)]
    [TestCase(false)]
    public void MultiheadSelfAttention_RoundTrips(bool batchFirst) =>
        OnnxImportTests.AssertRoundTrips(new MultiheadAttention(8, 2, batchFirst: batchFirst, generator: new Generator(31)), Randn(4, 8));

    [Test]
    public void TransformerEncoder_RoundTrips() => OnnxImportTests.AssertRoundTrips(Encoder(), Randn(5, 6));

    [Test]
    public void TransformerEncoder_FineTunesAsTheOriginal() => OnnxImportTests.AssertFineTunesAsTheOriginal(Encoder(), Randn(5, 6)(3));

    [Test]
    public void MultiheadSelfAttention_FineTunesAsTheOriginal() =>
        OnnxImportTests.AssertFineTunesAsTheOriginal(new MultiheadAttention(8, 2, batchFirst: true, generator: new Generator(32)), Randn(4, 8)(3));

    [Test]
    public void GptExample_RoundTrips_WithItsParameterNames()
    {
        var model = new Gpt(new ModelConfig("gpt", 11, 8, 2, 2, 16, 0.1), new Generator(3));
        var imported = OnnxImportTests.AssertRoundTrips(model, Tokens(8, 11));
        Assert.That(imported.NamedParameters().Select(p => p.Name), Is.SubsetOf(model.NamedParameters().Select(p => p.Name)));
        Assert.That(imported.NamedParameters().Count(), Is.EqualTo(model.NamedParameters().Count()), "every parameter, the tied embedding once");
    }

    [Test]
    public void GptExample_FineTunesAsTheOriginal() =>
        OnnxImportTests.AssertFineTunesAsTheOriginal(new Gpt(new ModelConfig("gpt", 11, 8, 2, 2, 16, 0.1), new Generator(5)), Tokens(8, 11)(2));
}
