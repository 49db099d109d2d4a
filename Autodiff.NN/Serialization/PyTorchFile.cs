using System.Runtime.InteropServices;

namespace Autodiff.NN;

/// <summary>Reads and writes PyTorch's own checkpoint files, the <c>.pt</c> / <c>.pth</c> zip archives that
/// <c>torch.save(model.state_dict(), path)</c> writes and <c>torch.load(path)</c> reads, without Python.</summary>
/// <remarks>
/// <para>Layout (PyTorch 1.6 and later): a zip archive of stored (uncompressed) records under one top folder whose name
/// varies (<c>archive/</c>, or the file's stem): <c>data.pkl</c>, a pickle of the object saved; <c>data/0</c>,
/// <c>data/1</c>, ..., one raw little-endian storage each; <c>version</c>; and in newer releases <c>byteorder</c>. In the
/// pickle a tensor is <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)</c>, its
/// storage a persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c> naming the record <c>data/key</c>.</para>
/// <para>Reading is safe on untrusted files: the pickle runs on a restricted interpreter of data that knows only the
/// opcodes and globals a state dict uses (<c>collections.OrderedDict</c>, the tensor rebuild functions, the storage
/// classes). Any other global, such as <c>posix.system</c> or <c>builtins.eval</c>, is refused with an exception naming it
/// as soon as it is read; nothing in the file is ever called. Then every storage and view is checked against its record
/// before the first tensor is allocated.</para>
/// <para>Storages load as: Float and Double as Float32 and Float64; Half and BFloat16 converted to Float32; Long, Int,
/// Short, Char and Byte as Int64; Bool as Bool. A view (a transpose, a row of a matrix, an offset into a shared storage)
/// becomes a dense tensor holding the view's values; views sharing a storage become separate tensors.</para>
/// <para>Writing produces what <c>torch.save</c> does for a dict of tensors: an <c>OrderedDict</c> pickled at protocol 2,
/// one contiguous storage per tensor, records stored uncompressed under <c>archive/</c> with each record's data at a
/// multiple of 64 bytes as PyTorch aligns them, <c>version</c> 3 and <c>byteorder</c> little. Float32, Float64, Int64 and Bool tensors are written as Float, Double, Long and Bool storages.</para>
/// <para>The legacy format (<c>torch.save(..., _use_new_zipfile_serialization=False)</c>, PyTorch before 1.6) and
/// TorchScript archives (<c>torch.jit.save</c>) are not read.</para>
/// </remarks>
/// <example><code>
/// PyTorchFile.Save("model.pt", model.StateDict());          // torch.load("model.pt") reads it
/// model.LoadStateDict(PyTorchFile.Load("model.pt"));        // a file torch.save(model.state_dict(), ...) wrote
/// // or: model.SavePyTorch(path); model.LoadPyTorch(path);
/// </code></example>
public static partial class PyTorchFile
{
    private const string ArchiveName = "archive";

    // ---- writing ------------------------------------------------------------------------------------------------

    /// <summary>Writes <paramref name="stateDict"/> to <paramref name="path"/> as <c>torch.save(state_dict, path)</c>
    /// does, replacing the file atomically (a crash leaves the previous file).</summary>
    /// <param name="path">The file to write, conventionally <c>.pt</c> or <c>.pth</c>.</param>
    /// <param name="stateDict">Tensors by name, e.g. a <see cref="Module.StateDict"/> (<c>0.weight</c>, <c>fc1.bias</c>),
    /// written in the dictionary's order.</param>
    /// <exception cref="ArgumentNullException">The path, the dictionary or a tensor is null.</exception>
    /// <exception cref="ObjectDisposedException">A tensor was disposed.</exception>
    /// <exception cref="NotSupportedException">A tensor holds more than 2 GiB (one storage record is one span).</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(path);
        var ordered = Prepare(stateDict);                                   // every check before the file is touched
        AtomicFile.Write(path, file => WriteArchive(file, ordered));
    }

    /// <summary>Writes <paramref name="stateDict"/> as a PyTorch zip archive to <paramref name="destination"/>; see
    /// <see cref="Save"/>. The stream need not be seekable.</summary>
    /// <exception cref="ArgumentNullException">The stream, the dictionary or a tensor is null.</exception>
    /// <exception cref="ObjectDisposedException">A tensor was disposed.</exception>
    /// <exception cref="NotSupportedException">A tensor holds more than 2 GiB.</exception>
    public static void Write(Stream destination, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(destination);
        WriteArchive(destination, Prepare(stateDict));
    }

    /// <summary>The largest storage record written or read: one span (and one array) of bytes.</summary>
    internal const long MaxRecordBytes = int.MaxValue;

    private static List<(string Name, Tensor Tensor)> Prepare(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("PyTorchFile: storages are written little-endian and this machine is not.");
        var ordered = new List<(string, Tensor)>(stateDict.Count);
        foreach (var (name, t) in stateDict)
        {
            if (t is null) throw new ArgumentNullException(nameof(stateDict), $"PyTorchFile: tensor '{name}' is null.");
            if (t.IsDisposed) throw new ObjectDisposedException(t.Label, $"PyTorchFile: tensor '{name}' was disposed.");
            long bytes = (long)t.Numel * (t.DType switch { DType.Float32 => 4, DType.Bool => 1, _ => 8 });
            if (bytes > MaxRecordBytes)
                throw new NotSupportedException($"PyTorchFile: tensor '{name}' {t.Shape} {t.DType} holds {bytes:N0} bytes; a storage " +
                    $"record over {MaxRecordBytes:N0} bytes (2 GiB) is neither written nor read. Split it into smaller tensors.");
            ordered.Add((name, t));
        }
        return ordered;
    }

    private static void WriteArchive(Stream destination, List<(string Name, Tensor Tensor)> ordered)
    {
        var zip = new StoredZipWriter(destination);
        zip.Add($"{ArchiveName}/data.pkl", PickleWriter.StateDict(ordered));
        zip.Add($"{ArchiveName}/byteorder", "little"u8);
        for (int i = 0; i < ordered.Count; i++)
        {
            var t = ordered[i].Tensor;
            ReadOnlySpan<byte> bytes = t.DType switch
            {
                DType.Float32 => MemoryMarshal.AsBytes(t.F32),
                DType.Float64 => MemoryMarshal.AsBytes(t.F64),
                DType.Int64 => MemoryMarshal.AsBytes(t.I64),
                _ => MemoryMarshal.AsBytes(t.B8),                                                 // .NET bools are one byte, 0 or 1
            };
            zip.Add($"{ArchiveName}/data/{i}", bytes);
        }
        zip.Add($"{ArchiveName}/version", "3\n"u8);
        zip.Finish();
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    /// <summary>Reads a state dict from <paramref name="path"/>: the tensors of a file written by
    /// <c>torch.save(model.state_dict(), path)</c>, by name in the file's order. Same as <c>torch.load(path)</c> for a state dict.</summary>
    /// <returns>Tensors by name (dtypes as in the remarks of <see cref="PyTorchFile"/>). A nested dict of tensors
    /// (<c>{"model": state_dict}</c>) is flattened with dots (<c>model.0.weight</c>).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a PyTorch zip archive, is truncated or corrupt, its pickle
    /// names a global that is not allowed (the message names it), a view lies outside its storage, or it holds something
    /// other than tensors (use <see cref="LoadObject(string)"/> for a general checkpoint).</exception>
    /// <exception cref="NotSupportedException">The file is in PyTorch's legacy (pre-1.6) format, or its <c>byteorder</c> record says big-endian.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var source = Describe(path);
        return ToStateDict(LoadObject(path), source);
    }

    /// <summary>Reads a state dict from a PyTorch zip archive in <paramref name="source"/>; see <see cref="Load(string)"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is not a valid PyTorch archive of tensors.</exception>
    /// <exception cref="NotSupportedException">The stream is in PyTorch's legacy (pre-1.6) format.</exception>
    public static Dictionary<string, Tensor> Read(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ToStateDict(ReadObject(source), "stream");
    }

    /// <summary>Reads any object built of what a checkpoint may hold, e.g.
    /// <c>torch.save({"model": model.state_dict(), "epoch": 3}, path)</c>.</summary>
    /// <returns>The object saved, as plain .NET values: a dict or OrderedDict as <see cref="OrderedDictionary{TKey, TValue}"/>
    /// of <c>object</c> to <c>object?</c>, a list as <see cref="List{T}"/> of <c>object?</c>, a tuple as <c>object?[]</c>,
    /// a tensor as <see cref="Tensor"/>, an integer as <c>long</c>, a float as <c>double</c>, <c>bool</c>, <c>string</c>,
    /// and None as <c>null</c>.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid PyTorch zip archive, or its pickle uses a global or
    /// an opcode outside the restricted set (the message names it).</exception>
    /// <exception cref="NotSupportedException">The file is in PyTorch's legacy (pre-1.6) format.</exception>
    public static object? LoadObject(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorchFile: file '{path}' does not exist.", path);
        using var file = File.OpenRead(path);
        return ReadObject(file, Describe(path));
    }

    /// <summary>Reads any checkpoint object from a PyTorch zip archive in <paramref name="source"/>; see <see cref="LoadObject(string)"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is not a valid PyTorch zip archive, or its pickle uses a global or an opcode outside the restricted set.</exception>
    /// <exception cref="NotSupportedException">The stream is in PyTorch's legacy (pre-1.6) format.</exception>
    public static object? ReadObject(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ReadObject(source, "stream");
    }

    private static string Describe(string path) => $"'{path}'";

    /// <summary>The state dict view of a loaded object: a dict whose values are tensors or dicts of them.</summary>
    private static Dictionary<string, Tensor> ToStateDict(object? loaded, string source)
    {
        var result = new Dictionary<string, Tensor>();
        try
        {
            if (loaded is not OrderedDictionary<object, object?> dict)
                throw new InvalidDataException($"PyTorchFile: {source}: holds {Kind(loaded)}, not a state dict (a dict of tensors); use LoadObject to read it.");
            Flatten(dict, "", result, new HashSet<object>(ReferenceEqualityComparer.Instance), source);
        }
        catch
        {
            DisposeTensors(loaded);
            throw;
        }
        return result;
    }

    private static void Flatten(OrderedDictionary<object, object?> dict, string prefix, Dictionary<string, Tensor> into, HashSet<object> seen, string source)
    {
        if (!seen.Add(dict))
            throw new InvalidDataException($"PyTorchFile: {source}: the dict under '{prefix}' appears twice, which a state dict never does; use LoadObject to read it.");
        foreach (var (key, value) in dict)
        {
            if (key is not string name)
                throw new InvalidDataException($"PyTorchFile: {source}: key {key} under '{prefix}' is {Kind(key)}, not a name; use LoadObject to read it.");
            switch (value)
            {
                case Tensor t:
                    if (!into.TryAdd(prefix + name, t))
                        throw new InvalidDataException($"PyTorchFile: {source}: name '{prefix + name}' appears twice once nested dicts are flattened with dots; use LoadObject to read it.");
                    break;
                case OrderedDictionary<object, object?> inner: Flatten(inner, prefix + name + ".", into, seen, source); break;
                default:
                    throw new InvalidDataException($"PyTorchFile: {source}: entry '{prefix + name}' is {Kind(value)}, not a tensor; use LoadObject to read a checkpoint holding more than tensors.");
            }
        }
    }

    private static string Kind(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{s}'",
        long or double or bool => $"the number {value}",
        object?[] => "a tuple",
        List<object?> => "a list",
        OrderedDictionary<object, object?> => "a dict",
        _ => value.GetType().Name,
    };

    /// <summary>Gives back the buffers of every tensor inside a loaded object (after an error), each container once.</summary>
    private static void DisposeTensors(object? value, HashSet<object>? seen = null)
    {
        if (value is null || !(seen ??= new(ReferenceEqualityComparer.Instance)).Add(value)) return;
        switch (value)
        {
            case Tensor t: t.Dispose(); break;
            case OrderedDictionary<object, object?> d: foreach (var v in d.Values) DisposeTensors(v, seen); break;
            case List<object?> l: foreach (var v in l) DisposeTensors(v, seen); break;
            case object?[] a: foreach (var v in a) DisposeTensors(v, seen); break;
        }
    }
}
