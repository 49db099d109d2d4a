using System.Buffers.Binary;
using System.Text;

namespace Autodiff.NN;

/// <summary>Writes the pickle (protocol 2) that <c>torch.save</c> writes for an <c>OrderedDict</c> of tensors, each
/// tensor <c>_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())</c> over its own contiguous storage
/// <c>('storage', torch.XStorage, "i", "cpu", numel)</c>, the i-th record.</summary>
internal static class PickleWriter
{
    public static byte[] StateDict(List<(string Name, Tensor Tensor)> tensors)
    {
        var p = new MemoryStream();
        p.Write([0x80, 2]);                                                                    // PROTO 2
        Global(p, "collections", "OrderedDict");
        p.WriteByte((byte)')');                                                                // EMPTY_TUPLE
        p.WriteByte((byte)'R');                                                                // REDUCE: OrderedDict()
        if (tensors.Count > 0) p.WriteByte((byte)'(');                                         // MARK
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i].Tensor;
            String(p, tensors[i].Name);
            Global(p, "torch._utils", "_rebuild_tensor_v2");
            p.WriteByte((byte)'(');                                                            // MARK: the arguments
            p.WriteByte((byte)'(');                                                            // MARK: the persistent id
            String(p, "storage");
            Global(p, "torch", t.DType switch
            {
                DType.Float32 => "FloatStorage",
                DType.Float64 => "DoubleStorage",
                DType.Int64 => "LongStorage",
                _ => "BoolStorage",
            });
            String(p, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            String(p, "cpu");
            Int(p, t.Numel);
            p.WriteByte((byte)'t');                                                            // TUPLE
            p.WriteByte((byte)'Q');                                                            // BINPERSID
            Int(p, 0);                                                                         // storage offset
            var dims = t.Shape.Dims;
            var strides = new long[dims.Length];
            long stride = 1;
            for (int d = dims.Length - 1; d >= 0; d--) { strides[d] = stride; stride *= dims[d]; }
            p.WriteByte((byte)'(');
            foreach (int d in dims) Int(p, d);
            p.WriteByte((byte)'t');                                                            // size
            p.WriteByte((byte)'(');
            foreach (long s in strides) Int(p, s);
            p.WriteByte((byte)'t');                                                            // stride
            p.WriteByte(0x89);                                                                 // NEWFALSE: requires_grad
            Global(p, "collections", "OrderedDict");
            p.WriteByte((byte)')');
            p.WriteByte((byte)'R');                                                            // backward hooks: OrderedDict()
            p.WriteByte((byte)'t');                                                            // TUPLE of the arguments
            p.WriteByte((byte)'R');                                                            // REDUCE: the tensor
        }
        if (tensors.Count > 0) p.WriteByte((byte)'u');                                         // SETITEMS
        p.WriteByte((byte)'.');                                                                // STOP
        return p.ToArray();
    }

    private static void Global(Stream p, string module, string name)
    {
        p.WriteByte((byte)'c');
        p.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    /// <summary>BINUNICODE: a 4-byte little-endian length, then UTF-8.</summary>
    private static void String(Stream p, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        p.WriteByte((byte)'X');
        p.Write(length);
        p.Write(bytes);
    }

    /// <summary>The shortest integer opcode, as Python's pickler chooses: BININT1, BININT2, BININT, else LONG1.</summary>
    private static void Int(Stream p, long value)
    {
        Span<byte> b = stackalloc byte[8];
        if (value is >= 0 and <= byte.MaxValue) { p.WriteByte((byte)'K'); p.WriteByte((byte)value); }
        else if (value is >= 0 and <= ushort.MaxValue) { p.WriteByte((byte)'M'); BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value); p.Write(b[..2]); }
        else if (value is >= int.MinValue and <= int.MaxValue) { p.WriteByte((byte)'J'); BinaryPrimitives.WriteInt32LittleEndian(b, (int)value); p.Write(b[..4]); }
        else { p.WriteByte(0x8a); p.WriteByte(8); BinaryPrimitives.WriteInt64LittleEndian(b, value); p.Write(b); }
    }
}
