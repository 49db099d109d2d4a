using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Autodiff.NN;

// Reading the zip archive: the pickle is run (restricted), then every storage and view is checked against its record's
// size, and only then are tensors allocated and filled (a record shorter than its header says fails there, and the
// tensors made so far are disposed).
public static partial class PyTorchFile
{
    private static object? ReadObject(Stream stream, string source)
    {
        var zip = OpenArchive(stream, source);
        using (zip)
        {
            var pickle = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                ?? throw new InvalidDataException($"PyTorchFile: {source}: the zip archive has no data.pkl record; it is not a file torch.save wrote " +
                    $"(a TorchScript archive from torch.jit.save has code/ and constants.pkl instead; it is not read).");
            string prefix = pickle.FullName[..^"data.pkl".Length];
            if (zip.GetEntry(prefix + "byteorder") is { } byteOrder && System.Text.Encoding.ASCII.GetString(ReadEntry(byteOrder, source)).Trim() != "little")
                throw new NotSupportedException($"PyTorchFile: {source}: storages are big-endian (record '{byteOrder.FullName}'); only little-endian files, " +
                    "which torch.save writes on every common machine, are read.");
            var loaded = Unpickler.Load(ReadEntry(pickle, source), source);

            var storages = new Dictionary<string, StorageRecord>();
            var views = new List<PickleTensor>();
            CollectViews(loaded, views, new HashSet<object>(ReferenceEqualityComparer.Instance), new HashSet<object>(ReferenceEqualityComparer.Instance), 0, source);
            foreach (var view in views) CheckView(view, zip, prefix, storages, source);
            CheckExpansion(views, storages, source);

            var converted = new Dictionary<object, object?>(ReferenceEqualityComparer.Instance);
            try
            {
                return ToValue(loaded, storages, converted, source);
            }
            catch
            {
                foreach (var t in converted.Values.OfType<Tensor>()) t.Dispose();
                throw;
            }
        }
    }

    private static ZipArchive OpenArchive(Stream stream, string source)
    {
        if (stream.CanSeek && stream.Length - stream.Position >= 2)
        {
            long start = stream.Position;
            int first = stream.ReadByte(), second = stream.ReadByte();
            stream.Position = start;
            if (first == 0x80 && second is >= 2 and <= 5)                                  // a bare pickle: the pre-1.6 format
                throw new NotSupportedException($"PyTorchFile: {source} is in PyTorch's legacy format (torch.save before 1.6, or " +
                    "_use_new_zipfile_serialization=False), which is not read; load it in PyTorch and save it again with torch.save.");
        }
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"PyTorchFile: {source} is not a zip archive as torch.save writes ({e.Message}).", e);
        }
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, string source)
    {
        if (entry.Length > Array.MaxLength)
            throw new InvalidDataException($"PyTorchFile: {source}: record '{entry.FullName}' is {entry.Length} bytes, larger than an array can hold.");
        var bytes = GC.AllocateUninitializedArray<byte>((int)entry.Length);
        ReadEntry(entry, bytes, source);
        return bytes;
    }

    /// <summary>Reads the whole record into <paramref name="into"/>, which is exactly as long as the record's header says,
    /// and checks it against the header's CRC-32, so a changed byte is an error, not a wrong weight.</summary>
    private static void ReadEntry(ZipArchiveEntry entry, Span<byte> into, string source)
    {
        try
        {
            using var stream = entry.Open();
            stream.ReadExactly(into);
            if (stream.ReadByte() >= 0) throw new InvalidDataException("the record is longer than its header says");
            if (System.IO.Hashing.Crc32.HashToUInt32(into) != entry.Crc32)                          // ZipArchive does not check it
                throw new InvalidDataException("its bytes fail the CRC-32 check of its header");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"PyTorchFile: {source}: record '{entry.FullName}' cannot be read ({e.Message}); the file is truncated or corrupt.", e);
        }
    }

    /// <summary>A storage's record in the archive, how many views read it, and its bytes once read. A storage that one
    /// dense view reads whole is never held as bytes: it is read straight into the tensor (one copy, half the memory).</summary>
    private sealed class StorageRecord(ZipArchiveEntry entry)
    {
        public ZipArchiveEntry Entry { get; } = entry;
        public int Views { get; set; }
        public byte[]? Bytes { get; set; }
    }

    /// <summary>The deepest nesting of containers read; a state dict nests two or three levels.</summary>
    private const int MaxDepth = 1000;

    /// <summary>Every tensor view in the object, each container visited once (the memo lets a pickle share one), refusing
    /// a container that holds itself and nesting deeper than <see cref="MaxDepth"/>, so no input recurses without end.</summary>
    private static void CollectViews(object? value, List<PickleTensor> into, HashSet<object> done, HashSet<object> onPath, int depth, string source)
    {
        if (value is PickleTensor t)
        {
            if (done.Add(t)) into.Add(t);
            return;
        }
        if (value is not (PickleDict or List<object?> or object?[])) return;
        if (depth > MaxDepth) throw new InvalidDataException($"PyTorchFile: {source}: data.pkl nests containers more than {MaxDepth} levels deep.");
        if (!onPath.Add(value)) throw new InvalidDataException($"PyTorchFile: {source}: data.pkl has a container that holds itself, which a state dict never does.");
        if (done.Add(value))
        {
            IEnumerable<object?> children = value switch
            {
                PickleDict d => d.Items.SelectMany(p => new[] { p.Key, p.Value }),
                List<object?> l => l,
                _ => (object?[])value,
            };
            foreach (var child in children) CollectViews(child, into, done, onPath, depth + 1, source);
        }
        onPath.Remove(value);
    }

    /// <summary>Reads the view's storage record (once per key) and checks that its size matches the storage and that
    /// every element of the view lies inside it.</summary>
    private static void CheckView(PickleTensor view, ZipArchive zip, string prefix, Dictionary<string, StorageRecord> storages, string source)
    {
        var s = view.Storage;
        int elementSize = Unpickler.StorageElementSizes[s.TypeName];
        if (s.Numel > Array.MaxLength)
            throw new InvalidDataException($"PyTorchFile: {source}: storage '{s.Key}' has {s.Numel} elements, more than an array can hold.");
        if (!storages.TryGetValue(s.Key, out var record))
        {
            string name = $"{prefix}data/{s.Key}";
            var entry = zip.GetEntry(name)
                ?? throw new InvalidDataException($"PyTorchFile: {source}: storage record '{name}' ({s.TypeName}, {s.Numel} elements) is missing.");
            if (entry.Length != s.Numel * elementSize)
                throw new InvalidDataException($"PyTorchFile: {source}: storage record '{name}' is {entry.Length} bytes, " +
                    $"but {s.TypeName} of {s.Numel} elements takes {s.Numel * elementSize}.");
            storages[s.Key] = record = new StorageRecord(entry);
        }
        record.Views++;
        string where = $"tensor of size [{string.Join(", ", view.Size)}], stride [{string.Join(", ", view.Stride)}], offset {view.Offset} in storage '{s.Key}' ({s.Numel} elements)";
        if (view.Offset < 0 || view.Size.Any(d => d < 0 || d > int.MaxValue) || view.Stride.Any(d => d < 0))
            throw new InvalidDataException($"PyTorchFile: {source}: {where} has a negative offset, size or stride.");
        long numel = view.Size.Aggregate(1L, (p, d) => Math.Min(p * d, Array.MaxLength + 1L));
        if (numel > Array.MaxLength) throw new InvalidDataException($"PyTorchFile: {source}: {where} has more elements than an array can hold.");
        long last = view.Offset;                                                            // the largest element index the view reads
        bool outside = false;
        for (int d = 0; d < view.Size.Length && numel > 0; d++)
        {
            if (view.Size[d] > 1 && view.Stride[d] > s.Numel) outside = true;               // also keeps the sum below from overflowing
            else last += (view.Size[d] - 1) * view.Stride[d];
        }
        if (outside || (numel > 0 ? last >= s.Numel : view.Offset > s.Numel))
            throw new InvalidDataException($"PyTorchFile: {source}: {where} reads element {last}, outside its storage.");
    }

    /// <summary>Materializing views copies them, so a view that repeats elements (stride 0, overlapping strides) costs
    /// more than its storage: a file of a few bytes could ask for gigabytes. All views together may hold at most
    /// <see cref="MaximumExpansion"/> times the stored elements, plus 2^24 elements for small expanded tensors.</summary>
    private static void CheckExpansion(List<PickleTensor> views, Dictionary<string, StorageRecord> storages, string source)
    {
        long stored = views.Select(v => v.Storage).DistinctBy(st => st.Key).Sum(st => st.Numel);
        long viewed = views.Sum(v => v.Size.Aggregate(1L, (p, d) => p * d));
        if (viewed > MaximumExpansion * stored + (1L << 24))
            throw new InvalidDataException($"PyTorchFile: {source}: its tensors hold {viewed} elements, read from {stored} stored ones " +
                $"(views that repeat elements, such as stride 0): more than {MaximumExpansion}x the stored data is refused, so a small file " +
                "cannot exhaust memory. Save the tensors contiguous (tensor.contiguous()) in PyTorch.");
    }

    /// <summary>How many times the stored elements all views together may hold (ties and slices of one storage stay below).</summary>
    private const long MaximumExpansion = 4;

    /// <summary>The loaded object as public .NET values, each view materialized as a dense tensor; a container or view
    /// the pickle shares (through its memo) is converted once and shared in the result too, as Python would.</summary>
    private static object? ToValue(object? value, Dictionary<string, StorageRecord> storages, Dictionary<object, object?> converted, string source)
    {
        if (value is null || value is string or long or double or bool) return value;
        if (converted.TryGetValue(value, out var done)) return done;
        object? result;
        switch (value)
        {
            case PickleTensor view:
                result = Materialize(view, storages[view.Storage.Key], source);
                break;
            case PickleDict d:
                var dict = new OrderedDictionary<object, object?>(d.Items.Count);
                foreach (var (k, v) in d.Items)
                    dict[ToValue(k, storages, converted, source) ?? throw new InvalidDataException("PyTorchFile: a dict key is None, which is not read.")] = ToValue(v, storages, converted, source);
                result = dict;
                break;
            case List<object?> l:
                result = l.ConvertAll(v => ToValue(v, storages, converted, source));
                break;
            case object?[] a:
                result = Array.ConvertAll(a, v => ToValue(v, storages, converted, source));
                break;
            default:
                throw new InvalidDataException($"PyTorchFile: a bare {(value is PickleGlobal g ? $"global '{g}'" : "storage")} outside a tensor is not read.");
        }
        converted[value] = result;
        return result;
    }

    /// <summary>The view's values as a new dense tensor: an odometer over the view's indices walks the storage by strides.</summary>
    private static Tensor Materialize(PickleTensor view, StorageRecord record, string file)
    {
        string type = view.Storage.TypeName;
        var dtype = type switch
        {
            "FloatStorage" or "HalfStorage" or "BFloat16Storage" => DType.Float32,
            "DoubleStorage" => DType.Float64,
            "BoolStorage" => DType.Bool,
            _ => DType.Int64,
        };
        var t = Compute.Empty(new Shape(Array.ConvertAll(view.Size, d => (int)d)), dtype);
        int n = t.Numel, rank = view.Size.Length, size = Unpickler.StorageElementSizes[type];
        bool contiguous = IsContiguous(view);
        if (contiguous && record.Views == 1 && view.Offset == 0 && (long)n * size == record.Entry.Length
            && type is "FloatStorage" or "DoubleStorage" or "LongStorage")                          // the common case: read in place
        {
            try
            {
                ReadEntry(record.Entry, type switch
                {
                    "FloatStorage" => MemoryMarshal.AsBytes(t.F32),
                    "DoubleStorage" => MemoryMarshal.AsBytes(t.F64),
                    _ => MemoryMarshal.AsBytes(t.I64),
                }, file);
            }
            catch
            {
                t.Dispose();
                throw;
            }
            return t;
        }
        ReadOnlySpan<byte> bytes;
        try
        {
            bytes = record.Bytes ??= ReadEntry(record.Entry, file);
        }
        catch
        {
            t.Dispose();
            throw;
        }
        var index = new long[rank];
        long source = view.Offset;
        var f32 = dtype == DType.Float32 ? t.F32 : default;
        var f64 = dtype == DType.Float64 ? t.F64 : default;
        var i64 = dtype == DType.Int64 ? t.I64 : default;
        var b8 = dtype == DType.Bool ? t.B8 : default;
        if (contiguous && type is "FloatStorage" or "DoubleStorage" or "LongStorage")           // a dense slice: one copy
        {
            var run = bytes.Slice((int)(view.Offset * size), n * size);
            if (type == "FloatStorage") run.CopyTo(MemoryMarshal.AsBytes(f32));
            else if (type == "DoubleStorage") run.CopyTo(MemoryMarshal.AsBytes(f64));
            else run.CopyTo(MemoryMarshal.AsBytes(i64));
            return t;
        }
        for (int i = 0; i < n; i++)
        {
            var e = bytes.Slice((int)(source * size), size);
            switch (type)
            {
                case "FloatStorage": f32[i] = BinaryPrimitives.ReadSingleLittleEndian(e); break;
                case "HalfStorage": f32[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(e); break;
                case "BFloat16Storage": f32[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16); break; // the upper half of a float32
                case "DoubleStorage": f64[i] = BinaryPrimitives.ReadDoubleLittleEndian(e); break;
                case "BoolStorage": b8[i] = e[0] != 0; break;
                case "LongStorage": i64[i] = BinaryPrimitives.ReadInt64LittleEndian(e); break;
                case "IntStorage": i64[i] = BinaryPrimitives.ReadInt32LittleEndian(e); break;
                case "ShortStorage": i64[i] = BinaryPrimitives.ReadInt16LittleEndian(e); break;
                case "CharStorage": i64[i] = (sbyte)e[0]; break;                                     // torch.int8
                default: i64[i] = e[0]; break;                                                       // ByteStorage: torch.uint8
            }
            for (int d = rank - 1; d >= 0; d--)                                                      // next index, last dim fastest
            {
                source += view.Stride[d];
                if (++index[d] < view.Size[d]) break;
                source -= view.Stride[d] * view.Size[d];
                index[d] = 0;
            }
        }
        return t;
    }

    /// <summary>True when the view reads its elements in storage order without gaps (row-major strides; size-1 dims ignored).</summary>
    private static bool IsContiguous(PickleTensor view)
    {
        long expected = 1;
        for (int d = view.Size.Length - 1; d >= 0; d--)
        {
            if (view.Size[d] == 1) continue;
            if (view.Stride[d] != expected) return false;
            expected *= view.Size[d];
        }
        return true;
    }
}
