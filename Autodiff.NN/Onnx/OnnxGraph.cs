using System.Runtime.InteropServices;
using Autodiff.NN.OnnxProto;
using Google.Protobuf;

namespace Autodiff.NN;

/// <summary>Builds one ONNX graph: nodes in execution order, initializers, and fresh value names.</summary>
/// <remarks>Plain bookkeeping over the generated protobuf messages (onnx.proto); what each module becomes is decided by
/// <see cref="OnnxExporter"/>.</remarks>
internal sealed class OnnxGraph
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);
    private int _counter;

    public GraphProto Proto { get; } = new() { Name = "autodiff" };

    /// <summary>A value name not used yet, built from <paramref name="hint"/>.</summary>
    public string FreshName(string hint)
    {
        string name = hint;
        while (!_names.Add(name)) name = $"{hint}_{++_counter}";
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string scope, string[] inputs, params AttributeProto[] attributes)
    {
        var output = FreshName(scope.Length == 0 ? opType : $"{scope}/{opType}");
        var node = new NodeProto { OpType = opType, Name = FreshName($"{(scope.Length == 0 ? "" : scope + "/")}{opType}_node") };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return output;
    }

    /// <summary>Adds <paramref name="tensor"/>'s values as an initializer named <paramref name="name"/> (once: a tensor
    /// shared by two modules is stored once) and returns the name.</summary>
    public string Initializer(string name, Tensor tensor)
    {
        if (_initializerNames.Contains(name)) return name;
        _names.Add(name);
        _initializerNames.Add(name);
        var proto = new TensorProto { Name = name, DataType = (int)ElementType(tensor.DType, "initializer " + name) };
        foreach (var d in tensor.Shape) proto.Dims.Add(d);
        proto.RawData = tensor.DType switch
        {
            DType.Float32 => ByteString.CopyFrom(MemoryMarshal.AsBytes(tensor.ToArray().AsSpan())),
            DType.Float64 => ByteString.CopyFrom(MemoryMarshal.AsBytes(tensor.ToDoubleArray().AsSpan())),
            DType.Bool => ByteString.CopyFrom([.. tensor.ToBoolArray().Select(b => (byte)(b ? 1 : 0))]),     // one byte each
            _ => ByteString.CopyFrom(MemoryMarshal.AsBytes(tensor.ToInt64Array().AsSpan())),
        };
        Proto.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds an Int64 constant (a shape or an axes list) as an initializer and returns its name.</summary>
    public string Int64Constant(string hint, long[] values, long[]? shape = null)
    {
        var name = FreshName(hint);
        _initializerNames.Add(name);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.AddRange(shape ?? [values.Length]);
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        Proto.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds a scalar constant of the model's float type and returns its name.</summary>
    public string ScalarConstant(string hint, double value, DType dtype)
    {
        var name = FreshName(hint);
        _initializerNames.Add(name);
        var proto = new TensorProto { Name = name, DataType = (int)ElementType(dtype, hint) };
        proto.RawData = dtype == DType.Float64
            ? ByteString.CopyFrom(BitConverter.GetBytes(value))
            : ByteString.CopyFrom(BitConverter.GetBytes((float)value));
        Proto.Initializer.Add(proto);
        return name;
    }

    /// <summary>Declares a graph input or output with its element type and shape; dimension 0 is named
    /// <paramref name="batchName"/> when that is not null (a dynamic batch axis).</summary>
    public static ValueInfoProto ValueInfo(string name, DType dtype, Shape shape, string? batchName)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)ElementType(dtype, name), Shape = new TensorShapeProto() };
        for (int i = 0; i < shape.Rank; i++)
            tensorType.Shape.Dim.Add(i == 0 && batchName is not null
                ? new TensorShapeProto.Types.Dimension { DimParam = batchName }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    /// <summary>Declares a graph input or output: the dimensions in <paramref name="dynamicAxes"/> are symbolic (named),
    /// the others fixed to <paramref name="shape"/>'s, or unknown when <paramref name="unknownRest"/>.</summary>
    public static ValueInfoProto ValueInfo(string name, DType dtype, Shape shape, IReadOnlyDictionary<int, string>? dynamicAxes, bool unknownRest)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)ElementType(dtype, name), Shape = new TensorShapeProto() };
        for (int i = 0; i < shape.Rank; i++)
            tensorType.Shape.Dim.Add(dynamicAxes is not null && dynamicAxes.TryGetValue(i, out var symbol)
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : unknownRest ? new TensorShapeProto.Types.Dimension() : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    /// <summary>ONNX's element type for <paramref name="dtype"/>.</summary>
    public static TensorProto.Types.DataType ElementType(DType dtype, string what) => dtype switch
    {
        DType.Float32 => TensorProto.Types.DataType.Float,
        DType.Float64 => TensorProto.Types.DataType.Double,
        DType.Int64 => TensorProto.Types.DataType.Int64,
        DType.Bool => TensorProto.Types.DataType.Bool,
        _ => throw new NotSupportedException($"Onnx.Export: {what} has dtype {dtype}, which has no ONNX element type here."),
    };

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, double value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Strings(string name, params string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
