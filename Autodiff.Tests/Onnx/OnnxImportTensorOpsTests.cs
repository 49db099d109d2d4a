using System.Runtime.InteropServices;
using Autodiff.NN;
using Autodiff.NN.OnnxProto;
using Google.Protobuf;
using OnnxFile = Autodiff.NN.Onnx;

namespace Autodiff.Tests.Onnx;

/// <summary>Import of the shape, indexing and reduction nodes that attention layers and torch.onnx.export write: each
/// hand-written graph gives what ONNX Runtime gives, at two batch sizes, and its float path trains.</summary>
public class OnnxImportTensorOpsTests
{
    /// <summary>A small graph under construction: "input" (float, a dynamic batch) to "output".</summary>
    private sealed class Builder(int opset = 17)
    {
        private readonly GraphProto _graph = new() { Name = "g" };
        private int _count, _constants;

        public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Nodes(op, inputs, 1, attributes)[0];

        public string[] Nodes(string op, string[] inputs, int outputs, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = $"{op}_{++_count}" };
            node.Input.AddRange(inputs);
            for (int i = 0; i < outputs; i++) node.Output.Add($"{op}_{_count}_out{i}");
            node.Attribute.AddRange(attributes);
            _graph.Node.Add(node);
            return [.. node.Output];
        }

        public string Ints(long[] values, params long[] dims) => Add(TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values.AsSpan()), dims);

        public string Floats(float[] values, params long[] dims) => Add(TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

        private string Add(TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
        {
            var t = new TensorProto { Name = $"const/{++_constants}", DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
            t.Dims.AddRange(dims);
            _graph.Initializer.Add(t);
            return t.Name;
        }

        public byte[] Build(string output, params int[] inputShape)
        {
            var identity = new NodeProto { OpType = "Identity", Name = "out" };
            identity.Input.Add(output);
            identity.Output.Add("output");
            _graph.Node.Add(identity);
            _graph.Input.Add(OnnxGraph.ValueInfo("input", DType.Float32, new Shape(inputShape), "batch"));
            _graph.Output.Add(new ValueInfoProto { Name = "output", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
            var model = new ModelProto { IrVersion = 8, Graph = _graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
            return model.ToByteArray();
        }
    }

    /// <summary>Imports <paramref name="bytes"/> and checks its forward against ONNX Runtime at batches 2 and 3, then that a
    /// backward from it reaches the input.</summary>
    private static OnnxModule AssertMatchesOnnxRuntime(byte[] bytes, params int[] rest)
    {
        var imported = OnnxFile.Import(bytes);
        foreach (int batch in new[] { 2, 3 })
        {
            var x = Tensor.Randn([batch, .. rest], seed: 50 + batch);
            var expected = OnnxExportTests.RunOnnx(bytes, x, out var shape);
            Tensor actual;
            using (Tape.NoGrad()) actual = imported.Forward(x);
            Assert.That(actual.Shape.ToArray(), Is.EqualTo(shape), $"shape at batch {batch}");
            var a = actual.ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.That(a[i], Is.EqualTo(expected[i]).Within(1e-5 * (1 + Math.Abs(expected[i]))), $"element {i} at batch {batch}");
        }
        var input = Tensor.Randn([2, .. rest], seed: 60);
        input.RequiresGrad = true;
        imported.Forward(input).Sum().Backward();
        Assert.That(input.Grad, Is.Not.Null, "the gradient reaches the input");
        return imported;
    }

    private static AttributeProto Int(string name, long value) => OnnxGraph.Int(name, value);

    private static AttributeProto Ints(string name, params long[] values) => OnnxGraph.Ints(name, values);

    [Test]
    public void Reshape_WithAShapeComputedFromShapeGatherDivUnsqueezeConcat()
    {
        // [N, 4, 6] -> [N, 4, 2, 3] -> [N, 24] with the batch and 6 / 2 read from Shape at run time, as torch.onnx.export writes views.
        var b = new Builder();
        var shape = b.Node("Shape", ["input"]);
        var n = b.Node("Unsqueeze", [b.Node("Gather", [shape, b.Ints([0])], Int("axis", 0)), b.Ints([0], 1)]);
        var half = b.Node("Div", [b.Node("Gather", [shape, b.Ints([-1], 1)], Int("axis", 0)), b.Ints([2])]);    // 6 / 2 (integer)
        var split = b.Node("Reshape", ["input", b.Node("Concat", [n, b.Ints([4, 2], 2), half], Int("axis", 0))]);
        var flat = b.Node("Reshape", [b.Node("Mul", [split, split]), b.Node("Concat", [n, b.Ints([-1], 1)], Int("axis", 0))]);
        AssertMatchesOnnxRuntime(b.Build(flat, 0, 4, 6), 4, 6);
    }

    [Test]
    public void SplitSliceConcatSqueezeUnsqueeze()
    {
        var b = new Builder();
        var parts = b.Nodes("Split", ["input", b.Ints([2, 4], 2)], 2, Int("axis", 2));                  // [N, 3, 2], [N, 3, 4]
        var tail = b.Node("Slice", [parts[1], b.Ints([-3], 1), b.Ints([long.MaxValue], 1), b.Ints([2], 1), b.Ints([2], 1)]);   // cols 1, 3
        var first = b.Node("Slice", [parts[0], b.Ints([0], 1), b.Ints([1], 1), b.Ints([1], 1)]);          // [N, 1, 2]
        var row = b.Node("Unsqueeze", [b.Node("Squeeze", [first, b.Ints([1], 1)]), b.Ints([-2], 1)]);     // back to [N, 1, 2]
        var y = b.Node("Concat", [row, b.Node("Tanh", [tail]), parts[0]], Int("axis", 1));                 // [N, 7, 2]
        AssertMatchesOnnxRuntime(b.Build(y, 0, 3, 6), 3, 6);
    }

    [Test]
    public void EqualSplits_IntoThreeOutputs_AsAttentionsQkv()
    {
        var b = new Builder();
        var qkv = b.Nodes("Split", ["input"], 3, Int("axis", -1));
        var y = b.Node("Add", [b.Node("Mul", [qkv[0], qkv[1]]), qkv[2]]);
        AssertMatchesOnnxRuntime(b.Build(y, 0, 2, 9), 2, 9);
    }

    [Test]
    public void Gather_OnAComputedTensor_AlongAnInnerAxis_WithNegativeAnd2DIndices()
    {
        var b = new Builder();
        var t = b.Node("Tanh", ["input"]);                                                              // [N, 3, 5]
        var picked = b.Node("Gather", [t, b.Ints([4, -1, 0, 2], 2, 2)], Int("axis", 2));                // [N, 3, 2, 2]
        var one = b.Node("Gather", [t, b.Ints([1])], Int("axis", 1));                                   // scalar index: [N, 5]
        var y = b.Node("Concat", [b.Node("Reshape", [picked, b.Ints([0, -1], 2)]), one], Int("axis", 1));    // [N, 17]
        AssertMatchesOnnxRuntime(b.Build(y, 0, 3, 5), 3, 5);
    }

    [Test]
    public void CausalMask_FromConstantOfShapeTriluEqualWhere_AndExpand()
    {
        // scores [N, T, T]: masked above the diagonal with a large negative value, then softmax, as a causal attention.
        var b = new Builder();
        var ones = b.Node("ConstantOfShape", [b.Ints([4, 4], 2)], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
            T = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { 1f } } });
        var lower = b.Node("Trilu", [ones], Int("upper", 0));
        var future = b.Node("Equal", [lower, b.Floats([0f])]);
        var big = b.Node("Constant", [], new AttributeProto { Name = "value_float", Type = AttributeProto.Types.AttributeType.Float, F = -1e4f });
        var masked = b.Node("Where", [future, b.Node("Expand", [big, b.Ints([4, 4], 2)]), "input"]);
        var negative = b.Node("Less", ["input", b.Floats([0f])]);
        var y = b.Node("Where", [negative, b.Node("Softmax", [masked], Int("axis", -1)), masked]);
        AssertMatchesOnnxRuntime(b.Build(y, 0, 4, 4), 4, 4);
    }

    [Test]
    public void LayerNorm_AsTorchExportsItBelowOpset17_PowSqrtReduceMeanSumMaxMin()
    {
        var b = new Builder();
        var mean = b.Node("ReduceMean", ["input"], Ints("axes", -1), Int("keepdims", 1));
        var centered = b.Node("Sub", ["input", mean]);
        var variance = b.Node("ReduceMean", [b.Node("Pow", [centered, b.Floats([2f])])], Ints("axes", -1));
        var normed = b.Node("Div", [centered, b.Node("Sqrt", [b.Node("Add", [variance, b.Floats([1e-5f])])])]);
        var total = b.Node("ReduceSum", [normed, b.Ints([1, 2], 2)], Int("keepdims", 0));                // [N]
        total = b.Node("Add", [total, b.Node("ReduceMax", [normed], Ints("axes", 1, 2), Int("keepdims", 0))]);
        total = b.Node("Sub", [total, b.Node("ReduceMin", [normed], Ints("axes", -1, 1), Int("keepdims", 0))]);
        var y = b.Node("Add", [b.Node("Reshape", [normed, b.Ints([0, -1], 2)]), b.Node("Unsqueeze", [total, b.Ints([1], 1)])]);
        AssertMatchesOnnxRuntime(b.Build(y, 0, 3, 8), 3, 8);
    }

    [TestCase("none")]
    [TestCase("tanh")]
    public void Gelu_Opset20(string approximate)
    {
        var b = new Builder(opset: 20);
        var y = b.Node("Gelu", ["input"], OnnxGraph.String("approximate", approximate));
        AssertMatchesOnnxRuntime(b.Build(y, 0, 7), 7);
    }

    [Test]
    public void Range_CastAndShape_ShapeTheOutput()
    {
        var b = new Builder();
        var length = b.Node("Gather", [b.Node("Shape", ["input"]), b.Ints([1])], Int("axis", 0));     // T
        var positions = b.Node("Cast", [b.Node("Range", [b.Ints([0]), length, b.Ints([1])])], Int("to", (long)TensorProto.Types.DataType.Float));
        var y = b.Node("Add", ["input", positions]);
        AssertMatchesOnnxRuntime(b.Build(y, 0, 5), 5);
    }

    [Test]
    public void ActivationsTorchExports_ClipHardSigmoidHardSwishEluPRelu()
    {
        // ReLU6 (Clip), Hardsigmoid, Hardswish, ELU and PReLU as torch.onnx.export writes them at opset 17.
        var b = new Builder();
        var x = b.Node("Mul", ["input", b.Floats([3f])]);                                               // reach every piece
        var relu6 = b.Node("Clip", [x, b.Floats([0f]), b.Floats([6f])]);
        var hard = b.Node("HardSigmoid", [x], OnnxGraph.Float("alpha", 1 / 6.0), OnnxGraph.Float("beta", 0.5));
        var swish = b.Node("HardSwish", [x]);
        var elu = b.Node("Elu", [x], OnnxGraph.Float("alpha", 0.7));
        var prelu = b.Node("PRelu", [x, b.Floats([0.25f, -0.5f, 0.1f, 2f, 0f, 1f], 6)]);
        var y = b.Node("Concat", [relu6, hard, swish, elu, prelu], Int("axis", 1));
        AssertMatchesOnnxRuntime(b.Build(y, 0, 6), 6);
    }

    [Test]
    public void AMaskReadOnlyByEqual_IsABuffer_NotAParameter()
    {
        var b = new Builder();
        var mask = b.Floats([1f, 0f, 1f, 1f], 4);
        var y = b.Node("Where", [b.Node("Equal", [mask, b.Floats([0f])]), b.Floats([-1e4f]), "input"]);
        var bytes = b.Build(y, 0, 4);
        var named = ModelProto.Parser.ParseFrom(bytes);
        named.Graph.Initializer[0].Name = "mask";                                                         // a state-dict name, as PyTorch's buffers
        named.Graph.Node[0].Input[0] = "mask";
        var imported = OnnxFile.Import(named.ToByteArray());
        Assert.That(imported.NamedBuffers().Select(n => n.Name), Is.EquivalentTo(new[] { "mask" }));
        Assert.That(imported.NamedParameters(), Is.Empty);
    }

    [Test]
    public void Import_RefusesANegativeSliceStep_NamingNodeAndOp_WhenTheGraphRuns()
    {
        var b = new Builder();
        var y = b.Node("Slice", ["input", b.Ints([-1], 1), b.Ints([long.MinValue], 1), b.Ints([1], 1), b.Ints([-1], 1)]);
        var imported = OnnxFile.Import(b.Build(y, 0, 4));
        Assert.That(() => imported.Forward(Tensor.Randn(2, 4)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'Slice_1'").And.Message.Contains("(Slice)").And.Message.Contains("step -1"));
    }

    [Test]
    public void Import_RefusesAnOpOutsideTheSubset_NamingNodeAndOp()
    {
        var b = new Builder();
        var y = b.Node("CumSum", ["input", b.Ints([1])]);
        Assert.That(() => OnnxFile.Import(b.Build(y, 0, 4)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'CumSum_1'").And.Message.Contains("(CumSum)"));
    }
}
