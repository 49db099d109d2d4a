using System.Runtime.InteropServices;
using Autodiff.NN.OnnxProto;

namespace Autodiff.NN;

/// <summary>Runs one ONNX node of the imported subset on Autodiff ops (so the graph trains), and checks at import that a
/// node is in that subset.</summary>
internal static class OnnxOps
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "Identity", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Erf", "Softplus", "Softmax", "LogSoftmax",
        "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Transpose", "Reshape", "Flatten", "Conv", "MaxPool", "AveragePool",
        "GlobalAveragePool", "BatchNormalization", "LayerNormalization", "Gather", "Cast",
    };

    /// <summary>Refuses, at import, a node outside the subset or with attributes the Autodiff ops cannot follow.</summary>
    public static void CheckSupported(NodeProto node, IReadOnlyDictionary<string, TensorProto> initializers)
    {
        string Fail(string why) => throw new NotSupportedException($"Onnx.Import: node '{node.Name}' ({node.OpType}) {why}.");
        if (node.Domain is not ("" or "ai.onnx")) Fail($"is in domain '{node.Domain}'; only the default ONNX domain is imported");
        if (!Supported.Contains(node.OpType)) Fail("has no Autodiff mapping");
        if (node.Output.Count != 1) Fail($"has {node.Output.Count} outputs; only single-output nodes are imported");
        if (Str(node, "auto_pad", "NOTSET") != "NOTSET") Fail("uses auto_pad; only explicit pads are imported");
        switch (node.OpType)
        {
            case "Gemm" when Int(node, "transA", 0) != 0 || Float(node, "alpha", 1) != 1 || Float(node, "beta", 1) != 1:
                Fail("uses transA, alpha or beta; only transA = 0, alpha = beta = 1 are imported"); break;
            case "Reshape" when !initializers.ContainsKey(node.Input[1]):
                Fail("computes its shape in the graph; only constant shapes are imported"); break;
            case "Conv" or "MaxPool" or "AveragePool":
                var pads = Ints(node, "pads");
                if (pads.Length != 0 && (pads.Length != 4 || pads[0] != pads[2] || pads[1] != pads[3])) Fail("has asymmetric or non-2D pads");
                if (node.OpType == "AveragePool" && Int(node, "ceil_mode", 0) != 0) Fail("uses ceil_mode");
                if (node.OpType == "MaxPool" && Int(node, "storage_order", 0) != 0) Fail("uses storage_order");
                break;
            case "Gather" when Int(node, "axis", 0) != 0 || !initializers.ContainsKey(node.Input[0]):
                Fail("is not a lookup in a constant table along axis 0 (an embedding)"); break;
            case "Cast" when Int(node, "to", 0) is not ((long)TensorProto.Types.DataType.Int64 or (long)TensorProto.Types.DataType.Float or (long)TensorProto.Types.DataType.Double):
                Fail("casts to a type other than int64, float or double"); break;
        }
    }

    /// <summary>Runs <paramref name="node"/>, reading its inputs through <paramref name="value"/>.</summary>
    public static Tensor Run(NodeProto node, Func<string, Tensor> value, bool training)
    {
        Tensor In(int i) => value(node.Input[i]);
        Tensor? Optional(int i) => node.Input.Count > i && node.Input[i].Length > 0 ? value(node.Input[i]) : null;
        var x = In(0);
        switch (node.OpType)
        {
            case "Identity": return x;
            case "Relu": return Ops.Relu(x);
            case "Sigmoid": return Ops.Sigmoid(x);
            case "Tanh": return Ops.Tanh(x);
            case "LeakyRelu": return Ops.LeakyRelu(x, Float(node, "alpha", 0.01f));
            case "Erf": return Ops.Erf(x);
            case "Softplus": return Ops.Softplus(x);
            case "Softmax": return Ops.Softmax(x, (int)Int(node, "axis", -1));
            case "LogSoftmax": return Ops.LogSoftmax(x, (int)Int(node, "axis", -1));
            case "Add": return Ops.Add(x, In(1));
            case "Sub": return Ops.Sub(x, In(1));
            case "Mul": return Ops.Mul(x, In(1));
            case "Div": return Ops.Div(x, In(1));
            case "MatMul": return Ops.MatMul(x, In(1));
            case "Gemm":
                if (Int(node, "transB", 0) != 0) return Ops.Linear(x, In(1), Optional(2));         // y = x Wᵀ + b, as Linear
                return Optional(2) is { } c ? Ops.Add(Ops.MatMul(x, In(1)), c) : Ops.MatMul(x, In(1));
            case "Transpose":
                var perm = Ints(node, "perm");
                return Ops.Permute(x, perm.Length == 0 ? [.. Enumerable.Range(0, x.Rank).Reverse()] : [.. perm.Select(p => (int)p)]);
            case "Reshape": return Ops.Reshape(x, ReshapeTarget(x.Shape, In(1).ToInt64Array()));
            case "Flatten":
                int axis = (int)Int(node, "axis", 1);
                if (axis < 0) axis += x.Rank;
                int outer = 1;
                for (int i = 0; i < axis; i++) outer *= x.Shape[i];
                return Ops.Reshape(x, outer, outer == 0 ? 0 : x.Numel / outer);
            case "Conv":
            {
                var w = In(1);
                return Ops.Conv2d(x, w, Optional(2), Pair(node, "strides", 1), Pair(node, "pads", 0), Pair(node, "dilations", 1), (int)Int(node, "group", 1));
            }
            case "MaxPool":
                return Ops.MaxPool2d(x, Pair(node, "kernel_shape", 1), Pair(node, "strides", 1), Pair(node, "pads", 0), Pair(node, "dilations", 1),
                    Int(node, "ceil_mode", 0) != 0);
            case "AveragePool":
                return Ops.AvgPool2d(x, Pair(node, "kernel_shape", 1), Pair(node, "strides", 1), Pair(node, "pads", 0), Int(node, "count_include_pad", 0) != 0);
            case "GlobalAveragePool": return Ops.AdaptiveAvgPool2d(x, 1);
            case "BatchNormalization":
                return Ops.BatchNorm(x, In(3), In(4), In(1), In(2), training, 1 - Float(node, "momentum", 0.9f), Float(node, "epsilon", 1e-5f));
            case "LayerNormalization":
            {
                int first = (int)Int(node, "axis", -1);
                if (first < 0) first += x.Rank;
                return Ops.LayerNorm(x, [.. x.Shape.Skip(first)], In(1), Optional(2), Float(node, "epsilon", 1e-5f));
            }
            case "Gather":
            {
                var indices = In(1);
                var flat = indices.ToInt64Array().Select(i => checked((int)i)).ToArray();
                return Ops.Embedding(flat, indices.Shape.ToArray(), x);
            }
            case "Cast":
                return Int(node, "to", 0) switch
                {
                    (long)TensorProto.Types.DataType.Int64 => x.To(DType.Int64),
                    (long)TensorProto.Types.DataType.Double => x.To(DType.Float64),
                    _ => x.To(DType.Float32),
                };
            default: throw new NotSupportedException($"Onnx.Import: node '{node.Name}' ({node.OpType}) has no Autodiff mapping.");
        }
    }

    /// <summary>ONNX Reshape's target: 0 copies the input's dimension, -1 takes what is left.</summary>
    private static int[] ReshapeTarget(Shape input, long[] target)
    {
        var dims = new int[target.Length];
        int known = 1, infer = -1;
        for (int i = 0; i < target.Length; i++)
        {
            dims[i] = target[i] == 0 ? input[i] : (int)target[i];
            if (dims[i] == -1) infer = i;
            else known *= dims[i];
        }
        if (infer >= 0) dims[infer] = known == 0 ? 0 : input.Numel / known;
        return dims;
    }

    /// <summary>The values of an initializer, as a tensor of the matching dtype.</summary>
    public static Tensor ToTensor(TensorProto t)
    {
        var shape = t.Dims.Select(d => checked((int)d)).ToArray();
        var raw = t.RawData.Span;
        switch ((TensorProto.Types.DataType)t.DataType)
        {
            case TensorProto.Types.DataType.Float:
                return Tensor.FromArray(raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : t.FloatData.ToArray(), shape);
            case TensorProto.Types.DataType.Double:
                return Tensor.FromArray(raw.Length > 0 ? MemoryMarshal.Cast<byte, double>(raw).ToArray() : t.DoubleData.ToArray(), shape);
            case TensorProto.Types.DataType.Int64:
                return Tensor.FromArray(raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : t.Int64Data.ToArray(), shape);
            case TensorProto.Types.DataType.Int32:
                return Tensor.FromArray((raw.Length > 0 ? MemoryMarshal.Cast<byte, int>(raw).ToArray() : t.Int32Data.ToArray()).Select(v => (long)v).ToArray(), shape);
            default:
                throw new NotSupportedException($"Onnx.Import: initializer '{t.Name}' has element type {(TensorProto.Types.DataType)t.DataType}; float, double, int32 and int64 are imported.");
        }
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static long Int(NodeProto node, string name, long fallback) => Attribute(node, name) is { } a ? a.I : fallback;

    private static float Float(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;

    private static string Str(NodeProto node, string name, string fallback) => Attribute(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    private static long[] Ints(NodeProto node, string name) => Attribute(node, name) is { } a ? [.. a.Ints] : [];

    private static (int H, int W) Pair(NodeProto node, string name, int fallback)
    {
        var v = Ints(node, name);
        return v.Length >= 2 ? ((int)v[0], (int)v[1]) : (fallback, fallback);
    }
}
