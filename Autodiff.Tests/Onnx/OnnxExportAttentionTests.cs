using Autodiff.NN;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxFile = Autodiff.NN.Onnx;
using Axes = System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyDictionary<int, string>>;

namespace Autodiff.Tests.Onnx;

/// <summary>MultiheadAttention (cross-attention, kdim/vdim, masks as graph inputs or constants, the weights) and the
/// Transformer encoder/decoder layers exported with several inputs (OnnxArguments), run by ONNX Runtime at two batch
/// sizes and two sequence lengths against our forward.</summary>
public class OnnxExportAttentionTests
{
    /// <summary>Runs a model in ONNX Runtime on named inputs (Float32, Int64 or Bool); the outputs in the graph's order.</summary>
    internal static List<(float[] Data, int[] Shape)> Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var session = new InferenceSession(model);
        var values = inputs.Select(kv => kv.Value.DType switch
        {
            DType.Int64 => NamedOnnxValue.CreateFromTensor(kv.Key, new DenseTensor<long>(kv.Value.ToInt64Array(), kv.Value.Shape.ToArray())),
            DType.Bool => NamedOnnxValue.CreateFromTensor(kv.Key, new DenseTensor<bool>(kv.Value.ToBoolArray(), kv.Value.Shape.ToArray())),
            _ => NamedOnnxValue.CreateFromTensor(kv.Key, new DenseTensor<float>(kv.Value.ToArray(), kv.Value.Shape.ToArray())),
        }).ToList();
        using var results = session.Run(values);
        return [.. session.OutputMetadata.Keys.Select(name => results.Single(r => r.Name == name).AsTensor<float>())
            .Select(t => (t.ToArray(), t.Dimensions.ToArray()))];
    }

    /// <summary>Exports on inputs built at batch 2 and length 4, then checks ONNX Runtime against <paramref name="forward"/>
    /// at (batch, length) (3, 4) and (5, 6).</summary>
    internal static void AssertMatchesAtTwoSizes(Module model, Func<int, int, Dictionary<string, Tensor>> makeInputs,
        Func<Dictionary<string, Tensor>, OnnxArguments> arguments, Func<Dictionary<string, Tensor>, Tensor[]> forward, Axes dynamicAxes,
        double tolerance = 1e-4)
    {
        var bytes = OnnxFile.ExportToBytes(model, arguments(makeInputs(2, 4)), dynamicAxes: dynamicAxes);
        model.Eval();
        foreach (var (batch, length) in new[] { (3, 4), (5, 6) })
        {
            var inputs = makeInputs(batch, length);
            Tensor[] expected;
            using (Tape.NoGrad()) expected = forward(inputs);
            var actual = Run(bytes, inputs);
            Assert.That(actual, Has.Count.EqualTo(expected.Length), "outputs");
            for (int o = 0; o < expected.Length; o++)
            {
                Assert.That(actual[o].Shape, Is.EqualTo(expected[o].Shape.ToArray()), $"output {o} shape at batch {batch}, length {length}");
                var e = expected[o].ToArray();
                for (int i = 0; i < e.Length; i++)
                    Assert.That(actual[o].Data[i], Is.EqualTo(e[i]).Within(tolerance * (1 + Math.Abs(e[i]))), $"output {o} element {i} at batch {batch}, length {length}");
            }
        }
    }

    internal static IReadOnlyDictionary<int, string> Dims(params (int Dim, string Name)[] dims) => dims.ToDictionary(d => d.Dim, d => d.Name);

    /// <summary>[N, T, C] with batchFirst, else [T, N, C]; seeded by the sizes.</summary>
    private static Tensor Seq(bool batchFirst, int batch, int length, int channels, int seed) =>
        Tensor.Randn(batchFirst ? [batch, length, channels] : [length, batch, channels], seed: seed + 100 * batch + length);

    private static IReadOnlyDictionary<int, string> SeqDims(bool batchFirst, string length) =>
        batchFirst ? Dims((0, "batch"), (1, length)) : Dims((0, length), (1, "batch"));

    [TestCase(true, false, true, true)]
    [TestCase(false, false, true, true)]
    [TestCase(true, true, true, true)]
    [TestCase(false, true, false, true)]
    [TestCase(true, true, true, false)]
    public void CrossAttention_WithKdimVdim_MatchesOnnxRuntime(bool batchFirst, bool needWeights, bool average, bool bias)
    {
        var mha = new MultiheadAttention(8, 2, bias: bias, batchFirst: batchFirst, kdim: 5, vdim: 3, generator: new Generator(21));
        if (mha.OutProj.Bias is { } b) using (Tape.NoGrad()) Tensor.Randn([8], new Generator(22)).AsSpan().CopyTo(b.AsSpan());
        var axes = new Axes { ["query"] = SeqDims(batchFirst, "tgt_len"), ["key"] = SeqDims(batchFirst, "src_len"), ["value"] = SeqDims(batchFirst, "src_len") };
        AssertMatchesAtTwoSizes(mha,
            (n, l) => new() { ["query"] = Seq(batchFirst, n, l, 8, 1), ["key"] = Seq(batchFirst, n, l + 1, 5, 2), ["value"] = Seq(batchFirst, n, l + 1, 3, 3) },
            x => new OnnxArguments().Input("query", x["query"]).Input("key", x["key"]).Input("value", x["value"]).Flag("needWeights", needWeights)
                .Flag("averageAttnWeights", average),
            x => mha.Forward(x["query"], x["key"], x["value"], needWeights: needWeights, averageAttnWeights: average) is var (y, w) && w is not null ? [y, w] : [y],
            axes);
    }

    [Test]
    public void CrossAttention_WithPackedWeights_MatchesOnnxRuntime()
    {
        var mha = new MultiheadAttention(8, 4, batchFirst: true, generator: new Generator(23));
        AssertMatchesAtTwoSizes(mha,
            (n, l) => new() { ["query"] = Seq(true, n, l, 8, 4), ["key"] = Seq(true, n, 2 * l, 8, 5), ["value"] = Seq(true, n, 2 * l, 8, 6) },
            x => new OnnxArguments().Input("query", x["query"]).Input("key", x["key"]).Input("value", x["value"]).Flag("needWeights", false),
            x => [mha.Forward(x["query"], x["key"], x["value"], needWeights: false).Output],
            new Axes { ["query"] = Dims((0, "batch"), (1, "tgt_len")), ["key"] = Dims((0, "batch"), (1, "src_len")), ["value"] = Dims((0, "batch"), (1, "src_len")) });
    }

    /// <summary>Masks that block every key of some rows (padding of a whole sequence, random patterns) check that ONNX
    /// Runtime gives those rows 0 as our attention does, not NaN.</summary>
    private static Dictionary<string, Tensor> Masks(string kind, int n, int l, int heads)
    {
        var masks = new Dictionary<string, Tensor>();
        if (kind.Contains("padding", StringComparison.OrdinalIgnoreCase))
        {
            var blocked = new bool[n * l];
            for (int b = 0; b < n; b++)
                for (int j = b % (l + 1); j < l; j++) blocked[b * l + j] = true;                // batch 0: every key padded
            var padding = Tensor.FromArray(blocked, n, l);
            masks["keyPaddingMask"] = kind.Contains("floatPadding") ? Autodiff.Ops.MaskedFill(Tensor.Zeros(n, l), padding, -1e4) : padding;
        }
        if (kind.Contains("boolAttn")) masks["attnMask"] = Tensor.Rand([l, l], seed: 31 + l) > 0.6;
        if (kind.Contains("floatAttn")) masks["attnMask"] = Tensor.Randn([l, l], seed: 32 + l);
        if (kind.Contains("headAttn")) masks["attnMask"] = Tensor.Rand([n * heads, l, l], seed: 33 + n + l) > 0.5;
        return masks;
    }

    [TestCase("boolAttn", false, true)]
    [TestCase("boolAttn", true, true)]
    [TestCase("floatAttn", false, false)]
    [TestCase("headAttn", true, true)]
    [TestCase("padding", false, true)]
    [TestCase("floatPadding", true, false)]
    [TestCase("causal", false, true)]
    [TestCase("causal", true, false)]
    [TestCase("causal+padding", false, true)]
    [TestCase("boolAttn+padding", true, true)]
    [TestCase("floatAttn+padding", false, true)]
    public void SelfAttention_WithMasksAsGraphInputs_MatchesOnnxRuntime(string kind, bool needWeights, bool batchFirst)
    {
        const int heads = 2;
        var mha = new MultiheadAttention(8, heads, batchFirst: batchFirst, generator: new Generator(24));
        using (Tape.NoGrad()) Tensor.Randn([8], new Generator(25)).AsSpan().CopyTo(mha.OutProj.Bias!.AsSpan());
        bool causal = kind.Contains("causal");
        var axes = new Axes
        {
            ["query"] = SeqDims(batchFirst, "len"),
            ["keyPaddingMask"] = Dims((0, "batch"), (1, "len")),
            ["attnMask"] = kind.Contains("headAttn") ? Dims((0, "batch_heads"), (1, "len"), (2, "len2")) : Dims((0, "len"), (1, "len2")),
        };
        AssertMatchesAtTwoSizes(mha,
            (n, l) => new Dictionary<string, Tensor>(Masks(kind, n, l, heads)) { ["query"] = Seq(batchFirst, n, l, 8, 6) },
            x =>
            {
                var args = new OnnxArguments().Input("query", x["query"]).Flag("needWeights", needWeights).Flag("isCausal", causal);
                foreach (var name in new[] { "keyPaddingMask", "attnMask" })
                    if (x.TryGetValue(name, out var m)) args.Input(name, m);
                return args;
            },
            x =>
            {
                var (y, w) = mha.Forward(x["query"], x["query"], x["query"], x.GetValueOrDefault("keyPaddingMask"), needWeights,
                    x.GetValueOrDefault("attnMask"), isCausal: causal);
                return w is null ? [y] : [y, w];
            },
            new Axes(axes.Where(a => a.Key == "query" || (a.Key == "attnMask" ? kind.Contains("Attn") : kind.Contains("adding")))));
    }

    [Test]
    public void AttnMask_FixedAtExport_IsAConstant_AndMatchesOnnxRuntime()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true, generator: new Generator(26));
        var mask = Tensor.Rand([4, 4], seed: 27) > 0.5;
        OnnxExportTests.AssertMatchesOnnxRuntime(new FixedMaskAttention(mha, mask), batch => Tensor.Randn([batch, 4, 8], seed: 28 + batch));
        var bytes = OnnxFile.ExportToBytes(mha, new OnnxArguments().Input("query", Tensor.Randn(2, 4, 8)).Constant("attnMask", mask).Flag("needWeights", false),
            dynamicAxes: new Axes { ["query"] = Dims((0, "batch")), ["output"] = Dims((0, "batch")) });
        var proto = Autodiff.NN.OnnxProto.ModelProto.Parser.ParseFrom(bytes);
        Assert.That(proto.Graph.Input.Select(i => i.Name), Is.EqualTo(new[] { "query" }));
        Assert.That(proto.Graph.Initializer.Select(i => i.Name), Does.Contain("attnMask"));
        foreach (int batch in new[] { 3, 5 })
        {
            var x = Tensor.Randn([batch, 4, 8], seed: 28 + batch);
            var expected = mha.Forward(x, x, x, needWeights: false, attnMask: mask).Output.ToArray();
            var actual = Run(bytes, new Dictionary<string, Tensor> { ["query"] = x })[0].Data;
            Assert.That(actual, Is.EqualTo(expected).Within(1e-4));
        }
    }

    /// <summary>The same, through a custom module: a mask held by the module is an initializer.</summary>
    private sealed class FixedMaskAttention : Module, IOnnxExportable
    {
        private readonly MultiheadAttention _attention;
        private readonly Tensor _mask;

        public FixedMaskAttention(MultiheadAttention attention, Tensor mask) => (_attention, _mask) = (RegisterModule("attn", attention), mask);

        public override Tensor Forward(Tensor input) => _attention.Forward(input, input, input, needWeights: false, attnMask: _mask).Output;

        public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
        {
            var x = new OnnxValue(input, sample);
            return context.Attention(_attention, x, x, x, attnMask: context.Value(_mask)).Output.Name;
        }
    }

    [TestCase(false, false, "relu")]
    [TestCase(true, true, "gelu")]
    public void TransformerEncoderLayer_WithPaddingAndCausalMask_AtTwoLengths_MatchesOnnxRuntime(bool normFirst, bool batchFirst, string activation)
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, activation: activation, batchFirst: batchFirst, normFirst: normFirst, generator: new Generator(41));
        AssertMatchesAtTwoSizes(layer,
            (n, l) => new() { ["src"] = Seq(batchFirst, n, l, 8, 7), ["srcKeyPaddingMask"] = Masks("padding", n, l, 2)["keyPaddingMask"] },
            x => new OnnxArguments().Input("src", x["src"]).Input("srcKeyPaddingMask", x["srcKeyPaddingMask"]).Flag("isCausal", true),
            x => [layer.Forward(x["src"], null, x["srcKeyPaddingMask"], isCausal: true)],
            new Axes { ["src"] = SeqDims(batchFirst, "len"), ["srcKeyPaddingMask"] = Dims((0, "batch"), (1, "len")) });
    }

    [Test]
    public void TransformerEncoder_WithMaskInput_AtTwoLengths_MatchesOnnxRuntime()
    {
        var encoder = new TransformerEncoder(i => new TransformerEncoderLayer(8, 2, 16, batchFirst: true, normFirst: i == 0, generator: new Generator(42 + i)), 2,
            new LayerNorm(8));
        AssertMatchesAtTwoSizes(encoder,
            (n, l) => new() { ["src"] = Seq(true, n, l, 8, 8), ["mask"] = Tensor.Randn([l, l], seed: 9 + l) },
            x => new OnnxArguments().Input("src", x["src"]).Input("mask", x["mask"]),
            x => [encoder.Forward(x["src"], x["mask"])],
            new Axes { ["src"] = Dims((0, "batch"), (1, "len")), ["mask"] = Dims((0, "len"), (1, "len")) });
    }

    [TestCase(false, false, "relu")]
    [TestCase(true, false, "gelu")]
    [TestCase(false, true, "gelu")]
    [TestCase(true, true, "relu")]
    public void TransformerDecoderLayer_CausalSelfAttention_OverMemory_AtTwoLengths_MatchesOnnxRuntime(bool normFirst, bool batchFirst, string activation)
    {
        var layer = new TransformerDecoderLayer(8, 2, 16, activation: activation, batchFirst: batchFirst, normFirst: normFirst, generator: new Generator(43));
        AssertMatchesAtTwoSizes(layer,
            (n, l) => new()
            {
                ["tgt"] = Seq(batchFirst, n, l, 8, 10), ["memory"] = Seq(batchFirst, n, l + 2, 8, 11),
                ["memoryKeyPaddingMask"] = Masks("padding", n, l + 2, 2)["keyPaddingMask"],
            },
            x => new OnnxArguments().Input("tgt", x["tgt"]).Input("memory", x["memory"]).Input("memoryKeyPaddingMask", x["memoryKeyPaddingMask"])
                .Flag("tgtIsCausal", true),
            x => [layer.Forward(x["tgt"], x["memory"], memoryKeyPaddingMask: x["memoryKeyPaddingMask"], tgtIsCausal: true)],
            new Axes
            {
                ["tgt"] = SeqDims(batchFirst, "tgt_len"), ["memory"] = SeqDims(batchFirst, "src_len"),
                ["memoryKeyPaddingMask"] = Dims((0, "batch"), (1, "src_len")), ["output"] = SeqDims(batchFirst, "tgt_len"),
            });
    }

    [Test]
    public void TransformerDecoderLayer_WithTgtMaskConstant_AndNoMasks_MatchesOnnxRuntime()
    {
        var layer = new TransformerDecoderLayer(8, 4, 16, batchFirst: true, generator: new Generator(44));
        layer.Eval();                                                                   // dropout off in our forward, as in the file
        var tgtMask = Tensor.Randn([4, 4], seed: 45);
        var memory = Tensor.Randn([2, 3, 8], seed: 46);
        var bytes = OnnxFile.ExportToBytes(layer, new OnnxArguments().Input("tgt", Tensor.Randn(2, 4, 8)).Input("memory", memory).Constant("tgtMask", tgtMask),
            dynamicAxes: new Axes { ["tgt"] = Dims((0, "batch")), ["memory"] = Dims((0, "batch")) });
        foreach (int batch in new[] { 3, 5 })
        {
            var (tgt, mem) = (Tensor.Randn([batch, 4, 8], seed: 47 + batch), Tensor.Randn([batch, 3, 8], seed: 48 + batch));
            var expected = layer.Forward(tgt, mem, tgtMask).ToArray();
            var actual = Run(bytes, new Dictionary<string, Tensor> { ["tgt"] = tgt, ["memory"] = mem })[0];
            Assert.That(actual.Shape, Is.EqualTo(new[] { batch, 4, 8 }));
            Assert.That(actual.Data, Is.EqualTo(expected).Within(1e-4));
        }
    }

    [Test]
    public void Export_ThrowsForAnArgumentTheForwardDoesNotTake_NamingTheKnownOnes()
    {
        var mha = new MultiheadAttention(8, 2);
        Assert.That(() => OnnxFile.ExportToBytes(mha, new OnnxArguments().Input("query", Tensor.Randn(4, 2, 8)).Input("mask", Tensor.Randn(4, 4))),
            Throws.ArgumentException.With.Message.Contains("'mask'").And.Message.Contains("attnMask").And.Message.Contains("keyPaddingMask"));
        Assert.That(() => OnnxFile.ExportToBytes(mha, new OnnxArguments().Input("query", Tensor.Randn(4, 2, 8)).Flag("causal", true)),
            Throws.ArgumentException.With.Message.Contains("'causal'").And.Message.Contains("isCausal"));
        Assert.That(() => OnnxFile.ExportToBytes(new Linear(3, 2), new OnnxArguments().Input("a", Tensor.Randn(2, 3)).Input("b", Tensor.Randn(2, 3))),
            Throws.ArgumentException.With.Message.Contains("takes one input"));
    }

    [Test]
    public void Export_ThrowsForADecoderWithoutMemory_AndInsideASequential()
    {
        var layer = new TransformerDecoderLayer(8, 2, 16);
        Assert.That(() => OnnxFile.ExportToBytes(layer, new OnnxArguments().Input("tgt", Tensor.Randn(4, 2, 8))),
            Throws.ArgumentException.With.Message.Contains("'memory'"));
        Assert.That(() => OnnxFile.ExportToBytes(new Sequential(new Linear(8, 8), layer), Tensor.Randn(2, 4, 8)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'1'").And.Message.Contains("memory"));
    }

    [Test]
    public void Export_ThrowsForAMaskOfTheWrongShape_FromTheModule() =>
        Assert.That(() => OnnxFile.ExportToBytes(new MultiheadAttention(8, 2), new OnnxArguments().Input("query", Tensor.Randn(4, 2, 8))
            .Input("attnMask", Tensor.Randn(3, 4))), Throws.ArgumentException.With.Message.Contains("attnMask").And.Message.Contains("[3, 4]"));

    [Test]
    public void Export_ThrowsForDynamicAxesNamingNothing_OrBeyondTheRank()
    {
        var args = new OnnxArguments().Input("input", Tensor.Randn(2, 3));
        Assert.That(() => OnnxFile.ExportToBytes(new Linear(3, 2), args, dynamicAxes: new Axes { ["inputs"] = Dims((0, "batch")) }),
            Throws.ArgumentException.With.Message.Contains("'inputs'"));
        Assert.That(() => OnnxFile.ExportToBytes(new Linear(3, 2), args, dynamicAxes: new Axes { ["input"] = Dims((2, "x")) }),
            Throws.ArgumentException.With.Message.Contains("axis 2").And.Message.Contains("[2, 3]"));
        Assert.That(() => OnnxFile.ExportToBytes(new Linear(3, 2), args, dynamicAxes: new Axes { ["input"] = Dims((-1, "x")) }),
            Throws.ArgumentException.With.Message.Contains("axis -1"));
        Assert.That(() => OnnxFile.ExportToBytes(new Linear(3, 2), args, dynamicAxes: new Axes { ["output"] = Dims((2, "x")) }),
            Throws.ArgumentException.With.Message.Contains("output 'output' axis 2"));
        Assert.That(() => new OnnxArguments().Input("a", Tensor.Randn(2)).Flag("a", true), Throws.ArgumentException.With.Message.Contains("twice"));
        Assert.That(() => OnnxFile.ExportToBytes(new MultiheadAttention(4, 2), new OnnxArguments().Input("query", Tensor.Randn(3, 2, 4)).Outputs("y")),
            Throws.ArgumentException.With.Message.Contains("1 output names").And.Message.Contains("2 outputs"));
    }

    [Test]
    public void Outputs_AreNamedAsGiven_AndTheirDynamicAxesDeclared()
    {
        var bytes = OnnxFile.ExportToBytes(new MultiheadAttention(4, 2, batchFirst: true), new OnnxArguments().Input("query", Tensor.Randn(2, 3, 4)).Outputs("y", "w"),
            dynamicAxes: new Axes { ["query"] = Dims((0, "batch"), (1, "len")), ["w"] = Dims((0, "batch"), (1, "len"), (2, "len")) });
        using var session = new InferenceSession(bytes);
        Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "y", "w" }));
        Assert.That(session.OutputMetadata["w"].SymbolicDimensions, Is.EqualTo(new[] { "batch", "len", "len" }));
        Assert.That(session.OutputMetadata["y"].Dimensions[..2], Is.EqualTo(new[] { -1, -1 }),
            "an output not named in dynamicAxes is declared with unknown dims (ONNX Runtime's shape inference fills in the fixed width 4)");
    }
}
