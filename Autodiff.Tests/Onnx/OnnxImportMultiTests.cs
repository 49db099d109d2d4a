using Autodiff.NN;
using Axes = System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyDictionary<int, string>>;
using OnnxFile = Autodiff.NN.Onnx;
using static Autodiff.Tests.Onnx.OnnxExportAttentionTests;

namespace Autodiff.Tests.Onnx;

/// <summary>Graphs with several inputs or outputs (a decoder layer with its memory and mask, attention with its
/// weights): imported, run by name (<see cref="OnnxModule.Run"/>), trained, and exported again.</summary>
public class OnnxImportMultiTests
{
    private static (TransformerDecoderLayer Layer, byte[] File) Decoder()
    {
        var layer = new TransformerDecoderLayer(8, 2, 16, batchFirst: true, normFirst: true, generator: new Generator(41));
        layer.Eval();
        var bytes = OnnxFile.ExportToBytes(layer, new OnnxArguments().Input("tgt", Tensor.Randn(2, 4, 8)).Input("memory", Tensor.Randn(2, 6, 8))
                .Input("memoryKeyPaddingMask", Tensor.Zeros([2, 6], DType.Bool)).Flag("tgtIsCausal", true),
            dynamicAxes: new Axes
            {
                ["tgt"] = Dims((0, "batch"), (1, "tgt_len")), ["memory"] = Dims((0, "batch"), (1, "src_len")),
                ["memoryKeyPaddingMask"] = Dims((0, "batch"), (1, "src_len")), ["output"] = Dims((0, "batch"), (1, "tgt_len")),
            });
        return (layer, bytes);
    }

    private static Dictionary<string, Tensor> DecoderInputs(int batch, int tgt, int src)
    {
        var padding = Tensor.FromArray(Enumerable.Range(0, batch * src).Select(i => i % src >= src - 1 - i / src % 2).ToArray(), batch, src);
        return new() { ["tgt"] = Tensor.Randn([batch, tgt, 8], seed: 50 + tgt), ["memory"] = Tensor.Randn([batch, src, 8], seed: 60 + src), ["memoryKeyPaddingMask"] = padding };
    }

    [Test]
    public void DecoderLayer_ImportsWithItsThreeInputs_AndRunsAtOtherSizesAsTheOriginal()
    {
        var (layer, bytes) = Decoder();
        var imported = OnnxFile.Import(bytes);
        Assert.That(imported.InputNames, Is.EqualTo(new[] { "tgt", "memory", "memoryKeyPaddingMask" }));
        Assert.That(imported.OutputNames, Is.EqualTo(new[] { "output" }));
        var x = DecoderInputs(3, 5, 7);
        var y = imported.Run(x)["output"];
        var expected = layer.Forward(x["tgt"], x["memory"], memoryKeyPaddingMask: x["memoryKeyPaddingMask"], tgtIsCausal: true);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 5, 8 }));
        Assert.That(y.ToArray(), Is.EqualTo(expected.ToArray()).Within(1e-5));
    }

    [Test]
    public void DecoderLayer_ExportedAgain_RunsInOnnxRuntimeAsTheFirstFile_AndTrains()
    {
        var (_, bytes) = Decoder();
        var imported = OnnxFile.Import(bytes);
        var x = DecoderInputs(2, 4, 6);
        var again = OnnxFile.ExportToBytes(imported, new OnnxArguments().Input("tgt", x["tgt"]).Input("memory", x["memory"]).Input("memoryKeyPaddingMask", x["memoryKeyPaddingMask"]),
            dynamicAxes: new Axes { ["tgt"] = Dims((0, "batch"), (1, "tgt_len")), ["memory"] = Dims((0, "batch"), (1, "src_len")), ["memoryKeyPaddingMask"] = Dims((0, "batch"), (1, "src_len")) });
        var other = DecoderInputs(3, 5, 7);
        var first = Run(bytes, other)[0];
        var second = Run(again, other)[0];
        Assert.That(second.Shape, Is.EqualTo(first.Shape));
        Assert.That(second.Data, Is.EqualTo(first.Data).Within(1e-6));

        imported.Train();
        imported.ZeroGrad();
        imported.Run(x)["output"].Square().Mean().Backward();
        var trained = imported.NamedParameters().ToList();
        Assert.That(trained, Is.Not.Empty);
        Assert.That(trained.Where(p => p.Parameter.Grad is null).Select(p => p.Name), Is.Empty, "every parameter receives a gradient");
    }

    [Test]
    public void AttentionWithWeights_ImportsBothOutputs_AndExportsThemAgainUnderTheirNames()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true, generator: new Generator(42));
        var bytes = OnnxFile.ExportToBytes(mha, new OnnxArguments().Input("query", Tensor.Randn(2, 4, 8)).Flag("needWeights", true));
        var imported = OnnxFile.Import(bytes);
        Assert.That(imported.OutputNames, Is.EqualTo(new[] { "output", "attn_weights" }));
        var q = Tensor.Randn([2, 4, 8], seed: 43);
        var outputs = imported.Run(new Dictionary<string, Tensor> { ["query"] = q });
        var (y, w) = mha.Forward(q, q, q);
        Assert.That(outputs["output"].ToArray(), Is.EqualTo(y.ToArray()).Within(1e-5));
        Assert.That(outputs["attn_weights"].ToArray(), Is.EqualTo(w!.ToArray()).Within(1e-6));

        var again = OnnxFile.ExportToBytes(imported, new OnnxArguments().Input("query", q));
        var ort = Run(again, new Dictionary<string, Tensor> { ["query"] = q });
        Assert.That(ort, Has.Count.EqualTo(2));
        Assert.That(ort[1].Data, Is.EqualTo(w.ToArray()).Within(1e-6), "the weights are the second output again");
        Assert.That(OnnxFile.Import(again).OutputNames, Is.EqualTo(new[] { "output", "attn_weights" }));
    }

    [Test]
    public void SeveralInputsOrOutputs_Forward_AndRunWithWrongNames_FailNamingTheGraphsInputs()
    {
        var imported = OnnxFile.Import(Decoder().File);
        var x = DecoderInputs(2, 4, 6);
        var e = Assert.Throws<InvalidOperationException>(() => imported.Forward(x["tgt"]));
        Assert.That(e!.Message, Does.Contain("OnnxModule.Forward").And.Contain("tgt, memory, memoryKeyPaddingMask").And.Contain("Run"));
        var missing = Assert.Throws<ArgumentException>(() => imported.Run(new Dictionary<string, Tensor> { ["tgt"] = x["tgt"], ["memoryKeyPaddingMask"] = x["memoryKeyPaddingMask"] }));
        Assert.That(missing!.Message, Does.Contain("OnnxModule.Run").And.Contain("'memory' is missing"));
        var unknown = Assert.Throws<ArgumentException>(() => imported.Run(new Dictionary<string, Tensor>(x) { ["src"] = x["tgt"] }));
        Assert.That(unknown!.Message, Does.Contain("no input 'src'").And.Contain("tgt, memory, memoryKeyPaddingMask"));
        var reexport = Assert.Throws<ArgumentException>(() => OnnxFile.ExportToBytes(imported, new OnnxArguments().Input("tgt", x["tgt"]).Input("memory", x["memory"])));
        Assert.That(reexport!.Message, Does.Contain("memoryKeyPaddingMask"));
    }
}
