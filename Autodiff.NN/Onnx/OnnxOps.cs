using System.Runtime.InteropServices;
using Autodiff.NN.OnnxProto;

namespace Autodiff.NN;

/// <summary>Runs one ONNX node of the imported subset on Autodiff ops (so the graph trains), and checks at import that a
/// node is in that subset.</summary>
/// <remarks>Split by theme: this file has the layers and element-wise ops, <c>OnnxOps.Tensors.cs</c> the shape and
/// indexing ops (with the Int64 shape arithmetic evaluated eagerly), <c>OnnxOps.Recurrent.cs</c> RNN, LSTM and GRU.</remarks>
internal static partial class OnnxOps
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "Identity", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Erf", "Gelu", "Softplus", "Softmax", "LogSoftmax",
        "Neg", "Exp", "Log", "Abs", "Sqrt", "Reciprocal", "Pow", "Not", "Clip", "Elu", "PRelu", "HardSigmoid", "HardSwish",
        "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Transpose", "Reshape", "Flatten", "Conv", "MaxPool", "AveragePool",
        "GlobalAveragePool", "BatchNormalization", "LayerNormalization", "Gather", "Cast", "Dropout",
        "Concat", "Split", "Slice", "Unsqueeze", "Squeeze", "Shape", "Constant", "ConstantOfShape", "Expand", "Range",
        "Where", "Equal", "Less", "Greater", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Trilu",
        "RNN", "LSTM", "GRU",
    };

    /// <summary>Refuses, at import, a node outside the subset or with attributes the Autodiff ops cannot follow.</summary>
    public static void CheckSupported(NodeProto node)
    {
        if (node.Domain is not ("" or "ai.onnx")) throw Refuse(node, $"is in domain '{node.Domain}'; only the default ONNX domain is imported");
        if (!Supported.Contains(node.OpType)) throw Refuse(node, "has no Autodiff mapping");
        int outputs = node.OpType switch { "LSTM" => 3, "RNN" or "GRU" or "Dropout" => 2, "Split" => int.MaxValue, _ => 1 };
        if (node.Output.Count > outputs)
            throw Refuse(node, $"has {node.Output.Count} outputs; {node.OpType} is imported with {(outputs == 1 ? "one output" : $"at most {outputs}")}");
        if (Str(node, "auto_pad", "NOTSET") != "NOTSET") throw Refuse(node, "uses auto_pad; only explicit pads are imported");
        switch (node.OpType)
        {
            case "Gemm" when Int(node, "transA", 0) != 0 || Float(node, "alpha", 1) != 1 || Float(node, "beta", 1) != 1:
                throw Refuse(node, "uses transA, alpha or beta; only transA = 0, alpha = beta = 1 are imported");
            case "Conv" or "MaxPool" or "AveragePool":
                var pads = Ints(node, "pads");
                if (pads.Length != 0 && (pads.Length != 4 || pads[0] != pads[2] || pads[1] != pads[3])) throw Refuse(node, "has asymmetric or non-2D pads");
                if (node.OpType == "AveragePool" && Int(node, "ceil_mode", 0) != 0) throw Refuse(node, "uses ceil_mode");
                if (node.OpType == "MaxPool" && Int(node, "storage_order", 0) != 0) throw Refuse(node, "uses storage_order");
                break;
            case "Cast" when Int(node, "to", 0) is not ((long)TensorProto.Types.DataType.Int64 or (long)TensorProto.Types.DataType.Float
                or (long)TensorProto.Types.DataType.Double or (long)TensorProto.Types.DataType.Bool):
                throw Refuse(node, "casts to a type other than int64, float, double or bool");
            case "Reshape" when Int(node, "allowzero", 0) != 0:
                throw Refuse(node, "uses allowzero = 1; only Reshape's default (0 copies the input's dimension) is imported");
            case "Dropout" when node.Output.Count > 1 && node.Output[1].Length > 0:
                throw Refuse(node, "uses its mask output");
            case "RNN" or "LSTM" or "GRU":
                CheckRecurrent(node); break;
            default:
                CheckTensorOp(node); break;
        }
    }

    /// <summary>Whether input <paramref name="index"/> of an <paramref name="opType"/> node receives no gradient: compared,
    /// measured, or a condition.</summary>
    public static bool IsNonDifferentiableInput(string opType, int index) =>
        opType is "Equal" or "Less" or "Greater" or "Shape" or "Not" || (opType == "Where" && index == 0);

    /// <summary>Runs <paramref name="node"/>, reading its inputs through <paramref name="value"/>, and returns its outputs
    /// in order (one for most ops; RNN/GRU give Y and Y_h, LSTM also Y_c, Split one per part).</summary>
    public static Tensor[] Run(NodeProto node, Func<string, Tensor> value, bool training)
    {
        Tensor In(int i) => node.Input.Count > i && node.Input[i].Length > 0 ? value(node.Input[i])
            : throw new ArgumentException($"Onnx.Import: node '{node.Name}' ({node.OpType}) is missing its input {i}.");
        Tensor? Optional(int i) => node.Input.Count > i && node.Input[i].Length > 0 ? value(node.Input[i]) : null;
        switch (node.OpType)
        {
            case "RNN" or "LSTM" or "GRU": return RunRecurrent(node, In, Optional);
            case "Split": return RunSplit(node, In(0), Optional(1));
            case "Constant": return [ConstantValue(node)];
            case "Range": return [RunRange(node, In(0), In(1), In(2))];
            case "Dropout":
                var ratio = Optional(1) is { } r ? r.ItemDouble() : 0.5;
                bool dropping = training && (Optional(2) is not { } mode || mode.ToBoolArray()[0]);
                return [dropping ? Functional.Dropout(In(0), ratio, training: true) : In(0)];
        }
        if (IsLiftable(node.OpType) && In(0).DType == DType.Int64 || node.OpType is "Where" && In(1).DType == DType.Int64)
            return [RunOnIntegers(node, In, Optional)];
        return [RunSingle(node, In, Optional, training)];
    }

    private static Tensor RunSingle(NodeProto node, Func<int, Tensor> In, Func<int, Tensor?> Optional, bool training)
    {
        var x = In(0);
        switch (node.OpType)
        {
            case "Identity": return x;
            case "Relu": return Ops.Relu(x);
            case "Sigmoid": return Ops.Sigmoid(x);
            case "Tanh": return Ops.Tanh(x);
            case "LeakyRelu": return Ops.LeakyRelu(x, Float(node, "alpha", 0.01f));
            case "Erf": return Ops.Erf(x);
            case "Gelu": return Ops.Gelu(x, approximateTanh: Str(node, "approximate", "none") == "tanh");
            case "Softplus": return Ops.Softplus(x);
            case "Softmax": return Ops.Softmax(x, (int)Int(node, "axis", -1));
            case "LogSoftmax": return Ops.LogSoftmax(x, (int)Int(node, "axis", -1));
            case "Neg": return Ops.Neg(x);
            case "Exp": return Ops.Exp(x);
            case "Log": return Ops.Log(x);
            case "Abs": return Ops.Abs(x);
            case "Sqrt": return Ops.Sqrt(x);
            case "Reciprocal": return Ops.Div(Tensor.Scalar(1, x.DType), x);
            case "Pow": return Ops.Pow(x, ScalarExponent(node, In(1)));
            case "Not": return Ops.LogicalNot(x);
            case "Clip": return Ops.Clamp(x, Optional(1)?.ItemDouble() ?? double.NegativeInfinity, Optional(2)?.ItemDouble() ?? double.PositiveInfinity);
            case "HardSigmoid": return HardSigmoid(x, Float(node, "alpha", 0.2f), Float(node, "beta", 0.5f));
            case "HardSwish": return Ops.Mul(x, HardSigmoid(x, 1.0 / 6, 0.5));                  // x · clamp(x/6 + 1/2, 0, 1)
            case "Elu":                                                                         // x > 0 ? x : α(e^x - 1), e^x of min(x, 0): no inf
                var negative = Ops.Mul(Ops.Sub(Ops.Exp(Ops.Minimum(x, Tensor.Scalar(0, x.DType))), Tensor.Scalar(1, x.DType)), Tensor.Scalar(Float(node, "alpha", 1), x.DType));
                return Ops.Where(Ops.Gt(x, 0), x, negative);
            case "PRelu": return Ops.Where(Ops.Lt(x, 0), Ops.Mul(x, In(1)), x);                // x < 0 ? slope·x : x
            case "Add": return Ops.Add(x, In(1));
            case "Sub": return Ops.Sub(x, In(1));
            case "Mul": return Ops.Mul(x, In(1));
            case "Div": return Ops.Div(x, In(1));
            case "Equal": return Ops.Eq(x, In(1));
            case "Less": return Ops.Lt(x, In(1));
            case "Greater": return Ops.Gt(x, In(1));
            case "Where": return Ops.Where(x, In(1), In(2));
            case "MatMul": return Ops.MatMul(x, In(1));
            case "Gemm":
                if (Int(node, "transB", 0) != 0) return Ops.Linear(x, In(1), Optional(2));         // y = x Wᵀ + b, as Linear
                return Optional(2) is { } c ? Ops.Add(Ops.MatMul(x, In(1)), c) : Ops.MatMul(x, In(1));
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
            case "Cast":
                return Int(node, "to", 0) switch
                {
                    (long)TensorProto.Types.DataType.Int64 => x.To(DType.Int64),
                    (long)TensorProto.Types.DataType.Double => x.To(DType.Float64),
                    (long)TensorProto.Types.DataType.Bool => x.To(DType.Bool),
                    _ => x.To(DType.Float32),
                };
            default: return RunTensorOp(node, In, Optional);
        }
    }

    /// <summary><c>clamp(αx + β, 0, 1)</c>.</summary>
    private static Tensor HardSigmoid(Tensor x, double alpha, double beta) =>
        Ops.Clamp(Ops.Add(Ops.Mul(x, Tensor.Scalar(alpha, x.DType)), Tensor.Scalar(beta, x.DType)), 0, 1);

    /// <summary>Pow's exponent, which must be one number (a constant, or a value known when the graph runs): the Autodiff
    /// op raises to a constant power.</summary>
    private static double ScalarExponent(NodeProto node, Tensor exponent)
    {
        if (exponent.Numel != 1 || exponent.RequiresGrad)
            throw Refuse(node, $"raises to a tensor exponent {exponent.Shape}{(exponent.RequiresGrad ? " that is trained" : "")}; only a single constant exponent is imported");
        return exponent.ItemDouble();
    }

    /// <summary>The values of an initializer, as a tensor of the matching dtype.</summary>
    public static Tensor ToTensor(TensorProto t)
    {
        var dims = t.Dims.Select(d => checked((int)d)).ToArray();
        var value = ToTensor(t, dims.Length == 0 ? [1] : dims);                      // FromArray reads no dims as 1-D
        return dims.Length == 0 ? Ops.Reshape(value) : value;                           // a scalar: rank 0
    }

    private static Tensor ToTensor(TensorProto t, int[] shape)
    {
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
            case TensorProto.Types.DataType.Bool:
                return Tensor.FromArray((raw.Length > 0 ? raw.ToArray().Select(b => b != 0) : t.Int32Data.Select(v => v != 0)).ToArray(), shape);
            default:
                throw new NotSupportedException($"Onnx.Import: tensor '{t.Name}' has element type {(TensorProto.Types.DataType)t.DataType}; float, double, int32, int64 and bool are imported.");
        }
    }

    private static NotSupportedException Refuse(NodeProto node, string why) =>
        new($"Onnx.Import: node '{node.Name}' ({node.OpType}) {why}.");

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
