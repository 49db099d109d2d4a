using Autodiff.NN;
using OnnxFile = Autodiff.NN.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Autodiff.Tests.Onnx;

/// <summary>Exports each supported module kind and small Fashion-MNIST-like models, runs the file in ONNX Runtime at
/// two batch sizes, and compares with our own forward.</summary>
public class OnnxExportTests
{
    /// <summary>Runs an exported model in ONNX Runtime on <paramref name="input"/> (Float32 or Int64).</summary>
    internal static float[] RunOnnx(byte[] model, Tensor input, out int[] outputShape)
    {
        using var session = new InferenceSession(model);
        var dims = input.Shape.ToArray();
        var value = input.DType == DType.Int64
            ? NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(input.ToInt64Array(), dims))
            : NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(input.ToArray(), dims));
        using var results = session.Run([value]);
        var output = results.Single(r => r.Name == "output").AsTensor<float>();
        outputShape = output.Dimensions.ToArray();
        return output.ToArray();
    }

    /// <summary>Exports on a batch-2 sample, then checks ONNX Runtime against <c>model.Forward</c> at batches 3 and 5.</summary>
    internal static void AssertMatchesOnnxRuntime(Module model, Func<int, Tensor> makeInput, double tolerance = 1e-4)
    {
        var bytes = OnnxFile.ExportToBytes(model, makeInput(2));
        model.Eval();
        foreach (int batch in new[] { 3, 5 })
        {
            var x = makeInput(batch);
            Tensor expected;
            using (Tape.NoGrad()) expected = model.Forward(x);
            var actual = RunOnnx(bytes, x, out var shape);
            Assert.That(shape, Is.EqualTo(expected.Shape.ToArray()), $"output shape at batch {batch}");
            var e = expected.ToArray();
            for (int i = 0; i < e.Length; i++)
                Assert.That(actual[i], Is.EqualTo(e[i]).Within(tolerance * (1 + Math.Abs(e[i]))), $"element {i} at batch {batch}");
        }
    }

    private static Func<int, Tensor> Randn(params int[] rest) =>
        batch => Tensor.Randn([batch, .. rest], seed: 1000 + batch);

    [Test]
    public void Linear_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Linear(7, 5, generator: new Generator(1)), Randn(7));

    [Test]
    public void LinearWithoutBias_OnRank3Input_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Linear(7, 5, bias: false, generator: new Generator(1)), Randn(4, 7));

    [Test]
    public void Linear_OnRank3Input_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Linear(7, 5, generator: new Generator(1)), Randn(4, 7));

    private static IEnumerable<TestCaseData> Activations()
    {
        yield return new TestCaseData(new ReLU()).SetArgDisplayNames("ReLU");
        yield return new TestCaseData(new Sigmoid()).SetArgDisplayNames("Sigmoid");
        yield return new TestCaseData(new Tanh()).SetArgDisplayNames("Tanh");
        yield return new TestCaseData(new LeakyReLU(0.2)).SetArgDisplayNames("LeakyReLU");
        yield return new TestCaseData(new GELU()).SetArgDisplayNames("GELU");
        yield return new TestCaseData(new GELU(approximateTanh: true)).SetArgDisplayNames("GELU_tanh");
        yield return new TestCaseData(new SiLU()).SetArgDisplayNames("SiLU");
        yield return new TestCaseData(new Mish()).SetArgDisplayNames("Mish");
        yield return new TestCaseData(new Softmax(1)).SetArgDisplayNames("Softmax_dim1");
        yield return new TestCaseData(new Softmax(-1)).SetArgDisplayNames("Softmax_dimLast");
        yield return new TestCaseData(new LogSoftmax(1)).SetArgDisplayNames("LogSoftmax");
        yield return new TestCaseData(new Dropout(0.5)).SetArgDisplayNames("Dropout");
        yield return new TestCaseData(new Dropout2d(0.5)).SetArgDisplayNames("Dropout2d");
        yield return new TestCaseData(new Flatten()).SetArgDisplayNames("Flatten");
        yield return new TestCaseData(new Flatten(2)).SetArgDisplayNames("Flatten_from2");
        yield return new TestCaseData(new Unflatten(2, 2, 3)).SetArgDisplayNames("Unflatten");
    }

    [TestCaseSource(nameof(Activations))]
    public void ElementwiseAndShapeModules_MatchOnnxRuntime(Module module) =>
        AssertMatchesOnnxRuntime(module, Randn(4, 6, 3));

    [TestCase(1, 1, 1, 1)]
    [TestCase(2, 1, 1, 1)]
    [TestCase(1, 2, 1, 1)]
    [TestCase(1, 1, 2, 1)]
    [TestCase(1, 1, 1, 2)]
    [TestCase(2, 1, 2, 2)]
    public void Conv2d_MatchesOnnxRuntime(int stride, int padding, int dilation, int groups) =>
        AssertMatchesOnnxRuntime(new Conv2d(4, 6, 3, stride: stride, padding: padding, dilation: dilation, groups: groups),
            Randn(4, 9, 8));

    [Test]
    public void Conv2dWithoutBias_RectangularKernel_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Conv2d(3, 2, (3, 2), stride: (2, 1), padding: (1, 0), bias: false), Randn(3, 7, 6));

    [TestCase(2, null, 0, 1, false)]
    [TestCase(3, 2, 1, 1, false)]
    [TestCase(2, 1, 0, 2, false)]
    [TestCase(3, 2, 0, 1, true)]
    [TestCase(3, 2, 1, 1, true)]
    public void MaxPool2d_MatchesOnnxRuntime(int kernel, int? stride, int padding, int dilation, bool ceilMode) =>
        AssertMatchesOnnxRuntime(new MaxPool2d(kernel, stride, padding, dilation, ceilMode), Randn(3, 8, 9));

    [TestCase(2, null, 0, true)]
    [TestCase(3, 2, 1, true)]
    [TestCase(3, 2, 1, false)]
    public void AvgPool2d_MatchesOnnxRuntime(int kernel, int? stride, int padding, bool countIncludePad) =>
        AssertMatchesOnnxRuntime(new AvgPool2d(kernel, stride, padding, countIncludePad), Randn(3, 8, 9));

    [TestCase(1, 1)]
    [TestCase(2, 3)]
    [TestCase(4, 9)]
    public void AdaptiveAvgPool2d_MatchesOnnxRuntime(int h, int w) =>
        AssertMatchesOnnxRuntime(new AdaptiveAvgPool2d((h, w)), Randn(3, 8, 9));

    private static void Randomize(BatchNormBase norm, int seed)
    {
        using var _ = Tape.NoGrad();
        var g = new Generator(seed);
        int c = norm.NumFeatures;
        Tensor.Randn([c], g).AsSpan().CopyTo(norm.RunningMean!.AsSpan());
        Tensor.Rand([c], g).AsSpan().CopyTo(norm.RunningVar!.AsSpan());
        norm.RunningVar!.AsSpan()[0] += 0.5f;
        if (norm.Weight is { } w) Tensor.Randn([c], g).AsSpan().CopyTo(w.AsSpan());
        if (norm.Bias is { } b) Tensor.Randn([c], g).AsSpan().CopyTo(b.AsSpan());
    }

    [TestCase(true)]
    [TestCase(false)]
    public void BatchNorm2d_Eval_MatchesOnnxRuntime(bool affine)
    {
        var norm = new BatchNorm2d(3, affine: affine);
        Randomize(norm, 5);
        AssertMatchesOnnxRuntime(norm, Randn(3, 4, 5));
    }

    [Test]
    public void BatchNorm1d_Eval_OnRank2AndRank3_MatchesOnnxRuntime()
    {
        var norm = new BatchNorm1d(6, eps: 1e-3);
        Randomize(norm, 6);
        AssertMatchesOnnxRuntime(norm, Randn(6));
        AssertMatchesOnnxRuntime(norm, Randn(6, 4));
    }

    [TestCase(true, true)]
    [TestCase(true, false)]
    [TestCase(false, false)]
    public void LayerNorm_MatchesOnnxRuntime(bool affine, bool bias)
    {
        var norm = new LayerNorm([4, 6], eps: 1e-4, elementwiseAffine: affine, bias: bias);
        if (norm.Weight is { } w) using (Tape.NoGrad()) Tensor.Randn([4, 6], new Generator(3)).AsSpan().CopyTo(w.AsSpan());
        if (norm.Bias is { } b) using (Tape.NoGrad()) Tensor.Randn([4, 6], new Generator(4)).AsSpan().CopyTo(b.AsSpan());
        AssertMatchesOnnxRuntime(norm, Randn(3, 4, 6));
    }

    [Test]
    public void Embedding_WithInt64Indices_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Embedding(11, 4, generator: new Generator(2)),
            batch => Tensor.FromArray(Enumerable.Range(0, batch * 5).Select(i => (long)(i * 7 % 11)).ToArray(), batch, 5));

    [TestCase("LSTM", 1, false, true)]
    [TestCase("LSTM", 2, true, true)]
    [TestCase("LSTM", 1, false, false)]
    [TestCase("GRU", 1, false, true)]
    [TestCase("GRU", 2, true, false)]
    [TestCase("RNN", 2, true, true)]
    [TestCase("RNN_relu", 1, false, true)]
    public void Recurrent_MatchesOnnxRuntime(string kind, int layers, bool bidirectional, bool batchFirst)
    {
        var g = new Generator(11);
        RNNBase rnn = kind switch
        {
            "LSTM" => new LSTM(5, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            "GRU" => new GRU(5, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            "RNN" => new RNN(5, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            _ => new RNN(5, 4, layers, "relu", batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
        };
        AssertMatchesOnnxRuntime(new Sequential(rnn, new Linear(bidirectional ? 8 : 4, 3)), Randn(6, 5));    // [N, T, C] or [T, N, C]
    }

    [Test]
    public void LstmWithoutBias_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new LSTM(3, 4, bias: false, batchFirst: true, generator: new Generator(12)), Randn(5, 3));

    [TestCase(true, true)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    public void MultiheadSelfAttention_MatchesOnnxRuntime(bool batchFirst, bool bias) =>
        AssertMatchesOnnxRuntime(new MultiheadAttention(8, 2, bias: bias, batchFirst: batchFirst, generator: new Generator(13)), Randn(4, 8));

    [TestCase(false, "relu", true)]
    [TestCase(true, "gelu", true)]
    [TestCase(false, "gelu", false)]
    public void TransformerEncoderLayer_MatchesOnnxRuntime(bool normFirst, string activation, bool batchFirst) =>
        AssertMatchesOnnxRuntime(new TransformerEncoderLayer(8, 2, 16, dropout: 0.1, activation: activation, batchFirst: batchFirst,
            normFirst: normFirst, generator: new Generator(14)), Randn(5, 8));

    [Test]
    public void TransformerEncoder_WithFinalNorm_InsideSequential_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Sequential(new Linear(6, 8),
            new TransformerEncoder(i => new TransformerEncoderLayer(8, 4, 16, batchFirst: true, generator: new Generator(15 + i)), 2, new LayerNorm(8)),
            new Linear(8, 3)), Randn(5, 6));

    [Test]
    public void FashionMnistMlp_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 256), new ReLU(), new Linear(256, 10)),
            Randn(784));

    [Test]
    public void FashionMnistCnn_MatchesOnnxRuntime() =>
        AssertMatchesOnnxRuntime(new Sequential(new Unflatten(1, 1, 28, 28),
            new Conv2d(1, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10)), Randn(784));

    [Test]
    public void NestedSequential_WithBatchNormAndDropout_MatchesOnnxRuntimeAndRestoresTrainingMode()
    {
        var bn = new BatchNorm2d(8);
        Randomize(bn, 9);
        var model = new Sequential(
            new Sequential(new Conv2d(3, 8, 3, padding: 1), bn, new ReLU(), new Dropout2d(0.3)),
            new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.5), new Linear(8, 4), new LogSoftmax(1));
        OnnxFile.ExportToBytes(model, Tensor.Randn(2, 3, 6, 6));
        Assert.That(model.Modules().All(m => m.Training), "Export restores training mode");
        AssertMatchesOnnxRuntime(model, Randn(3, 6, 6));
    }

    [Test]
    public void Export_NamesInitializersAfterStateDictKeys_AndWritesTheFile()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        var path = Path.Combine(Path.GetTempPath(), $"autodiff-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxFile.Export(model, Tensor.Randn(1, 4), path);
            using var session = new InferenceSession(path);
            Assert.That(session.InputMetadata.Keys, Is.EqualTo(new[] { "input" }));
            Assert.That(session.InputMetadata["input"].SymbolicDimensions[0], Is.EqualTo("batch"));
            Assert.That(session.OutputMetadata["output"].Dimensions, Is.EqualTo(new[] { -1, 2 }));
            var names = Autodiff.NN.OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer.Select(t => t.Name);
            Assert.That(names, Is.EquivalentTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Export_WithFixedBatch_RejectsOtherBatchSizes()
    {
        var bytes = OnnxFile.ExportToBytes(new Linear(4, 3), Tensor.Randn(2, 4), dynamicBatch: false);
        Assert.That(RunOnnx(bytes, Tensor.Randn(2, 4), out var shape), Has.Length.EqualTo(6));
        Assert.That(shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(() => RunOnnx(bytes, Tensor.Randn(3, 4), out _), Throws.InstanceOf<OnnxRuntimeException>());
    }

    private sealed class Custom : Module
    {
        public override Tensor Forward(Tensor input) => input * 2;
    }

    private sealed class ScaledResidual(Linear inner) : Module, IOnnxExportable
    {
        private readonly Linear _inner = inner;
        private readonly Tensor _table = Tensor.FromArray(new float[] { 0.5f, -1, 2 }, 3);     // a plain constant, not a parameter

        public override Tensor Forward(Tensor input) => (input + _inner.Forward(input)) * _table;

        public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
        {
            var sum = context.Node("Add", [input, context.Module(_inner, input, sample).Output]);
            return context.Node("Mul", [sum, context.Initializer(_table)]);
        }
    }

    [Test]
    public void CustomModule_ImplementingIOnnxExportable_MatchesOnnxRuntime_WithStateDictNames()
    {
        var model = new Sequential(new ScaledResidual(new Linear(3, 3, generator: new Generator(16))), new Softmax(1));
        AssertMatchesOnnxRuntime(model, Randn(3));
        var names = Autodiff.NN.OnnxProto.ModelProto.Parser.ParseFrom(OnnxFile.ExportToBytes(model, Tensor.Randn(2, 3))).Graph.Initializer.Select(t => t.Name);
        Assert.That(names, Is.EquivalentTo(new[] { "0.inner.weight", "0.inner.bias", "0/constant" }));
    }

    private sealed class BadAttribute : Module, IOnnxExportable
    {
        public override Tensor Forward(Tensor input) => input;

        public string ExportOnnx(OnnxExportContext context, string input, Tensor sample) =>
            context.Node("Identity", [input], new Dictionary<string, object> { ["what"] = DateTime.Now });
    }

    [Test]
    public void CustomModule_ThrowsForAnAttributeOfAnotherType() =>
        Assert.That(() => OnnxFile.ExportToBytes(new BadAttribute(), Tensor.Randn(2, 3)),
            Throws.ArgumentException.With.Message.Contains("'what'").And.Message.Contains("DateTime"));

    [Test]
    public void Export_ThrowsNamingAnUnsupportedModule()
    {
        var model = new Sequential(new Linear(4, 3), new Custom());
        Assert.That(() => OnnxFile.ExportToBytes(model, Tensor.Randn(2, 4)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'1'").And.Message.Contains("Custom()"));
    }

    [Test]
    public void Export_ThrowsForAvgPoolCeilMode_AndUnevenAdaptivePool_AndBatchNormWithoutRunningStats()
    {
        Assert.That(() => OnnxFile.ExportToBytes(new AvgPool2d(2, ceilMode: true), Tensor.Randn(2, 1, 5, 5)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("ceilMode"));
        Assert.That(() => OnnxFile.ExportToBytes(new AdaptiveAvgPool2d(3), Tensor.Randn(2, 1, 5, 5)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("AdaptiveAvgPool2d"));
        Assert.That(() => OnnxFile.ExportToBytes(new BatchNorm2d(1, trackRunningStats: false), Tensor.Randn(2, 1, 5, 5)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("trackRunningStats"));
    }

    [Test]
    public void Export_ThrowsWhenAReshapeMovesTheDynamicBatch() =>
        Assert.That(() => OnnxFile.ExportToBytes(new Flatten(0), Tensor.Randn(2, 3)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("batch"));

    [Test]
    public void Export_ThrowsForOpsetBelow17() =>
        Assert.That(() => OnnxFile.ExportToBytes(new ReLU(), Tensor.Randn(2, 3), opset: 13), Throws.InstanceOf<ArgumentOutOfRangeException>());
}
