using System.Runtime.InteropServices;
using Autodiff.NN;
using Autodiff.NN.OnnxProto;
using Google.Protobuf;
using OnnxFile = Autodiff.NN.Onnx;

namespace Autodiff.Tests.Onnx;

/// <summary>Import of ONNX's RNN, LSTM and GRU nodes onto the recurrent layer ops: the exporter's files round-trip and
/// fine-tune as the original modules, and hand-written nodes (layout 1, initial states, reverse, no bias, each output)
/// give what ONNX Runtime gives.</summary>
public class OnnxImportRecurrentTests
{
    private static Func<int, Tensor> Randn(params int[] rest) =>
        batch => Tensor.Randn([batch, .. rest], seed: 3000 + batch);

    private static RNNBase Make(string kind, int layers, bool bidirectional, bool batchFirst, bool bias = true)
    {
        var g = new Generator(21);
        return kind switch
        {
            "LSTM" => new LSTM(5, 4, layers, bias, batchFirst, bidirectional: bidirectional, generator: g),
            "GRU" => new GRU(5, 4, layers, bias, batchFirst, bidirectional: bidirectional, generator: g),
            "RNN" => new RNN(5, 4, layers, bias: bias, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            _ => new RNN(5, 4, layers, "relu", bias, batchFirst, bidirectional: bidirectional, generator: g),
        };
    }

    [TestCase("LSTM", 1, false, true)]
    [TestCase("LSTM", 2, true, false)]
    [TestCase("GRU", 1, true, true)]
    [TestCase("GRU", 2, false, false)]
    [TestCase("RNN", 2, true, true)]
    [TestCase("RNN_relu", 1, false, false)]
    public void Exported_RoundTrips(string kind, int layers, bool bidirectional, bool batchFirst)
    {
        var rnn = Make(kind, layers, bidirectional, batchFirst);
        var imported = OnnxImportTests.AssertRoundTrips(new Sequential(rnn, new Linear(bidirectional ? 8 : 4, 3)), Randn(6, 5));
        Assert.That(imported.OpTypes, Does.Contain(kind.Split('_')[0]));
    }

    [Test]
    public void WithoutBias_RoundTrips() =>
        OnnxImportTests.AssertRoundTrips(Make("LSTM", 1, true, true, bias: false), Randn(6, 5));

    [TestCase("LSTM")]
    [TestCase("GRU")]
    [TestCase("RNN")]
    public void Imported_FineTunesAsTheOriginal(string kind) =>
        OnnxImportTests.AssertFineTunesAsTheOriginal(new Sequential(Make(kind, 2, true, true), new Linear(8, 3)), Randn(6, 5)(4));

    // ---- hand-written nodes, checked against ONNX Runtime -------------------------------------------------------------

    /// <summary>One recurrent node reading "input" ([T, N, C], or [N, T, C] with layout 1), with random W, R (and B, initial
    /// states) initializers; the graph output is the node's output <paramref name="output"/> (0 = Y, 1 = Y_h, 2 = Y_c).</summary>
    private static byte[] RecurrentModel(string op, int output, int directions, int layout, bool bias, bool initialStates, string? extraAttribute = null)
    {
        const int c = 3, h = 4, n = 2;
        int gates = op switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        var graph = new GraphProto { Name = "g" };
        int seed = 40;
        TensorProto Init(string name, int[] dims, bool batchFirst = false)           // a state [D, N, H] stored as [N, D, H] with layout 1
        {
            var value = Tensor.Randn(dims, seed: seed++);
            if (batchFirst) (value, dims) = (value.Transpose(0, 1), [dims[1], dims[0], dims[2]]);
            var values = value.ToArray();
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
            t.Dims.AddRange(dims.Select(d => (long)d));
            graph.Initializer.Add(t);
            return t;
        }
        var node = new NodeProto { OpType = op, Name = "rec" };
        node.Input.Add("input");
        node.Input.Add(Init("W", [directions, gates * h, c]).Name);
        node.Input.Add(Init("R", [directions, gates * h, h]).Name);
        node.Input.Add(bias ? Init("B", [directions, 2 * gates * h]).Name : "");
        node.Input.Add("");                                                                     // sequence_lens
        if (initialStates)
        {
            node.Input.Add(Init("initial_h", [directions, n, h], layout == 1).Name);
            if (op == "LSTM") node.Input.Add(Init("initial_c", [directions, n, h], layout == 1).Name);
        }
        node.Output.AddRange(op == "LSTM" ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"]);
        node.Attribute.Add(OnnxGraph.Int("hidden_size", h));
        node.Attribute.Add(OnnxGraph.String("direction", directions == 2 ? "bidirectional" : "reverse"));
        if (layout == 1) node.Attribute.Add(OnnxGraph.Int("layout", 1));
        if (op == "GRU") node.Attribute.Add(OnnxGraph.Int("linear_before_reset", 1));
        if (extraAttribute == "clip") node.Attribute.Add(OnnxGraph.Float("clip", 3));
        if (extraAttribute == "activations") node.Attribute.Add(OnnxGraph.Strings("activations", "Sigmoid", "HardSigmoid", "Tanh"));
        if (extraAttribute == "linear_before_reset") node.Attribute[^1] = OnnxGraph.Int("linear_before_reset", 0);
        graph.Node.Add(node);
        var identity = new NodeProto { OpType = "Identity", Name = "out" };
        identity.Input.Add(node.Output[output]);
        identity.Output.Add("output");
        graph.Node.Add(identity);
        graph.Input.Add(OnnxGraph.ValueInfo("input", DType.Float32, layout == 0 ? new Shape(5, n, c) : new Shape(n, 5, c), null));
        graph.Output.Add(new ValueInfoProto { Name = "output", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return model.ToByteArray();
    }

    [TestCase("LSTM", 0, 2, 0, true, true)]
    [TestCase("LSTM", 1, 1, 1, true, true)]
    [TestCase("LSTM", 2, 2, 1, false, true)]
    [TestCase("LSTM", 0, 1, 0, true, false)]
    [TestCase("GRU", 0, 2, 1, true, true)]
    [TestCase("GRU", 1, 1, 0, true, false)]
    [TestCase("GRU", 0, 1, 1, false, true)]
    [TestCase("RNN", 0, 2, 1, true, true)]
    [TestCase("RNN", 1, 2, 0, false, false)]
    public void HandWrittenNode_MatchesOnnxRuntime(string op, int output, int directions, int layout, bool bias, bool initialStates)
    {
        // ONNX Runtime's CPU kernels refuse layout 1 ("batchwise recurrent operations are not supported"), so a layout-1 node
        // is checked against the same node at layout 0 on the transposed input, its output transposed as the spec says.
        var x = Tensor.Randn(layout == 0 ? [5, 2, 3] : [2, 5, 3], seed: 9);
        var reference = OnnxExportTests.RunOnnx(RecurrentModel(op, output, directions, 0, bias, initialStates),
            layout == 0 ? x : x.Transpose(0, 1), out var referenceShape);
        var expected = Tensor.FromArray(reference, referenceShape);
        if (layout == 1) expected = output == 0 ? expected.Permute(2, 0, 1, 3) : expected.Transpose(0, 1);   // [N, T, D, H], [N, D, H]
        var imported = OnnxFile.Import(RecurrentModel(op, output, directions, layout, bias, initialStates));
        Tensor actual;
        using (Tape.NoGrad()) actual = imported.Forward(x);
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape));
        var (a, e) = (actual.ToArray(), expected.ToArray());
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-5 * (1 + Math.Abs(e[i]))), $"element {i}");
        Assert.That(imported.NamedParameters().Select(p => p.Name), Is.SupersetOf(new[] { "W", "R" }), "W and R are trained");
    }

    [Test]
    public void HandWrittenNode_Trains_ThroughWRAndB()
    {
        var imported = OnnxFile.Import(RecurrentModel("LSTM", 0, 2, 1, true, true));
        imported.Forward(Tensor.Randn([2, 5, 3], seed: 9)).Sum().Backward();
        foreach (var (name, p) in imported.NamedParameters())
            Assert.That(p.Grad!.ToArray().Any(v => v != 0), $"{name} has a gradient");
    }

    [TestCase("LSTM", "clip", "'clip'")]
    [TestCase("LSTM", "activations", "'activations'")]
    [TestCase("GRU", "linear_before_reset", "'linear_before_reset'")]
    public void Import_RefusesWhatTheOpsDoNotCompute_NamingNodeAndAttribute(string op, string attribute, string named) =>
        Assert.That(() => OnnxFile.Import(RecurrentModel(op, 0, 1, 0, true, false, attribute)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'rec'").And.Message.Contains(named));
}
