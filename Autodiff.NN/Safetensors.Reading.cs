using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Autodiff.NN;

// Reading safetensors: every check on the header and the offsets comes before the first tensor is allocated.
public static partial class Safetensors
{
    /// <summary>Reads every tensor in <paramref name="path"/>, in buffer order. Same as <c>safetensors.torch.load_file(path)</c>.</summary>
    /// <returns>Tensors by name: F32 as Float32, F64 as Float64, F16 and BF16 converted to Float32, integers (I8-I64,
    /// U8-U64, such as BatchNorm's <c>num_batches_tracked</c> or token ids) as Int64, as PyTorch loads I64; BOOL as Bool.
    /// (Before the Int64 dtype existed, integers loaded as Float64; <see cref="Module.LoadStateDict"/> still converts an
    /// Int64 entry into a floating-point buffer.)</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message names the file, the tensor
    /// and what is wrong (header length, JSON, dtype, shape, offsets).</exception>
    /// <exception cref="NotSupportedException">A tensor has a valid dtype this library does not load (8-bit floats), or a
    /// U64 value beyond <see cref="long.MaxValue"/>, which Int64 cannot hold.</exception>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor in <paramref name="path"/> and the file's <c>__metadata__</c>; see <see cref="Load(string)"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="metadata">The <c>__metadata__</c> strings, empty when the file has none.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    /// <exception cref="NotSupportedException">A tensor has a valid dtype this library does not load, or a U64 value beyond Int64.</exception>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors: file '{path}' does not exist.", path);
        string source = $"'{path}'";
        using var file = File.OpenHandle(path);
        long length = RandomAccess.GetLength(file);
        var prefix = new byte[Math.Min(length, 8)];
        ReadAt(file, prefix, 0, source);
        if (prefix.Length == 8 && BinaryPrimitives.ReadUInt64LittleEndian(prefix) is var n && n <= MaxHeaderBytes && (long)n <= length - 8)
        {
            prefix = new byte[8 + (int)n];
            ReadAt(file, prefix, 0, source);
        }
        var entries = ReadHeader(prefix, length, source, out metadata, out long bufferStart);  // every check before any tensor
        return ReadTensors(entries, source, (e, into) => ReadAt(file, into, bufferStart + e.Begin, source));
    }

    /// <summary>Reads exactly <paramref name="into"/>'s length from <paramref name="offset"/>: a tensor goes from the file
    /// straight into its buffer, so a file larger than an array (2 GiB) loads, and memory holds each tensor once.</summary>
    private static void ReadAt(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> into, long offset, string source)
    {
        while (!into.IsEmpty)
        {
            int read = RandomAccess.Read(file, into, offset);
            if (read == 0) Invalid(source, $"ends at byte {offset}, before the data its header describes; the file is truncated.");
            into = into[read..];
            offset += read;
        }
    }

    /// <summary>Fills <paramref name="into"/> with an entry's stored bytes.</summary>
    private delegate void EntryReader(Entry entry, Span<byte> into);

    /// <summary>Every entry as a tensor, in buffer order; on a failure the tensors made so far are disposed.</summary>
    private static Dictionary<string, Tensor> ReadTensors(List<Entry> entries, string source, EntryReader read)
    {
        var result = new Dictionary<string, Tensor>(entries.Count);
        try
        {
            foreach (var e in entries) result.Add(e.Name, ReadTensor(e, source, read));
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();                                // an integer out of range: give the buffers back
            throw;
        }
        return result;
    }

    /// <summary>One entry's bytes as a tensor: floats as they are (F16/BF16 widened to Float32), integers as Int64, BOOL as Bool.</summary>
    private static Tensor ReadTensor(Entry e, string source, EntryReader read)
    {
        var t = Compute.Empty(e.Shape, e.StoredDType switch
        {
            "F32" or "F16" or "BF16" => DType.Float32,
            "F64" => DType.Float64,
            "BOOL" => DType.Bool,
            _ => DType.Int64,
        });
        try
        {
            if (e.StoredDType is "F32" or "F64")                                          // stored as held: read in place
                read(e, e.StoredDType == "F32" ? MemoryMarshal.AsBytes(t.F32) : MemoryMarshal.AsBytes(t.F64));
            else
                Convert(e, GetBytes(e, read), t, source);
        }
        catch
        {
            t.Dispose();
            throw;
        }
        return t;
    }

    private static byte[] GetBytes(Entry e, EntryReader read)
    {
        var bytes = GC.AllocateUninitializedArray<byte>((int)(e.End - e.Begin));
        read(e, bytes);
        return bytes;
    }

    /// <summary>Widens or narrows an entry's stored bytes into <paramref name="t"/>.</summary>
    private static void Convert(Entry e, ReadOnlySpan<byte> bytes, Tensor t, string source)
    {
        switch (e.StoredDType)
        {
            case "BOOL":
                var b8 = t.B8;
                for (int i = 0; i < b8.Length; i++) b8[i] = bytes[i] != 0;                 // any non-zero byte is true
                break;
            case "F16":
                var f16 = t.F32;
                for (int i = 0; i < f16.Length; i++) f16[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case "BF16":                                                                   // the upper half of a float32
                var bf16 = t.F32;
                for (int i = 0; i < bf16.Length; i++) bf16[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
            default:                                                                       // I8-I64, U8-U64
                ReadIntegerTensor(bytes, e, source, t.I64);
                break;
        }
    }

    /// <summary>Little-endian integers of the entry's dtype into Int64, refusing a U64 value Int64 cannot hold.</summary>
    private static void ReadIntegerTensor(ReadOnlySpan<byte> bytes, Entry e, string source, Span<long> into)
    {
        int size = KnownDTypes[e.StoredDType];
        bool signed = e.StoredDType[0] == 'I';
        for (int i = 0; i < into.Length; i++)
        {
            var b = bytes.Slice(i * size, size);
            if (size == 8 && !signed)
            {
                ulong u = BinaryPrimitives.ReadUInt64LittleEndian(b);
                if (u > long.MaxValue)
                    throw new NotSupportedException($"Safetensors: {source}: tensor '{e.Name}' ({e.StoredDType} {e.Shape}) holds {u} " +
                        $"at element {i}, beyond 2⁶³ - 1; integers load as Int64, which cannot hold it, so it is refused rather than wrapped.");
                into[i] = (long)u;
                continue;
            }
            into[i] = (size, signed) switch
            {
                (1, true) => (sbyte)b[0],
                (1, false) => b[0],
                (2, true) => BinaryPrimitives.ReadInt16LittleEndian(b),
                (2, false) => BinaryPrimitives.ReadUInt16LittleEndian(b),
                (4, true) => BinaryPrimitives.ReadInt32LittleEndian(b),
                (4, false) => BinaryPrimitives.ReadUInt32LittleEndian(b),
                _ => BinaryPrimitives.ReadInt64LittleEndian(b),
            };
        }
    }

    private sealed record Entry(string Name, string StoredDType, Shape Shape, long Begin, long End);

    /// <summary>Parses and checks the header; returns the entries in buffer order, every offset checked against the buffer.</summary>
    /// <remarks><paramref name="prefix"/> holds the file's first bytes: the 8-byte length and the header it announces,
    /// when the file holds them; <paramref name="fileLength"/> is the whole file's.</remarks>
    private static List<Entry> ReadHeader(ReadOnlySpan<byte> prefix, long fileLength, string source, out Dictionary<string, string> metadata, out long bufferStart)
    {
        if (fileLength < 8) Invalid(source, $"is {fileLength} bytes long, too short for the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes) Invalid(source, $"header length {n} is larger than the limit of {MaxHeaderBytes} bytes.");
        if ((long)n > fileLength - 8) Invalid(source, $"header length {n} runs past the end of the file ({fileLength} bytes).");
        bufferStart = 8 + (long)n;
        var header = prefix[8..(int)bufferStart];
        if (header.IsEmpty || header[0] != (byte)'{') Invalid(source, "header does not start with '{'.");
        if (!System.Text.Unicode.Utf8.IsValid(header)) Invalid(source, "header is not valid UTF-8.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Safetensors: {source}: header is not valid JSON: {e.Message}", e);
        }
        metadata = [];
        var entries = new List<Entry>();
        var names = new HashSet<string>();
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) Invalid(source, "header is not a JSON object.");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) Invalid(source, $"name '{property.Name}' appears twice in the header.");
                if (property.Name == MetadataKey) metadata = ReadMetadata(property.Value, source);
                else entries.Add(ReadEntry(property.Name, property.Value, source));
            }
        }
        CheckOffsets(entries, fileLength - bufferStart, source);
        return entries;
    }

    private static Dictionary<string, string> ReadMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object) Invalid(source, $"'{MetadataKey}' is not an object of strings.");
        var result = new Dictionary<string, string>();
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) Invalid(source, $"'{MetadataKey}' entry '{item.Name}' is not a string.");
            result[item.Name] = item.Value.GetString()!;
        }
        return result;
    }

    private static Entry ReadEntry(string name, JsonElement value, string source)
    {
        string where = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object) Invalid(source, $"{where} is not an object with dtype, shape and data_offsets.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            Invalid(source, $"{where} has no dtype string.");
        string dtype = dtypeElement.GetString()!;
        if (!KnownDTypes.ContainsKey(dtype)) Invalid(source, $"{where} has unknown dtype '{dtype}'.");
        if (dtype.StartsWith("F8_", StringComparison.Ordinal))
            throw new NotSupportedException($"Safetensors: {source}: {where} has dtype {dtype}; only F32, F64, F16, BF16, integers and BOOL can be loaded.");

        long[] dims = ReadIntegers(value, "shape", where, source);
        long[] offsets = ReadIntegers(value, "data_offsets", where, source);
        if (offsets.Length != 2) Invalid(source, $"{where} has {offsets.Length} data_offsets, expected 2 (begin, end).");
        if (dims.Any(d => d > int.MaxValue) || !dims.Contains(0) && dims.Aggregate(1L, (p, d) => Math.Min(p * d, Array.MaxLength + 1L)) > Array.MaxLength)
            Invalid(source, $"{where} has shape [{string.Join(", ", dims)}], more elements than an array can hold.");
        var shape = new Shape(Array.ConvertAll(dims, d => (int)d));
        long expected = (long)shape.Numel * KnownDTypes[dtype];
        if (offsets[1] < offsets[0]) Invalid(source, $"{where} has data_offsets [{offsets[0]}, {offsets[1]}]: end before begin.");
        if (offsets[1] - offsets[0] != expected)
            Invalid(source, $"{where} has data_offsets [{offsets[0]}, {offsets[1]}] ({offsets[1] - offsets[0]} bytes), " +
                $"but {dtype} {shape} takes {expected} bytes.");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>A JSON array of non-negative integers, as longs.</summary>
    private static long[] ReadIntegers(JsonElement value, string field, string where, string source)
    {
        if (!value.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            Invalid(source, $"{where} has no {field} array.");
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out result[i]) || result[i] < 0)
                Invalid(source, $"{where} has {field} {array.GetRawText()}: not non-negative integers that fit in 64 bits.");
            i++;
        }
        return result;
    }

    /// <summary>The tensors, sorted by offset, must tile the buffer: each begins where the previous ended, the first at 0,
    /// the last at the buffer's end.</summary>
    private static void CheckOffsets(List<Entry> entries, long bufferLength, string source)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string previous = "the start of the buffer";
        foreach (var e in entries)
        {
            string where = $"tensor '{e.Name}' at [{e.Begin}, {e.End}]";
            if (e.Begin < expected) Invalid(source, $"{where} overlaps {previous}, which ends at {expected}.");
            if (e.Begin > expected) Invalid(source, $"{where} leaves a gap of {e.Begin - expected} bytes after {previous}.");
            if (e.End > bufferLength) Invalid(source, $"{where} runs past the end of the {bufferLength}-byte data buffer.");
            expected = e.End;
            previous = $"tensor '{e.Name}'";
        }
        if (expected != bufferLength)
            Invalid(source, $"the tensors cover {expected} bytes but the data buffer holds {bufferLength}: {bufferLength - expected} bytes after {previous} belong to no tensor.");
    }

    [DoesNotReturn]
    private static void Invalid(string source, string message) =>
        throw new InvalidDataException($"Safetensors: {source}: {message}");
}
