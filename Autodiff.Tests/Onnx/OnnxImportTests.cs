using Autodiff.NN;
using Autodiff.NN.OnnxProto;
using Autodiff.Optim;
using Google.Protobuf;
using OnnxFile = Autodiff.NN.Onnx;

namespace Autodiff.Tests.Onnx;

/// <summary>Import of exported files: the imported module computes what the original did, keeps its parameter names,
/// trains, and exports again to a file ONNX Runtime runs to identical outputs.</summary>
public class OnnxImportTests
{
    private static Func<int, Tensor> Randn(params int[] rest) =>
        batch => Tensor.Randn([batch, .. rest], seed: 2000 + batch);

    /// <summary>Export → import → export: the imported module matches the original's forward, and both files give
    /// bit-identical ONNX Runtime outputs at two batch sizes.</summary>
    internal static OnnxModule AssertRoundTrips(Module model, Func<int, Tensor> makeInput)
    {
        var first = OnnxFile.ExportToBytes(model, makeInput(2));
        var imported = OnnxFile.Import(first);
        var second = OnnxFile.ExportToBytes(imported, makeInput(2));
        model.Eval();
        imported.Eval();
        foreach (int batch in new[] { 3, 5 })
        {
            var x = makeInput(batch);
            Tensor expected, actual;
            using (Tape.NoGrad()) (expected, actual) = (model.Forward(x), imported.Forward(x));
            Assert.That(actual.Shape, Is.EqualTo(expected.Shape));
            var (e, a) = (expected.ToArray(), actual.ToArray());
            for (int i = 0; i < e.Length; i++)
                Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-5 * (1 + Math.Abs(e[i]))), $"imported forward, element {i} at batch {batch}");
            Assert.That(OnnxExportTests.RunOnnx(second, x, out _), Is.EqualTo(OnnxExportTests.RunOnnx(first, x, out _)), $"ONNX Runtime at batch {batch}");
        }
        return imported;
    }

    /// <summary>Fine-tuning: from the same start, a few SGD steps on the imported module give the losses the same steps
    /// give on the original (float32 rounding apart), and the tuned module exports to a file ONNX Runtime agrees with.</summary>
    internal static void AssertFineTunesAsTheOriginal(Module model, Tensor x, int steps = 3, double lr = 0.1)
    {
        var imported = OnnxFile.Import(OnnxFile.ExportToBytes(model, x));
        model.Eval();                                                                   // dropout off: both runs see the same function
        imported.Eval();
        Tensor target;
        using (Tape.NoGrad()) target = Tensor.Randn(model.Forward(x).Shape.ToArray(), seed: 77);
        var (a, b) = (new SGD(model.Parameters(), lr), new SGD(imported.Parameters(), lr));
        static float Step(Module m, SGD optimizer, Tensor x, Tensor target)
        {
            optimizer.ZeroGrad();
            var loss = Functional.MseLoss(m.Forward(x), target);
            loss.Backward();
            optimizer.Step();
            return loss.Item();
        }
        var losses = new List<(float Original, float Imported)>();
        for (int step = 0; step < steps; step++) losses.Add((Step(model, a, x, target), Step(imported, b, x, target)));
        for (int i = 0; i < losses.Count; i++)
            Assert.That(losses[i].Imported, Is.EqualTo(losses[i].Original).Within(1e-5 * (1 + Math.Abs(losses[i].Original))), $"loss at step {i}");
        Assert.That(losses[^1].Original, Is.LessThan(losses[0].Original), "the steps train");
        Tensor tuned, original;
        using (Tape.NoGrad()) (tuned, original) = (imported.Forward(x), model.Forward(x));
        var (t, o) = (tuned.ToArray(), original.ToArray());
        for (int i = 0; i < t.Length; i++) Assert.That(t[i], Is.EqualTo(o[i]).Within(1e-4 * (1 + Math.Abs(o[i]))), $"tuned forward, element {i}");
        var onnx = OnnxExportTests.RunOnnx(OnnxFile.ExportToBytes(imported, x), x, out _);
        for (int i = 0; i < t.Length; i++) Assert.That(onnx[i], Is.EqualTo(t[i]).Within(1e-4 * (1 + Math.Abs(t[i]))), $"tuned export in ONNX Runtime, element {i}");
    }

    [Test]
    public void Mlp_RoundTrips_WithStateDictNamesAsParameters()
    {
        var model = new Sequential(new Linear(12, 8), new ReLU(), new Linear(8, 8), new Tanh(), new Linear(8, 3), new LogSoftmax(1));
        var imported = AssertRoundTrips(model, Randn(12));
        Assert.That(imported.NamedParameters().Select(p => p.Name), Is.EquivalentTo(model.NamedParameters().Select(p => p.Name)));
        Assert.That(imported.Parameters().All(p => p.RequiresGrad));
    }

    [Test]
    public void Cnn_WithBatchNormGeluLayerNorm_RoundTrips_AndRunningStatsAreBuffers()
    {
        var bn = new BatchNorm2d(4);
        using (Tape.NoGrad())
        {
            Tensor.Randn([4], new Generator(1)).AsSpan().CopyTo(bn.RunningMean!.AsSpan());
            Tensor.Rand([4], new Generator(2)).AsSpan().CopyTo(bn.RunningVar!.AsSpan());
        }
        var model = new Sequential(new Unflatten(1, 2, 6, 6), new Conv2d(2, 4, 3, padding: 1), bn, new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 4, 3, padding: 1, groups: 2), new SiLU(), new AvgPool2d(2, 1), new Flatten(), new Dropout(0.2),
            new Linear(16, 10), new GELU(), new LayerNorm(10), new Linear(10, 5), new Mish(), new Softmax(-1));
        var imported = AssertRoundTrips(model, Randn(72));
        Assert.That(imported.NamedBuffers().Select(b => b.Name), Is.EquivalentTo(new[] { "2.running_mean", "2.running_var" }));
        Assert.That(imported.NamedParameters().Select(p => p.Name), Is.EquivalentTo(model.NamedParameters().Select(p => p.Name)));
    }

    [Test]
    public void Embedding_RoundTrips() =>
        AssertRoundTrips(new Sequential(new Embedding(9, 3, generator: new Generator(4)), new Flatten(), new Linear(12, 2)),
            batch => Tensor.FromArray(Enumerable.Range(0, batch * 4).Select(i => (long)(i * 5 % 9)).ToArray(), batch, 4));

    [Test]
    public void ImportedModel_FineTunes_AndExportsTheTunedWeights()
    {
        var model = new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 3));
        var x = Tensor.Randn([8, 6], seed: 7);
        var imported = OnnxFile.Import(OnnxFile.ExportToBytes(model, x));
        var optimizer = new SGD(imported.Parameters(), 0.5);
        var targets = Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }, 8);
        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGrad();
            Functional.CrossEntropy(imported.Forward(x), targets).Backward();
            optimizer.Step();
        }
        Tensor tuned, original;
        using (Tape.NoGrad()) (tuned, original) = (imported.Forward(x), model.Forward(x));
        Assert.That(tuned.ToArray(), Is.Not.EqualTo(original.ToArray()), "training changed the imported model");
        var onnx = OnnxExportTests.RunOnnx(OnnxFile.ExportToBytes(imported, x), x, out _);
        var t = tuned.ToArray();
        for (int i = 0; i < t.Length; i++) Assert.That(onnx[i], Is.EqualTo(t[i]).Within(1e-5 * (1 + Math.Abs(t[i]))));
    }

    [Test]
    public void Import_ThrowsNamingAnUnsupportedNode()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Node.Add(new NodeProto { OpType = "Resize", Name = "up", Input = { "input" }, Output = { "output" } });
        graph.Input.Add(new ValueInfoProto { Name = "input" });
        graph.Output.Add(new ValueInfoProto { Name = "output" });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 17 } } };
        Assert.That(() => OnnxFile.Import(model.ToByteArray()),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("Resize").And.Message.Contains("'up'"));
    }

    [Test]
    public void Import_ThrowsForBytesThatAreNotAModel() =>
        Assert.That(() => OnnxFile.Import(new byte[] { 0xFF, 0xFF, 0xFF, 0x01 }), Throws.InstanceOf<InvalidDataException>());
}
