using System.IO.Compression;
using System.Text;
using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

/// <summary>PyTorchFile: .pt archives assembled byte by byte here (the pickle opcodes torch.save emits, written out by
/// hand, so the reader is not only tested against our writer), every storage dtype, strided and offset views of one
/// storage, _metadata, a model round trip, and malicious or broken files refused with a message naming the cause.</summary>
public class PtFileTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-pt-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    // ---- building pickles and archives by hand ---------------------------------------------------------------------

    /// <summary>Pickle protocol 2 opcodes, written as bytes.</summary>
    private sealed class Pickle
    {
        private readonly List<byte> _bytes = [0x80, 2];                                          // PROTO 2

        public Pickle Op(char opcode) { _bytes.Add((byte)opcode); return this; }

        public Pickle Op(byte opcode) { _bytes.Add(opcode); return this; }

        public Pickle Global(string module, string name) { Op('c'); _bytes.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); return this; }

        public Pickle Str(string s)                                                              // BINUNICODE
        {
            var utf8 = Encoding.UTF8.GetBytes(s);
            Op('X');
            _bytes.AddRange(BitConverter.GetBytes(utf8.Length));
            _bytes.AddRange(utf8);
            return this;
        }

        public Pickle Int(int v)                                                                 // BININT1 or BININT
        {
            if (v is >= 0 and < 256) { Op('K'); _bytes.Add((byte)v); }
            else { Op('J'); _bytes.AddRange(BitConverter.GetBytes(v)); }
            return this;
        }

        public Pickle Put(byte memo) { Op('q'); _bytes.Add(memo); return this; }                 // BINPUT

        public Pickle Get(byte memo) { Op('h'); _bytes.Add(memo); return this; }                 // BINGET

        public Pickle Ints(params int[] values)                                                  // a tuple as torch writes sizes
        {
            if (values.Length == 0) return Op(')');
            if (values.Length <= 3) { foreach (int v in values) Int(v); return Op((byte)(0x84 + values.Length)); }
            Op('(');
            foreach (int v in values) Int(v);
            return Op('t');
        }

        /// <summary><c>_rebuild_tensor_v2(('storage', torch.{type}, key, 'cpu', numel), offset, size, stride, False, OrderedDict())</c>.</summary>
        public Pickle Tensor(string type, string key, int numel, int offset, int[] size, int[] stride) =>
            Global("torch._utils", "_rebuild_tensor_v2").Op('(')
                .Op('(').Str("storage").Global("torch", type).Str(key).Str("cpu").Int(numel).Op('t').Op('Q')
                .Int(offset).Ints(size).Ints(stride).Op(0x89)
                .Global("collections", "OrderedDict").Op(')').Op('R')
                .Op('t').Op('R');

        /// <summary>OrderedDict() then MARK: the state dict's items follow, closed by <see cref="EndDict"/>.</summary>
        public Pickle BeginDict() => Global("collections", "OrderedDict").Op(')').Op('R').Op('(');

        public Pickle EndDict() => Op('u');

        public byte[] Stop() => [.. _bytes, (byte)'.'];
    }

    /// <summary>A zip of stored records under <paramref name="folder"/>/, as torch.save lays them out.</summary>
    private static byte[] Archive(byte[] pickle, (string Key, byte[] Bytes)[] storages, string folder = "model", bool version = true, string? byteOrder = null)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = zip.CreateEntry($"{folder}/{name}", CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
            Add("data.pkl", pickle);
            if (byteOrder is not null) Add("byteorder", Encoding.ASCII.GetBytes(byteOrder));
            foreach (var (key, bytes) in storages) Add($"data/{key}", bytes);
            if (version) Add("version", "3\n"u8.ToArray());
        }
        return stream.ToArray();
    }

    private static Dictionary<string, Tensor> Read(byte[] archive) => PyTorchFile.Read(new MemoryStream(archive));

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Doubles(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Longs(params long[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>One tensor named "w" over storage "0", the state dict torch.save(OrderedDict(w=t)) writes.</summary>
    private static byte[] OneTensor(string type, byte[] storage, int numel, int[] size, int[] stride, int offset = 0) =>
        Archive(new Pickle().BeginDict().Str("w").Tensor(type, "0", numel, offset, size, stride).EndDict().Stop(), [("0", storage)]);

    // ---- reading hand-assembled files -------------------------------------------------------------------------------

    [Test]
    public void Read_Float32Matrix_AsTorchSaveWritesIt_WithMemo()
    {
        // torch.save(OrderedDict(w=torch.tensor([[1., 2, 3], [4, 5, 6]])), f), opcodes as pickletools.dis shows them,
        // including the memo (BINPUT/BINGET) torch's pickler writes.
        var pickle = new Pickle().Global("collections", "OrderedDict").Put(0).Op(')').Op('R').Put(1).Op('(')
            .Str("w").Put(2).Global("torch._utils", "_rebuild_tensor_v2").Put(3).Op('(')
            .Op('(').Str("storage").Put(4).Global("torch", "FloatStorage").Put(5).Str("0").Put(6).Str("cpu").Put(7).Int(6).Op('t').Put(8).Op('Q')
            .Int(0).Int(2).Int(3).Op(0x86).Put(9).Int(3).Int(1).Op(0x86).Put(10).Op(0x89).Get(0).Op(')').Op('R').Put(11).Op('t').Put(12).Op('R').Put(13)
            .Op('u').Stop();
        var state = Read(Archive(pickle, [("0", Floats(1, 2, 3, 4, 5, 6))], folder: "anyname"));

        Assert.That(state.Keys, Is.EqualTo(new[] { "w" }));
        Assert.That(state["w"].DType, Is.EqualTo(DType.Float32));
        Assert.That(state["w"].Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(state["w"].ToArray(), Is.EqualTo(new[] { 1f, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void Read_Float64_KeepsFloat64()
    {
        var t = Read(OneTensor("DoubleStorage", Doubles(Math.PI, -1e-300), 2, [2], [1]))["w"];
        Assert.That(t.DType, Is.EqualTo(DType.Float64));
        Assert.That(t.ToDoubleArray(), Is.EqualTo(new[] { Math.PI, -1e-300 }));
    }

    [Test]
    public void Read_Float16_WidensToFloat32()
    {
        // torch.tensor([1.5, -2, 65504, inf], dtype=torch.float16): 0x3E00, 0xC000, 0x7BFF, 0x7C00.
        byte[] half = [0x00, 0x3E, 0x00, 0xC0, 0xFF, 0x7B, 0x00, 0x7C];
        var t = Read(OneTensor("HalfStorage", half, 4, [4], [1]))["w"];
        Assert.That(t.DType, Is.EqualTo(DType.Float32));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1.5f, -2f, 65504f, float.PositiveInfinity }));
    }

    [Test]
    public void Read_BFloat16_WidensToFloat32()
    {
        // bfloat16 is the upper 16 bits of a float32: 1.5 = 0x3FC0, -2 = 0xC000, 1 + 2⁻⁷ = 0x3F81.
        byte[] bf16 = [0xC0, 0x3F, 0x00, 0xC0, 0x81, 0x3F];
        var t = Read(OneTensor("BFloat16Storage", bf16, 3, [3], [1]))["w"];
        Assert.That(t.DType, Is.EqualTo(DType.Float32));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1.5f, -2f, 1f + 1f / 128 }));
    }

    [Test]
    public void Read_Int64_KeepsInt64_IncludingAScalar()
    {
        // BatchNorm's num_batches_tracked: a LongStorage of one element viewed as a scalar (size (), stride ()).
        var state = Read(Archive(new Pickle().BeginDict()
            .Str("ids").Tensor("LongStorage", "0", 3, 0, [3], [1])
            .Str("num_batches_tracked").Tensor("LongStorage", "1", 1, 0, [], [])
            .EndDict().Stop(), [("0", Longs(long.MinValue, -1, long.MaxValue)), ("1", Longs(42))]));
        Assert.That(state["ids"].DType, Is.EqualTo(DType.Int64));
        Assert.That(state["ids"].ToInt64Array(), Is.EqualTo(new[] { long.MinValue, -1, long.MaxValue }));
        Assert.That(state["num_batches_tracked"].Shape.Rank, Is.EqualTo(0));
        Assert.That(state["num_batches_tracked"].ToInt64Array(), Is.EqualTo(new[] { 42L }));
    }

    [Test]
    public void Read_SmallIntegerStorages_LoadAsInt64()
    {
        var state = Read(Archive(new Pickle().BeginDict()
            .Str("i32").Tensor("IntStorage", "0", 2, 0, [2], [1])
            .Str("u8").Tensor("ByteStorage", "1", 2, 0, [2], [1])
            .Str("i8").Tensor("CharStorage", "2", 2, 0, [2], [1])
            .EndDict().Stop(), [("0", [.. BitConverter.GetBytes(-7), .. BitConverter.GetBytes(int.MaxValue)]), ("1", [0, 255]), ("2", [0x80, 0x7F])]));
        Assert.That(state["i32"].ToInt64Array(), Is.EqualTo(new[] { -7L, int.MaxValue }));
        Assert.That(state["u8"].ToInt64Array(), Is.EqualTo(new[] { 0L, 255 }));
        Assert.That(state["i8"].ToInt64Array(), Is.EqualTo(new[] { -128L, 127 }));
    }

    [Test]
    public void Read_Bool_KeepsBool()
    {
        var t = Read(OneTensor("BoolStorage", [1, 0, 0, 1], 4, [2, 2], [2, 1]))["w"];
        Assert.That(t.DType, Is.EqualTo(DType.Bool));
        Assert.That(t.ToBoolArray(), Is.EqualTo(new[] { true, false, false, true }));
    }

    [Test]
    public void Read_TransposeAndOffsetViewsOfOneStorage_MaterializeTheirValues()
    {
        // base = torch.arange(12.).reshape(3, 4); torch.save(OrderedDict(t=base.t(), row=base[1], col=base[:, 2]), f):
        // three views of storage "0": size (4, 3) stride (1, 4); offset 4 size (4,) stride (1,); offset 2 size (3,) stride (4,).
        var pickle = new Pickle().BeginDict()
            .Str("t").Tensor("FloatStorage", "0", 12, 0, [4, 3], [1, 4])
            .Str("row").Tensor("FloatStorage", "0", 12, 4, [4], [1])
            .Str("col").Tensor("FloatStorage", "0", 12, 2, [3], [4])
            .EndDict().Stop();
        var state = Read(Archive(pickle, [("0", Floats(Enumerable.Range(0, 12).Select(i => (float)i).ToArray()))]));

        Assert.That(state["t"].Shape.ToArray(), Is.EqualTo(new[] { 4, 3 }));
        Assert.That(state["t"].ToArray(), Is.EqualTo(new[] { 0f, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }));
        Assert.That(state["row"].ToArray(), Is.EqualTo(new[] { 4f, 5, 6, 7 }));
        Assert.That(state["col"].ToArray(), Is.EqualTo(new[] { 2f, 6, 10 }));
        state["row"].AsSpan()[0] = -1;                                                         // dense copies: no aliasing
        Assert.That(state["t"].ToArray()[1], Is.EqualTo(4f));
    }

    [Test]
    public void Read_StrideZeroView_RepeatsTheElement()
    {
        // torch.tensor([5.]).expand(3): stride 0.
        Assert.That(Read(OneTensor("FloatStorage", Floats(5), 1, [3], [0]))["w"].ToArray(), Is.EqualTo(new[] { 5f, 5, 5 }));
    }

    [Test]
    public void Read_AHugeStrideZeroView_IsRefusedBeforeItIsMaterialized()
    {
        // one stored float viewed as [65536, 1024] with strides [0, 0]: 64M elements (256 MB) from a file of a few bytes
        var e = Assert.Throws<InvalidDataException>(() => Read(OneTensor("FloatStorage", Floats(5), 1, [65536, 1024], [0, 0])));
        Assert.That(e!.Message, Does.Contain("67108864 elements").And.Contain("1 stored").And.Contain("stride 0"));
    }

    [Test]
    public void Read_MetadataAndNestedOrderedDicts_MetadataIgnoredNestedFlattened()
    {
        // torch.save({"model": model.state_dict()}) where the state dict carries _metadata = {"": {"version": 1}}, set by
        // BUILD with an attribute dict, exactly as torch writes it.
        var pickle = new Pickle().Op('}').Put(0).Str("model").Put(1)
            .Global("collections", "OrderedDict").Put(2).Op(')').Op('R').Put(3).Op('(')
            .Str("0.weight").Tensor("FloatStorage", "0", 2, 0, [1, 2], [2, 1])
            .Str("0.bias").Tensor("FloatStorage", "1", 1, 0, [1], [1])
            .Op('u')
            .Op('}').Str("_metadata").Get(2).Op(')').Op('R').Op('(')
            .Str("").Op('}').Str("version").Int(1).Op('s').Str("0").Op('}').Str("version").Int(1).Op('s').Op('u')
            .Op('s').Op('b')                                                                    // {"_metadata": ...}; BUILD
            .Op('s')                                                                            // outer["model"] = state dict
            .Stop();
        var state = Read(Archive(pickle, [("0", Floats(1, 2)), ("1", Floats(3))]));

        Assert.That(state.Keys, Is.EqualTo(new[] { "model.0.weight", "model.0.bias" }));
        Assert.That(state["model.0.weight"].ToArray(), Is.EqualTo(new[] { 1f, 2 }));
        Assert.That(state["model.0.bias"].ToArray(), Is.EqualTo(new[] { 3f }));
    }

    [Test]
    public void Read_NestedNameCollidingWithADottedName_Throws()
    {
        // {"a.b": t, "a": {"b": t}}: both flatten to "a.b"; refused rather than one silently replacing the other.
        var pickle = new Pickle().Op('}').Op('(')
            .Str("a.b").Tensor("FloatStorage", "0", 1, 0, [1], [1])
            .Str("a").Op('}').Str("b").Tensor("FloatStorage", "0", 1, 0, [1], [1]).Op('s')
            .Op('u').Stop();
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [("0", Floats(1))])));
        Assert.That(e!.Message, Does.Contain("'a.b'").And.Contain("twice"));
    }

    [Test]
    public void Read_RebuildParameter_GivesTheTensor()
    {
        // torch.save({"p": nn.Parameter(t)}): _rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict()).
        var pickle = new Pickle().Op('}').Str("p")
            .Global("torch._utils", "_rebuild_parameter").Op('(').Tensor("FloatStorage", "0", 2, 0, [2], [1])
            .Op(0x88).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R')
            .Op('s').Stop();
        Assert.That(Read(Archive(pickle, [("0", Floats(7, 8))]))["p"].ToArray(), Is.EqualTo(new[] { 7f, 8 }));
    }

    [Test]
    public void LoadObject_CheckpointWithNumbersListsAndStrings_GivesPlainValues()
    {
        // torch.save({"epoch": 3, "lr": 0.5, "name": "mlp", "flags": [True, None], "w": t}).
        var pickle = new Pickle().Op('}').Op('(')
            .Str("epoch").Int(3)
            .Str("lr").Op('G').Op(0x3F).Op(0xE0).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0)        // BINFLOAT 0.5, big-endian
            .Str("name").Str("mlp")
            .Str("flags").Op(']').Op('(').Op(0x88).Op('N').Op('e')
            .Str("w").Tensor("FloatStorage", "0", 1, 0, [1], [1])
            .Op('u').Stop();
        var path = Path.Combine(_dir, "ckpt.pt");
        File.WriteAllBytes(path, Archive(pickle, [("0", Floats(9))]));

        var loaded = (OrderedDictionary<object, object?>)PyTorchFile.LoadObject(path)!;
        Assert.That(loaded["epoch"], Is.EqualTo(3L));
        Assert.That(loaded["lr"], Is.EqualTo(0.5));
        Assert.That(loaded["name"], Is.EqualTo("mlp"));
        Assert.That(loaded["flags"], Is.EqualTo(new List<object?> { true, null }));
        Assert.That(((Tensor)loaded["w"]!).ToArray(), Is.EqualTo(new[] { 9f }));
        var e = Assert.Throws<InvalidDataException>(() => PyTorchFile.Load(path));
        Assert.That(e!.Message, Does.Contain("'epoch'").And.Contain("LoadObject"));
    }

    // ---- malicious and broken files ---------------------------------------------------------------------------------

    [Test]
    public void Read_OsSystemGlobal_IsRefusedNamingIt()
    {
        // The classic exploit: posix.system("touch pwned") via GLOBAL + REDUCE, as pickle.dumps of an object whose
        // __reduce__ returns (os.system, ("touch pwned",)).
        string marker = Path.Combine(_dir, "pwned");
        var pickle = new Pickle().Global("posix", "system").Str($"touch {marker}").Op(0x85).Op('R').Stop();

        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [])));
        Assert.That(e!.Message, Does.Contain("posix.system").And.Contain("not allowed"));
        Assert.That(File.Exists(marker), Is.False);
    }

    [TestCase("builtins", "eval")]
    [TestCase("os", "system")]
    [TestCase("torch", "load")]
    [TestCase("torch._utils", "_rebuild_device_tensor_from_numpy")]
    [TestCase("__builtin__", "getattr")]
    public void Read_AnyOtherGlobal_IsRefusedNamingIt(string module, string name)
    {
        // Hidden inside an otherwise valid state dict, after a good tensor.
        var pickle = new Pickle().BeginDict().Str("w").Tensor("FloatStorage", "0", 1, 0, [1], [1])
            .Str("x").Global(module, name).Str("1").Op(0x85).Op('R').EndDict().Stop();
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [("0", Floats(1))])));
        Assert.That(e!.Message, Does.Contain($"'{module}.{name}'"));
    }

    [Test]
    public void Read_StorageClassCalledThroughReduce_IsRefused()
    {
        var pickle = new Pickle().Global("torch", "FloatStorage").Op(')').Op('R').Stop();
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [])));
        Assert.That(e!.Message, Does.Contain("torch.FloatStorage"));
    }

    [Test]
    public void Read_OpcodeOutsideTheSet_IsRefusedNamingIt()
    {
        var pickle = new Pickle().Op('i').Stop();                                                 // INST: builds arbitrary objects
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [])));
        Assert.That(e!.Message, Does.Contain("opcode 0x69"));
    }

    [Test]
    public void Read_ContainerHoldingItself_IsRefused()
    {
        var pickle = new Pickle().Op(']').Put(0).Get(0).Op('a').Stop();                          // l = []; l.append(l)
        var e = Assert.Throws<InvalidDataException>(() => PyTorchFile.ReadObject(new MemoryStream(Archive(pickle, []))));
        Assert.That(e!.Message, Does.Contain("holds itself"));
    }

    [Test]
    public void ReadObject_SharedContainersNestedSixtyDeep_AreVisitedOnceNotTwoToTheSixty()
    {
        // t0 = (); t(i) = (t(i-1), t(i-1)) through the memo: 2⁶⁰ paths, 61 objects. Sharing is kept as Python keeps it.
        var pickle = new Pickle().Op(')').Put(0);
        for (byte i = 1; i <= 60; i++) pickle.Get((byte)(i - 1)).Op(0x86).Put(i);
        var top = (object?[])PyTorchFile.ReadObject(new MemoryStream(Archive(pickle.Stop(), [])))!;
        Assert.That(top[0], Is.SameAs(top[1]));
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle.Stop(), [])));
        Assert.That(e!.Message, Does.Contain("not a state dict"));
    }

    [Test]
    public void Read_StringLongerThanThePickle_IsTruncatedNotAnOverflow()
    {
        byte[] pickle = [0x80, 2, (byte)'X', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'a', (byte)'.'];       // BINUNICODE of 4 GiB - 1 bytes
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [])));
        Assert.That(e!.Message, Does.Contain("truncated"));
    }

    [Test]
    public void Read_HugeStrideOrStorageSize_IsRefusedNotAnOverflow()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(OneTensor("FloatStorage", Floats(1, 2), 2, [2], [int.MaxValue])));
        Assert.That(e!.Message, Does.Contain("outside its storage"));
        var pickle = new Pickle().BeginDict().Str("w").Global("torch._utils", "_rebuild_tensor_v2").Op('(')
            .Op('(').Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu")
            .Op(0x8a).Op(8).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0x40)                    // LONG1: numel 2⁶², 2⁶⁴ bytes
            .Op('t').Op('Q').Int(0).Ints(1).Ints(1).Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R')
            .EndDict().Stop();
        e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [("0", [])])));
        Assert.That(e!.Message, Does.Contain("more than an array can hold"));
    }

    [Test]
    public void Read_PickleWithoutStop_IsTruncated()
    {
        byte[] full = new Pickle().BeginDict().Str("w").Tensor("FloatStorage", "0", 1, 0, [1], [1]).EndDict().Stop();
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(full[..^5], [("0", Floats(1))])));
        Assert.That(e!.Message, Does.Contain("truncated").Or.Contain("STOP"));
    }

    [Test]
    public void Read_TruncatedArchive_ThrowsInvalidData()
    {
        var bytes = OneTensor("FloatStorage", Floats(1, 2), 2, [2], [1]);
        Assert.Throws<InvalidDataException>(() => Read(bytes[..(bytes.Length / 2)]));
        Assert.Throws<InvalidDataException>(() => Read(bytes[..^10]));
    }

    [Test]
    public void Read_Garbage_ThrowsInvalidDataNamingTheFormat()
    {
        var path = Path.Combine(_dir, "garbage.pt");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("this is not a checkpoint at all, just text"));
        var e = Assert.Throws<InvalidDataException>(() => PyTorchFile.Load(path));
        Assert.That(e!.Message, Does.Contain("garbage.pt").And.Contain("zip"));
    }

    [Test]
    public void Read_LegacyFormat_ThrowsNotSupported()
    {
        // Before 1.6 torch.save wrote a bare pickle: a magic number pickled at protocol 2 first.
        var e = Assert.Throws<NotSupportedException>(() => Read([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.']));
        Assert.That(e!.Message, Does.Contain("legacy"));
    }

    [Test]
    public void Read_ByteOrderRecord_LittleIsReadBigIsRefused()
    {
        var pickle = new Pickle().BeginDict().Str("w").Tensor("FloatStorage", "0", 1, 0, [1], [1]).EndDict().Stop();
        Assert.That(Read(Archive(pickle, [("0", Floats(2))], byteOrder: "little"))["w"].ToArray(), Is.EqualTo(new[] { 2f }));
        var e = Assert.Throws<NotSupportedException>(() => Read(Archive(pickle, [("0", Floats(2))], byteOrder: "big")));
        Assert.That(e!.Message, Does.Contain("big-endian"));
    }

    [Test]
    public void Read_ArchiveWithoutDataPkl_Throws()
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true)) zip.CreateEntry("a/other.txt");
        var e = Assert.Throws<InvalidDataException>(() => Read(stream.ToArray()));
        Assert.That(e!.Message, Does.Contain("data.pkl"));
    }

    [Test]
    public void Read_MissingStorageRecord_Throws()
    {
        var pickle = new Pickle().BeginDict().Str("w").Tensor("FloatStorage", "7", 2, 0, [2], [1]).EndDict().Stop();
        var e = Assert.Throws<InvalidDataException>(() => Read(Archive(pickle, [])));
        Assert.That(e!.Message, Does.Contain("model/data/7").And.Contain("missing"));
    }

    [Test]
    public void Read_StorageRecordOfWrongSize_Throws()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(OneTensor("FloatStorage", Floats(1, 2, 3), 2, [2], [1])));
        Assert.That(e!.Message, Does.Contain("12 bytes").And.Contain("takes 8"));
    }

    [TestCase(0, new[] { 3 }, new[] { 1 })]                                                       // one element too many
    [TestCase(1, new[] { 2 }, new[] { 1 })]                                                       // offset pushes it past the end
    [TestCase(0, new[] { 2, 2 }, new[] { 2, 1 })]                                                 // strides reach element 3
    public void Read_ViewOutsideItsStorage_Throws(int offset, int[] size, int[] stride)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(OneTensor("FloatStorage", Floats(1, 2), 2, size, stride, offset)));
        Assert.That(e!.Message, Does.Contain("outside its storage"));
    }

    [Test]
    public void Load_MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => PyTorchFile.Load(Path.Combine(_dir, "none.pt")));

    // ---- writing ----------------------------------------------------------------------------------------------------

    [Test]
    public void Write_LaysOutRecordsAsTorchSave()
    {
        using var stream = new MemoryStream();
        PyTorchFile.Write(stream, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1f, 2f], 2), ["n"] = Tensor.FromArray([5L], 1) });
        stream.Position = 0;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read);

        Assert.That(zip.Entries.Select(e => e.FullName),
            Is.EqualTo(new[] { "archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version" }));
        Assert.That(zip.Entries.All(e => e.CompressedLength == e.Length), Is.True, "records are stored, not deflated");
        byte[] Bytes(string name) { using var s = zip.GetEntry(name)!.Open(); var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); }
        Assert.That(Bytes("archive/version"), Is.EqualTo("3\n"u8.ToArray()));
        Assert.That(Bytes("archive/byteorder"), Is.EqualTo("little"u8.ToArray()));
        Assert.That(Bytes("archive/data/0"), Is.EqualTo(Floats(1, 2)));
        Assert.That(Bytes("archive/data/1"), Is.EqualTo(Longs(5)));
        var pickle = Bytes("archive/data.pkl");
        Assert.That(pickle[..2], Is.EqualTo(new byte[] { 0x80, 2 }), "protocol 2");
        Assert.That(Encoding.ASCII.GetString(pickle), Does.Contain("ctorch._utils\n_rebuild_tensor_v2\n").And.Contain("ctorch\nLongStorage\n"));
    }

    [Test]
    public void Write_EveryRecordsDataStartsAtAMultipleOf64Bytes_AndCarriesItsCrc()
    {
        using var stream = new MemoryStream();
        PyTorchFile.Write(stream, new Dictionary<string, Tensor>
        {
            ["a"] = Tensor.FromArray([1f, 2f, 3f], 3), ["a_longer_name.weight"] = Tensor.FromArray([true], 1), ["c"] = Tensor.FromArray([7L], 1),
        });
        var file = stream.ToArray();
        int records = 0;
        for (int at = 0; BitConverter.ToUInt32(file, at) == 0x04034b50; records++)               // walk the local headers
        {
            int size = BitConverter.ToInt32(file, at + 18), nameLength = BitConverter.ToUInt16(file, at + 26), extraLength = BitConverter.ToUInt16(file, at + 28);
            int data = at + 30 + nameLength + extraLength;
            string name = Encoding.UTF8.GetString(file, at + 30, nameLength);
            Assert.That(data % 64, Is.EqualTo(0), name);
            Assert.That(BitConverter.ToUInt16(file, at + 8), Is.EqualTo(0), $"{name} is stored");
            Assert.That(BitConverter.ToUInt32(file, at + 14), Is.EqualTo(StoredZipWriter.Crc32(file.AsSpan(data, size))), name);
            at = data + size;
        }
        Assert.That(records, Is.EqualTo(6));
        Assert.That(StoredZipWriter.Crc32("123456789"u8), Is.EqualTo(0xCBF43926u), "the standard CRC-32 check value");
    }

    [Test]
    public void SaveThenLoad_EveryDType_RoundTripsExactly()
    {
        var state = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromArray([1f, -0f, float.NaN, float.MaxValue, 1e-45f, -3.5f], 2, 3),
            ["f64"] = Tensor.FromArray([Math.PI, double.Epsilon], 2),
            ["i64"] = Tensor.FromArray([long.MinValue, 0L, 1L << 40, long.MaxValue], 2, 2),
            ["bool"] = Tensor.FromArray([true, false, true], 3),
            ["scalar"] = Tensor.Scalar(2.5),
            ["empty"] = Tensor.Zeros(0, 4),
            ["big"] = Tensor.FromArray(Enumerable.Range(0, 70000).Select(i => (float)i).ToArray(), 70000),  // sizes past BININT2
        };
        var path = Path.Combine(_dir, "all.pt");
        PyTorchFile.Save(path, state);
        var loaded = PyTorchFile.Load(path);

        Assert.That(loaded.Keys, Is.EqualTo(state.Keys));
        foreach (var (name, t) in state)
        {
            Assert.That(loaded[name].DType, Is.EqualTo(t.DType), name);
            Assert.That(loaded[name].Shape, Is.EqualTo(t.Shape), name);
        }
        Assert.That(loaded["f32"].ToArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(state["f32"].ToArray().Select(BitConverter.SingleToInt32Bits)));
        Assert.That(loaded["f64"].ToDoubleArray(), Is.EqualTo(state["f64"].ToDoubleArray()));
        Assert.That(loaded["i64"].ToInt64Array(), Is.EqualTo(state["i64"].ToInt64Array()));
        Assert.That(loaded["bool"].ToBoolArray(), Is.EqualTo(state["bool"].ToBoolArray()));
        Assert.That(loaded["scalar"].ToArray(), Is.EqualTo(new[] { 2.5f }));
        Assert.That(loaded["big"].ToArray(), Is.EqualTo(state["big"].ToArray()));
    }

    [Test]
    public void SequentialModel_SavePyTorchThenLoadPyTorch_GivesEqualParametersAndOutputs()
    {
        Generator.ManualSeed(1);
        var model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3), new BatchNorm1d(3));
        model.Forward(Tensor.Randn(5, 4));                                                       // moves the running stats
        model.Eval();
        var path = Path.Combine(_dir, "model.pt");
        model.SavePyTorch(path);

        var copy = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3), new BatchNorm1d(3));
        copy.LoadPyTorch(path);
        copy.Eval();
        var original = model.StateDict();
        foreach (var (name, t) in copy.StateDict())
            Assert.That(t.DType == DType.Int64 ? t.ToInt64Array().Select(v => (double)v) : t.ToArray().Select(v => (double)v),
                Is.EqualTo(original[name].DType == DType.Int64 ? original[name].ToInt64Array().Select(v => (double)v) : original[name].ToArray().Select(v => (double)v)), name);
        var x = Tensor.Randn(2, 4);
        Assert.That(copy.Forward(x).ToArray(), Is.EqualTo(model.Forward(x).ToArray()));
    }

    [Test]
    public void LoadPyTorch_WrongShapes_ThrowsAndChangesNothing()
    {
        var path = Path.Combine(_dir, "small.pt");
        new Linear(2, 2).SavePyTorch(path);
        var model = new Linear(3, 2);
        var before = model.Weight.ToArray();
        Assert.Throws<ArgumentException>(() => model.LoadPyTorch(path));
        Assert.That(model.Weight.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void Save_ATensorOver2GiB_IsRefusedNamingIt_BeforeTheFileIsTouched()
    {
        // A stride-0 view has 2^29 + 1 float32 elements (2 GiB + 4 bytes) without allocating them; the size check
        // counts elements, as it would for a materialized tensor of that shape.
        var huge = Tensor.Zeros([1]).Expand((1 << 29) + 1);
        var path = Path.Combine(_dir, "huge.pt");
        var e = Assert.Throws<NotSupportedException>(() => PyTorchFile.Save(path, new Dictionary<string, Tensor> { ["embed.weight"] = huge }));
        Assert.That(e!.Message, Does.Contain("'embed.weight'").And.Contain("[536870913]").And.Contain("2 GiB"));
        Assert.That(File.Exists(path), Is.False);
        Assert.Throws<NotSupportedException>(() => PyTorchFile.Write(Stream.Null, new Dictionary<string, Tensor> { ["w"] = huge }));
    }
}
