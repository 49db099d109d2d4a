using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Autodiff.NN;

/// <summary>Reads and writes named tensors in the safetensors format (Hugging Face's <c>safetensors</c>), so a state
/// dict saved by PyTorch's <c>safetensors.torch.save_file(model.state_dict(), path)</c> loads into the equivalent
/// model here, and the other way round.</summary>
/// <remarks>
/// <para>Layout: 8 bytes, a little-endian unsigned 64-bit <c>N</c>; <c>N</c> bytes of UTF-8 JSON, the header,
/// <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}</c> with an optional
/// <c>"__metadata__"</c> object of string to string; then the byte buffer, where each tensor's values lie row-major and
/// little-endian in <c>[begin, end)</c>, offsets counted from the start of the buffer.</para>
/// <para>Writing follows the reference implementation byte for byte: <c>__metadata__</c> first, tensors ordered by
/// descending dtype alignment (F64 before F32) then by name (UTF-8 bytes), packed without gaps in that order, compact
/// JSON, the header padded with spaces to a multiple of 8 so every tensor is aligned. Metadata keys, which the
/// reference writes in hash order, are written sorted.</para>
/// <para>Reading checks everything before allocating a tensor: the header length (at most <see cref="MaxHeaderBytes"/>,
/// within the file), UTF-8, JSON shape, known dtypes, no duplicate names, and that the tensors' offsets tile the buffer
/// exactly (no overlap, no gap, no byte left over) with each tensor's byte count equal to its shape times its element
/// size. F32 and F64 load as Float32 and Float64 tensors; F16 and BF16 load converted to Float32; I64 and the other
/// integers (I8-I32, U8-U64) as Int64, as PyTorch loads I64 as <c>torch.int64</c>; BOOL as Bool. 8-bit floats are refused.
/// Float32, Float64, Int64 and Bool tensors are written as F32, F64, I64 and BOOL.</para>
/// </remarks>
/// <example><code>
/// Safetensors.Save("model.safetensors", model.StateDict());
/// model.LoadStateDict(Safetensors.Load("model.safetensors"));
/// // or: model.SaveSafetensors(path); model.LoadSafetensors(path);
/// </code></example>
public static partial class Safetensors
{
    /// <summary>The largest header accepted when reading, 100,000,000 bytes, as the reference implementation.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Every dtype the format defines, with its element size in bytes (for offset checks and messages).</summary>
    private static readonly Dictionary<string, int> KnownDTypes = new()
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    // ---- writing ------------------------------------------------------------------------------------------------

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, replacing it atomically (a crash leaves
    /// the previous file). Same as <c>safetensors.torch.save_file(tensors, path, metadata)</c>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Tensors by name, e.g. a <see cref="Module.StateDict"/> (<c>0.weight</c>, <c>fc1.bias</c>).</param>
    /// <param name="metadata">Optional free-form strings stored as <c>__metadata__</c>; null writes none.</param>
    /// <exception cref="ArgumentNullException">The dictionary, a tensor, or a metadata value is null.</exception>
    /// <exception cref="ArgumentException">A tensor is named <c>__metadata__</c>.</exception>
    /// <exception cref="ObjectDisposedException">A tensor was disposed.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (header, ordered) = Prepare(tensors, metadata);          // every check before the file is touched
        AtomicFile.Write(path, file => WriteFile(file, header, ordered));
    }

    /// <summary>Writes <paramref name="tensors"/> in the safetensors format to <paramref name="destination"/>; see
    /// <see cref="Save"/>.</summary>
    /// <exception cref="ArgumentNullException">The stream, the dictionary, a tensor, or a metadata value is null.</exception>
    /// <exception cref="ArgumentException">A tensor is named <c>__metadata__</c>.</exception>
    /// <exception cref="ObjectDisposedException">A tensor was disposed.</exception>
    public static void Write(Stream destination, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var (header, ordered) = Prepare(tensors, metadata);
        WriteFile(destination, header, ordered);
    }

    private static void WriteFile(Stream destination, byte[] header, List<(string Name, Tensor Tensor)> ordered)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        destination.Write(length);
        destination.Write(header);
        foreach (var (_, t) in ordered)
        {
            switch (t.DType)
            {
                case DType.Float32: destination.Write(MemoryMarshal.AsBytes(t.AsReadOnlySpan())); break;
                case DType.Float64: destination.Write(MemoryMarshal.AsBytes(t.AsReadOnlyDoubleSpan())); break;
                case DType.Int64: destination.Write(MemoryMarshal.AsBytes(t.I64)); break;
                default: destination.Write(MemoryMarshal.AsBytes(t.B8)); break;              // .NET bools are one byte, 0 or 1
            }
        }
    }

    /// <summary>Checks the arguments, orders the tensors as the reference implementation does and builds the padded header.</summary>
    private static (byte[] Header, List<(string Name, Tensor Tensor)> Ordered) Prepare(
        IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors: the format is little-endian and this machine is not.");
        var entries = new List<(string Name, byte[] Utf8, Tensor Tensor)>(tensors.Count);
        foreach (var (name, t) in tensors)
        {
            if (name == MetadataKey) Check.Fail("Safetensors", $"a tensor cannot be named '{MetadataKey}': the format reserves it.", nameof(tensors));
            if (t is null) throw new ArgumentNullException(nameof(tensors), $"Safetensors: tensor '{name}' is null.");
            if (t.IsDisposed) throw new ObjectDisposedException(t.Label, $"Safetensors: tensor '{name}' was disposed.");
            entries.Add((name, Encoding.UTF8.GetBytes(name), t));
        }
        // The reference sorts by its dtype enum (BOOL < F32 < F64 < I64) reversed, then by name bytes.
        entries.Sort((a, b) => ReferenceOrder(b.Tensor.DType) != ReferenceOrder(a.Tensor.DType)
            ? ReferenceOrder(b.Tensor.DType).CompareTo(ReferenceOrder(a.Tensor.DType))
            : a.Utf8.AsSpan().SequenceCompareTo(b.Utf8));

        var json = new StringBuilder("{");
        if (metadata is not null)
        {
            json.Append('"').Append(MetadataKey).Append("\":{");
            bool first = true;
            foreach (var key in metadata.Keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                string value = metadata[key] ?? throw new ArgumentNullException(nameof(metadata), $"Safetensors: metadata '{key}' is null.");
                if (!first) json.Append(',');
                AppendString(json, key).Append(':');
                AppendString(json, value);
                first = false;
            }
            json.Append('}');
            if (entries.Count > 0) json.Append(',');
        }
        long offset = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var t = entries[i].Tensor;
            long end = offset + (long)t.Numel * ElementSize(t.DType);
            if (i > 0) json.Append(',');
            AppendString(json, entries[i].Name);
            json.Append(":{\"dtype\":\"").Append(StoredName(t.DType)).Append("\",\"shape\":[")
                .AppendJoin(',', t.Shape).Append("],\"data_offsets\":[")
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',').Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }
        json.Append('}');
        json.Append(' ', (8 - Encoding.UTF8.GetByteCount(json.ToString()) % 8) % 8);       // align the buffer to 8 bytes
        return (Encoding.UTF8.GetBytes(json.ToString()), entries.ConvertAll(e => (e.Name, e.Tensor)));
    }

    private static int ElementSize(DType dtype) => dtype switch { DType.Float32 => 4, DType.Bool => 1, _ => 8 };

    private static string StoredName(DType dtype) => dtype switch { DType.Float32 => "F32", DType.Float64 => "F64", DType.Int64 => "I64", _ => "BOOL" };

    /// <summary>The position of a dtype in the reference implementation's <c>Dtype</c> enum (only the order matters).</summary>
    private static int ReferenceOrder(DType dtype) => dtype switch { DType.Bool => 0, DType.Float32 => 1, DType.Float64 => 2, _ => 3 };

    /// <summary>A JSON string as serde_json writes it: <c>"</c> and <c>\</c> escaped, control characters as
    /// <c>\n</c>-style or <c>\u00XX</c> escapes, everything else (non-ASCII included) as is.</summary>
    private static StringBuilder AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }
}
