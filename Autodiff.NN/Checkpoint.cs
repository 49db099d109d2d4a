using System.Security.Cryptography;
using System.Text;

namespace Autodiff.NN;

/// <summary>Reads and writes named tensors (a state dict) as one binary file, atomically and with a checksum.</summary>
/// <remarks>Format, little-endian: magic <c>ADCK</c>, int32 version (1), int32 count, then per tensor: name
/// (int32 byte length + UTF-8), dtype byte (0 = Float32, 1 = Float64, 2 = Int64, 3 = Bool: the <see cref="DType"/>
/// value), int32 rank, int32 dims, raw values (a Bool as one byte, 0 or 1); last, the
/// SHA-256 of everything before it. Writing goes to a temporary file that is flushed and renamed over the target, so
/// a crash mid-write leaves the previous file intact. Reading checks magic, version, lengths and checksum and
/// reports the first problem with the file name.</remarks>
public static class Checkpoint
{
    private static readonly byte[] Magic = "ADCK"u8.ToArray();
    private const int Version = 1;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, replacing it atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            var items = tensors.ToArray();
            w.Write(Magic);
            w.Write(Version);
            w.Write(items.Length);
            foreach (var (name, t) in items)
            {
                var nameBytes = Encoding.UTF8.GetBytes(name);
                w.Write(nameBytes.Length);
                w.Write(nameBytes);
                w.Write((byte)t.DType);                                  // 0 Float32, 1 Float64, 2 Int64, 3 Bool
                w.Write(t.Rank);
                foreach (int d in t.Shape) w.Write(d);
                switch (t.DType)
                {
                    case DType.Float32: foreach (float v in t.F32) w.Write(v); break;
                    case DType.Float64: foreach (double v in t.F64) w.Write(v); break;
                    case DType.Int64: foreach (long v in t.I64) w.Write(v); break;
                    default: foreach (bool v in t.B8) w.Write(v); break;
                }
            }
        }
        var hash = SHA256.HashData(payload.GetBuffer().AsSpan(0, (int)payload.Length));
        AtomicFile.Write(path, file =>
        {
            file.Write(payload.GetBuffer(), 0, (int)payload.Length);
            file.Write(hash);
        });
    }

    /// <summary>Saves a model and its optimizer's state in one file, as <c>model.{name}</c> and <c>optimizer.{name}</c>
    /// (and a learning-rate scheduler's as <c>scheduler.{name}</c>), so training can resume exactly with
    /// <see cref="LoadTraining"/>.</summary>
    public static void SaveTraining(string path, Module model, Optim.Optimizer optimizer, Optim.LRScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        Save(path, model.StateDict().Select(p => KeyValuePair.Create("model." + p.Key, p.Value))
            .Concat(optimizer.StateDict().Select(p => KeyValuePair.Create("optimizer." + p.Key, p.Value)))
            .Concat((scheduler?.StateDict() ?? []).Select(p => KeyValuePair.Create("scheduler." + p.Key, p.Value))));
    }

    /// <summary>Restores a model, optimizer and (when given) scheduler saved by <see cref="SaveTraining"/>; nothing
    /// changes if the file is corrupt or does not fit.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated.</exception>
    /// <exception cref="ArgumentException">The file does not fit the model, optimizer or scheduler (a scheduler is given
    /// but the file holds none, or the reverse).</exception>
    public static void LoadTraining(string path, Module model, Optim.Optimizer optimizer, Optim.LRScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var entries = Load(path);
        Dictionary<string, Tensor> Part(string prefix) =>
            entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(e => e.Key[prefix.Length..], e => e.Value);
        var (modelState, optimizerState, schedulerState) = (Part("model."), Part("optimizer."), Part("scheduler."));
        if ((schedulerState.Count > 0) != (scheduler is not null))
            Check.Fail("LoadTraining", scheduler is null
                ? $"{path} holds a learning-rate scheduler's state; pass the scheduler too, or its schedule would restart and decay the restored rate again."
                : $"{path} holds no scheduler state, so {scheduler.GetType().Name} cannot resume; it was saved without one.", nameof(scheduler));
        var (previous, previousSchedule) = (optimizer.StateDict(), scheduler?.StateDict());
        optimizer.LoadStateDict(optimizerState);                 // each checks everything before changing anything
        try
        {
            scheduler?.LoadStateDict(schedulerState);
            model.LoadStateDict(modelState);
        }
        catch (ArgumentException)
        {
            optimizer.LoadStateDict(previous);                   // never leave a half-loaded set
            if (previousSchedule is not null) scheduler!.LoadStateDict(previousSchedule);
            throw;
        }
    }

    /// <summary>Reads the named tensors in <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, or of another format or version.</exception>
    public static List<KeyValuePair<string, Tensor>> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint: file '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 8 + 32 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw new InvalidDataException($"Checkpoint: '{path}' is not an Autodiff checkpoint (bad magic or too short).");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new InvalidDataException($"Checkpoint: '{path}' is corrupt or truncated (checksum mismatch).");
        var result = new List<KeyValuePair<string, Tensor>>();
        using var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length));
        r.ReadBytes(4);
        int version = r.ReadInt32();
        if (version != Version) throw new InvalidDataException($"Checkpoint: '{path}' has format version {version}; this library reads {Version}.");
        int count = r.ReadInt32();
        try
        {
            for (int i = 0; i < count; i++)
            {
                string name = Encoding.UTF8.GetString(r.ReadBytes(r.ReadInt32()));
                byte dtype = r.ReadByte();
                var dims = new int[r.ReadInt32()];
                for (int d = 0; d < dims.Length; d++) dims[d] = r.ReadInt32();
                if (dtype > (byte)DType.Bool) throw new InvalidDataException($"Checkpoint: '{path}' entry '{name}' has unknown dtype {dtype}.");
                var t = Compute.Empty(new Shape(dims), (DType)dtype);          // rank 0 stays a scalar []
                switch (t.DType)
                {
                    case DType.Float32: { var v = t.F32; for (int j = 0; j < v.Length; j++) v[j] = r.ReadSingle(); break; }
                    case DType.Float64: { var v = t.F64; for (int j = 0; j < v.Length; j++) v[j] = r.ReadDouble(); break; }
                    case DType.Int64: { var v = t.I64; for (int j = 0; j < v.Length; j++) v[j] = r.ReadInt64(); break; }
                    default: { var v = t.B8; for (int j = 0; j < v.Length; j++) v[j] = r.ReadByte() != 0; break; }
                }
                result.Add(new(name, t));
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Checkpoint: '{path}' ends inside entry {result.Count} of {count}.", e);
        }
        return result;
    }
}
