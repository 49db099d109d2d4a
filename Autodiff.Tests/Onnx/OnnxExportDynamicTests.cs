using Autodiff.Examples.Gpt;
using Autodiff.NN;
using Microsoft.ML.OnnxRuntime;
using OnnxFile = Autodiff.NN.Onnx;
using Axes = System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyDictionary<int, string>>;
using static Autodiff.Tests.Onnx.OnnxExportAttentionTests;

namespace Autodiff.Tests.Onnx;

/// <summary>Dynamic axes beyond the batch (torch.onnx.export's dynamic_axes): recurrent, attention, transformer, reshaping
/// and convolutional graphs exported once and run by ONNX Runtime at two batch sizes and two sequence lengths (or image
/// sizes), so nothing in them bakes the traced length.</summary>
public class OnnxExportDynamicTests
{
    private static Dictionary<string, Tensor> Input(Tensor x) => new() { ["input"] = x };

    private static OnnxArguments Arguments(Dictionary<string, Tensor> inputs) => new OnnxArguments().Input("input", inputs["input"]);

    private static void AssertSequenceModel(Module model, bool batchFirst, int channels, double tolerance = 1e-4) =>
        AssertMatchesAtTwoSizes(model,
            (n, t) => Input(Tensor.Randn(batchFirst ? [n, t, channels] : [t, n, channels], seed: 70 + 10 * n + t)),
            Arguments, x => [model.Forward(x["input"])],
            new Axes { ["input"] = batchFirst ? Dims((0, "batch"), (1, "seq")) : Dims((0, "seq"), (1, "batch")) }, tolerance);

    [TestCase("LSTM", true, false)]
    [TestCase("LSTM", false, true)]
    [TestCase("GRU", true, true)]
    [TestCase("RNN", false, false)]
    public void Recurrent_AtTwoSequenceLengths_MatchesOnnxRuntime(string kind, bool batchFirst, bool bidirectional)
    {
        var g = new Generator(71);
        RNNBase rnn = kind switch
        {
            "LSTM" => new LSTM(5, 4, 2, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            "GRU" => new GRU(5, 4, 2, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            _ => new RNN(5, 4, 1, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
        };
        AssertSequenceModel(new Sequential(rnn, new Linear(bidirectional ? 8 : 4, 3)), batchFirst, 5);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void SelfAttentionAndEncoder_AtTwoSequenceLengths_MatchOnnxRuntime(bool batchFirst)
    {
        AssertSequenceModel(new MultiheadAttention(8, 2, batchFirst: batchFirst, generator: new Generator(72)), batchFirst, 8);
        AssertSequenceModel(new TransformerEncoder(i => new TransformerEncoderLayer(8, 2, 16, batchFirst: batchFirst, normFirst: i == 1,
            generator: new Generator(73 + i)), 2, new LayerNorm(8)), batchFirst, 8);
    }

    [Test]
    public void UnflattenAndFlatten_ReadTheirSizesFromTheGraph_AtTwoSequenceLengths() =>
        AssertSequenceModel(new Sequential(new Linear(6, 6, generator: new Generator(74)), new Unflatten(2, 2, 3), new ReLU(), new Flatten(2),
            new Linear(6, 4, generator: new Generator(75))), batchFirst: true, 6);

    [Test]
    public void FlattenOfTheBatch_WithDynamicAxes_IsExported()
    {
        var model = new Sequential(new Flatten(0, 1), new Linear(6, 3, generator: new Generator(76)));
        AssertSequenceModel(model, batchFirst: true, 6);
        Assert.That(() => OnnxFile.ExportToBytes(model, Tensor.Randn(2, 4, 6)), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("batch"),
            "with the dynamic batch alone the constant reshape is still refused");
    }

    [Test]
    public void Cnn_AtTwoImageSizes_MatchesOnnxRuntime()
    {
        var bn = new BatchNorm2d(4);
        var model = new Sequential(new Conv2d(3, 4, 3, padding: 1), bn, new ReLU(), new MaxPool2d(2), new AdaptiveAvgPool2d(1), new Flatten(),
            new Linear(4, 2));
        AssertMatchesAtTwoSizes(model, (n, s) => Input(Tensor.Randn([n, 3, s + 4, s + 5], seed: 77 + n + s)), Arguments, x => [model.Forward(x["input"])],
            new Axes { ["input"] = Dims((0, "batch"), (2, "height"), (3, "width")), ["output"] = Dims((0, "batch")) });
    }

    [Test]
    public void AdaptiveAvgPool_ToMoreThanOnePixel_IsRefusedWithDynamicImageSizes() =>
        Assert.That(() => OnnxFile.ExportToBytes(new AdaptiveAvgPool2d(2), new OnnxArguments().Input("input", Tensor.Randn(2, 1, 4, 4)),
            dynamicAxes: new Axes { ["input"] = Dims((2, "height")) }),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("AdaptiveAvgPool2d").And.Message.Contains("dynamic"));

    [Test]
    public void Gpt_AtTwoWindowLengths_MatchesOnnxRuntime_AndNamesTheAxes()
    {
        var model = new Gpt(new ModelConfig("gpt", 11, 8, 2, 2, 16, 0.1), new Generator(78));
        var axes = new Axes { ["input"] = Dims((0, "batch"), (1, "seq")), ["output"] = Dims((0, "batch"), (1, "seq")) };
        AssertMatchesAtTwoSizes(model,
            (n, t) => Input(Tensor.FromArray(Enumerable.Range(0, n * t).Select(i => (long)((i * 7 + n) % 11)).ToArray(), n, t)),
            Arguments, x => [model.Forward(x["input"])], axes);
        using var session = new InferenceSession(OnnxFile.ExportToBytes(model, new OnnxArguments().Input("input", Tensor.Zeros([2, 4], DType.Int64)), dynamicAxes: axes));
        Assert.That(session.InputMetadata["input"].SymbolicDimensions, Is.EqualTo(new[] { "batch", "seq" }));
        Assert.That(session.OutputMetadata["output"].SymbolicDimensions[..2], Is.EqualTo(new[] { "batch", "seq" }));
        Assert.That(session.OutputMetadata["output"].Dimensions[2], Is.EqualTo(11));
    }

    [Test]
    public void Attention_WithMasks_AtOpset18_MatchesOnnxRuntime()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true, generator: new Generator(79));
        var mask = Tensor.Rand([4, 4], seed: 80) > 0.6;
        var bytes = OnnxFile.ExportToBytes(mha, new OnnxArguments().Input("query", Tensor.Randn(2, 4, 8)).Input("attnMask", mask), opset: 18,
            dynamicAxes: new Axes { ["query"] = Dims((0, "batch")) });
        var x = Tensor.Randn([3, 4, 8], seed: 81);
        var (y, w) = mha.Forward(x, x, x, attnMask: mask);
        var actual = Run(bytes, new Dictionary<string, Tensor> { ["query"] = x, ["attnMask"] = mask });
        Assert.That(actual[0].Data, Is.EqualTo(y.ToArray()).Within(1e-4));
        Assert.That(actual[1].Data, Is.EqualTo(w!.ToArray()).Within(1e-5));
    }
}
