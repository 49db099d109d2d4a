using System.Text;
using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>Safetensors.cs: the bytes written follow the published layout exactly, files round-trip, a state dict
/// under PyTorch's names reloads into a fresh model, and malformed files fail with a message naming file and tensor.</summary>
public class SafetensorsTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-safetensors-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static byte[] Serialize(Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static byte[] U64(ulong n) => BitConverter.GetBytes(n);                 // little-endian on every .NET we run on

    // ---- the bytes, against the published layout -----------------------------------------------------------------

    [Test]
    public void Write_OneTensor_MatchesThePublishedLayoutByteForByte()
    {
        // The reference implementation's own serialization example: "attn.0", F32 [1, 2, 3] holding 0..5.
        var bytes = Serialize(new() { ["attn.0"] = Tensor.FromArray([0f, 1f, 2f, 3f, 4f, 5f], 1, 2, 3) });
        byte[] expected =
        [
            64, 0, 0, 0, 0, 0, 0, 0,                                                   // N = 64, u64 little-endian
            .. """{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"""u8, // 64 bytes: no padding needed
            0, 0, 0, 0,  0, 0, 128, 63,  0, 0, 0, 64,                                  // 0f, 1f (0x3F800000), 2f (0x40000000)
            0, 0, 64, 64,  0, 0, 128, 64,  0, 0, 160, 64,                              // 3f, 4f, 5f, little-endian
        ];
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [Test]
    public void Write_PadsTheHeaderWithSpacesToAMultipleOf8()
    {
        var bytes = Serialize(new() { ["attn0"] = Tensor.FromArray([0f, 1f, 2f, 3f, 4f, 5f], 1, 1, 2, 3) });
        byte[] expected =
        [
            72, 0, 0, 0, 0, 0, 0, 0,
            .. """{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       """u8,  // 65 + 7 spaces = 72
            0, 0, 0, 0,  0, 0, 128, 63,  0, 0, 0, 64,  0, 0, 64, 64,  0, 0, 128, 64,  0, 0, 160, 64,
        ];
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [Test]
    public void Write_Empty_IsABracePairAndSixSpaces()
    {
        Assert.That(Serialize([]), Is.EqualTo(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }));
        byte[] withMetadata = [40, 0, 0, 0, 0, 0, 0, 0, .. """{"__metadata__":{"framework":"pt"}}     """u8];
        Assert.That(Serialize([], new() { ["framework"] = "pt" }), Is.EqualTo(withMetadata));
    }

    [Test]
    public void Write_OrdersByDescendingDTypeThenName_MetadataFirst()
    {
        var bytes = Serialize(
            new()
            {
                ["b"] = Tensor.FromArray([2f, 3f]),
                ["z"] = Tensor.FromArray([1.0]),
                ["a"] = Tensor.Scalar(-1),
            },
            new() { ["version"] = "1", ["format"] = "pt" });
        string json = """
            {"__metadata__":{"format":"pt","version":"1"},
            "z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},
            "a":{"dtype":"F32","shape":[],"data_offsets":[8,12]},
            "b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}
            """.ReplaceLineEndings("");
        json += new string(' ', (8 - json.Length % 8) % 8);
        byte[] expected =
        [
            .. U64((ulong)json.Length), .. Encoding.UTF8.GetBytes(json),
            0, 0, 0, 0, 0, 0, 240, 63,                                                 // z = 1.0 (0x3FF0000000000000)
            0, 0, 128, 191,                                                            // a = -1f (0xBF800000)
            0, 0, 0, 64,  0, 0, 64, 64,                                                // b = 2f, 3f
        ];
        Assert.That(bytes, Is.EqualTo(expected));
        Assert.That(json.Length % 8, Is.EqualTo(0));
    }

    [Test]
    public void Write_EscapesNamesAsJson()
    {
        var bytes = Serialize(new() { ["q\"\\\n\u0001é"] = Tensor.Zeros(0) });
        string header = Encoding.UTF8.GetString(bytes, 8, bytes.Length - 8).TrimEnd();
        Assert.That(header, Is.EqualTo("""{"q\"\\\n\u0001é":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"""));
    }

    // ---- round trips -------------------------------------------------------------------------------------------

    [Test]
    public void SaveThenLoad_KeepsNamesShapesDTypesAndBits()
    {
        var path = Path.Combine(_dir, "t.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["weights"] = Tensor.FromArray([1.5f, float.NaN, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue], 2, 3),
            ["scalar"] = Tensor.Scalar(0.1, DType.Float64),
            ["empty"] = Tensor.Zeros(0, 4),
            ["deep.name.bias"] = Tensor.Randn([3, 1, 2], seed: 3, DType.Float64),
        };
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["note"] = "ünïcode ok" });
        var loaded = Safetensors.Load(path, out var metadata);
        Assert.That(loaded.Keys, Is.EquivalentTo(tensors.Keys));
        foreach (var (name, t) in tensors)
        {
            Assert.That((loaded[name].Shape, loaded[name].DType), Is.EqualTo((t.Shape, t.DType)), name);
            Assert.That(loaded[name].ToDoubleArray().Select(BitConverter.DoubleToInt64Bits),
                Is.EqualTo(t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits)), name);
        }
        Assert.That(metadata, Is.EqualTo(new Dictionary<string, string> { ["note"] = "ünïcode ok" }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(Serialize(tensors, new() { ["note"] = "ünïcode ok" })), "Save writes what Write writes");
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file left behind");
    }

    [Test]
    public void Load_WithoutMetadata_GivesAnEmptyDictionary()
    {
        var path = Path.Combine(_dir, "t.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Ones(1) });
        Safetensors.Load(path, out var metadata);
        Assert.That(metadata, Is.Empty);
    }

    [Test]
    public void Load_ReadsF16AndBF16AsFloat32()
    {
        var path = Path.Combine(_dir, "half.safetensors");
        byte[] header = """{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[6,12]}}"""u8.ToArray();
        byte[] data =
        [
            0x00, 0x3C,  0x00, 0xC0,  0x00, 0x38,                                      // F16 1, -2, 0.5
            0x80, 0x3F,  0x00, 0xC0,  0x49, 0x40,                                      // BF16 1, -2, 3.140625 (0x40490000)
        ];
        File.WriteAllBytes(path, [.. U64((ulong)header.Length), .. header, .. data]);
        var loaded = Safetensors.Load(path);
        Assert.That((loaded["h"].DType, loaded["b"].DType), Is.EqualTo((DType.Float32, DType.Float32)));
        Assert.That(loaded["h"].ToArray(), Is.EqualTo(new[] { 1f, -2f, 0.5f }));
        Assert.That(loaded["b"].ToArray(), Is.EqualTo(new[] { 1f, -2f, 3.140625f }));
    }

    [Test]
    public void Load_ReadsEveryIntegerDTypeAsInt64_Exactly()
    {
        // Integers load as Int64, as PyTorch loads I64 as torch.int64 (before the Int64 dtype they loaded as Float64).
        var path = Path.Combine(_dir, "ints.safetensors");
        byte[] header = ("""{"i8":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},"u8":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},""" +
            """ "i16":{"dtype":"I16","shape":[1],"data_offsets":[3,5]},"u16":{"dtype":"U16","shape":[1],"data_offsets":[5,7]},""" +
            """ "i32":{"dtype":"I32","shape":[1],"data_offsets":[7,11]},"u32":{"dtype":"U32","shape":[1],"data_offsets":[11,15]},""" +
            """ "i64":{"dtype":"I64","shape":[3],"data_offsets":[15,39]},"u64":{"dtype":"U64","shape":[],"data_offsets":[39,47]}}""").Select(c => (byte)c).ToArray();
        byte[] data =
        [
            0xFD, 0x7F,                                                                   // I8 -3, 127
            0xFA,                                                                         // U8 250
            0x00, 0x80,  0xFF, 0xFF,                                                      // I16 -32768, U16 65535
            .. BitConverter.GetBytes(-123456789), .. BitConverter.GetBytes(4000000000u),
            .. BitConverter.GetBytes(long.MinValue), .. BitConverter.GetBytes(7L), .. BitConverter.GetBytes((1L << 53) | 1),
            .. BitConverter.GetBytes((ulong)long.MaxValue),
        ];
        File.WriteAllBytes(path, [.. U64((ulong)header.Length), .. header, .. data]);
        var loaded = Safetensors.Load(path);
        Assert.That(loaded.Values.Select(t => t.DType), Is.All.EqualTo(DType.Int64));
        Assert.That(loaded["i8"].ToInt64Array(), Is.EqualTo(new long[] { -3, 127 }));
        Assert.That(loaded["u8"].ToInt64Array(), Is.EqualTo(new long[] { 250 }));
        Assert.That((loaded["i16"].ItemInt64(), loaded["u16"].ItemInt64()), Is.EqualTo((-32768L, 65535L)));
        Assert.That((loaded["i32"].ItemInt64(), loaded["u32"].ItemInt64()), Is.EqualTo((-123456789L, 4000000000L)));
        Assert.That(loaded["i64"].ToInt64Array(), Is.EqualTo(new[] { long.MinValue, 7, (1L << 53) | 1 }), "beyond ±2⁵³, exactly");
        Assert.That(loaded["u64"].Shape.Rank, Is.EqualTo(0));
        Assert.That(loaded["u64"].ItemInt64(), Is.EqualTo(long.MaxValue));
    }

    [TestCase(1UL << 63)]
    [TestCase(ulong.MaxValue)]
    public void Load_Throws_ForAU64BeyondInt64(ulong value)
    {
        var path = Path.Combine(_dir, "big.safetensors");
        byte[] header = Encoding.UTF8.GetBytes("""{"ids":{"dtype":"U64","shape":[2],"data_offsets":[0,16]}}""");
        File.WriteAllBytes(path, [.. U64((ulong)header.Length), .. header, .. BitConverter.GetBytes(1L), .. BitConverter.GetBytes(value)]);
        var ex = Assert.Throws<NotSupportedException>(() => Safetensors.Load(path))!;
        Assert.That(ex.Message, Does.Contain("tensor 'ids' (U64 [2])").And.Contain("element 1").And.Contain("Int64"));
    }

    [Test]
    public void Int64AndBool_RoundTrip_AsI64AndBOOL_InTheReferenceOrder()
    {
        var path = Path.Combine(_dir, "intbool.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["mask"] = Tensor.FromArray(new[] { true, false, true }),
            ["w"] = Tensor.FromArray(new[] { 1f, 2f }),
            ["ids"] = Tensor.FromArray(new long[] { long.MinValue, -1, 1L << 60 }, 3, 1),
            ["d"] = Tensor.FromArray(new[] { 0.25 }),
        };
        Safetensors.Save(path, tensors);
        var bytes = File.ReadAllBytes(path);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0)).TrimEnd();
        // The reference writes dtypes in reverse enum order (I64, F64, F32, ..., BOOL), packed in that order.
        Assert.That(header, Is.EqualTo("""{"ids":{"dtype":"I64","shape":[3,1],"data_offsets":[0,24]},"d":{"dtype":"F64","shape":[1],"data_offsets":[24,32]}""" +
            ""","w":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[40,43]}}"""));
        var loaded = Safetensors.Load(path);
        Assert.That((loaded["ids"].DType, loaded["ids"].Shape), Is.EqualTo((DType.Int64, new Shape(3, 1))));
        Assert.That(loaded["ids"].ToInt64Array(), Is.EqualTo(new[] { long.MinValue, -1, 1L << 60 }));
        Assert.That((loaded["mask"].DType, loaded["mask"].ToBoolArray()), Is.EqualTo((DType.Bool, new[] { true, false, true })));
        Assert.That(loaded["w"].ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void BatchNorm_LoadsAPyTorchFileWhoseBatchCountIsInt64()
    {
        // What safetensors.torch.save_file(nn.BatchNorm2d(2).state_dict()) writes after 7 training batches: F32 statistics
        // and parameters, and num_batches_tracked as an I64 scalar.
        var path = Path.Combine(_dir, "bn.safetensors");
        byte[] header = ("""{"bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[8,16]},""" +
            """ "running_mean":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"running_var":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},""" +
            """ "weight":{"dtype":"F32","shape":[2],"data_offsets":[32,40]}}""").Select(c => (byte)c).ToArray();
        float[] bias = [0.5f, -0.5f], mean = [1f, 2f], variance = [4f, 9f], weight = [2f, 3f];
        byte[] F32(float[] v) => [.. v.SelectMany(BitConverter.GetBytes)];
        File.WriteAllBytes(path, [.. U64((ulong)header.Length), .. header, .. F32(bias), .. BitConverter.GetBytes(7L), .. F32(mean), .. F32(variance), .. F32(weight)]);

        var bn = new BatchNorm2d(2);
        bn.LoadSafetensors(path);
        Assert.That(bn.NumBatchesTracked!.ItemDouble(), Is.EqualTo(7));
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(mean));
        bn.Eval();
        var y = bn.Forward(Tensor.Full([1, 2, 1, 1], 3f));                            // (3 - μ)/√(σ² + 1e-5)·γ + β
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 2 * 2 / MathF.Sqrt(4 + 1e-5f) + 0.5f, 3 * 1 / MathF.Sqrt(9 + 1e-5f) - 0.5f }).Within(1e-5));
    }

    [Test]
    public void Load_AcceptsTensorsListedInAnyOrder()
    {
        var path = Path.Combine(_dir, "order.safetensors");
        byte[] header = """{"second":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"first":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"""u8.ToArray();
        File.WriteAllBytes(path, [.. U64((ulong)header.Length), .. header, 0, 0, 128, 63, 0, 0, 0, 64]);
        var loaded = Safetensors.Load(path);
        Assert.That(loaded.Keys, Is.EqualTo(new[] { "first", "second" }), "buffer order");
        Assert.That((loaded["first"].Item(), loaded["second"].Item()), Is.EqualTo((1f, 2f)));
    }

    // ---- models, under PyTorch's state_dict names ------------------------------------------------------------------

    private sealed class TwoLayer : Module
    {
        private readonly Linear _fc1, _fc2;

        public TwoLayer(long seed)
        {
            _fc1 = RegisterModule("fc1", new Linear(4, 8, generator: new Generator(seed)));
            _fc2 = RegisterModule("fc2", new Linear(8, 3, generator: new Generator(seed + 1)));
        }

        public override Tensor Forward(Tensor input) => _fc2.Forward(Ops.Relu(_fc1.Forward(input)));
    }

    [Test]
    public void Sequential_SavedAndLoadedIntoAFreshModel_GivesIdenticalOutputs()
    {
        var path = Path.Combine(_dir, "mlp.safetensors");
        var trained = new Sequential(new Linear(5, 6, generator: new Generator(1)), new Tanh(), new Linear(6, 2, generator: new Generator(2)));
        trained.SaveSafetensors(path, new Dictionary<string, string> { ["format"] = "pt" });
        var fresh = new Sequential(new Linear(5, 6, generator: new Generator(8)), new Tanh(), new Linear(6, 2, generator: new Generator(9)));
        var x = Tensor.Randn([7, 5], seed: 4);
        Assert.That(fresh.Forward(x).ToArray(), Is.Not.EqualTo(trained.Forward(x).ToArray()));
        fresh.LoadSafetensors(path);
        Assert.That(fresh.Forward(x).ToArray(), Is.EqualTo(trained.Forward(x).ToArray()));
        Assert.That(Safetensors.Load(path).Keys, Is.EquivalentTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
    }

    [Test]
    public void NamedSubmodules_UsePyTorchsDottedNames()
    {
        var path = Path.Combine(_dir, "two.safetensors");
        var a = new TwoLayer(1);
        a.SaveSafetensors(path);
        var names = Safetensors.Load(path).ToDictionary(p => p.Key, p => p.Value.Shape.ToString());
        Assert.That(names, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["fc1.weight"] = "[8, 4]", ["fc1.bias"] = "[8]", ["fc2.weight"] = "[3, 8]", ["fc2.bias"] = "[3]",
        }));
        var b = new TwoLayer(5);
        b.LoadSafetensors(path);
        var x = Tensor.Randn([2, 4], seed: 6);
        Assert.That(b.Forward(x).ToArray(), Is.EqualTo(a.Forward(x).ToArray()));
    }

    [Test]
    public void LoadSafetensors_Throws_WhenTheFileDoesNotFitTheModel_AndChangesNothing()
    {
        var path = Path.Combine(_dir, "other.safetensors");
        new Sequential(new Linear(5, 3)).SaveSafetensors(path);
        var model = new Sequential(new Linear(5, 4));
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => model.LoadSafetensors(path))!;
        Assert.That(ex.Message, Does.Contain("0.weight").And.Contain("[4, 5]").And.Contain("[3, 5]"));
        Assert.That(model.Parameters().Select(p => p.ToArray()), Is.EqualTo(before));
    }

    // ---- writing errors -----------------------------------------------------------------------------------------

    [Test]
    public void Save_Throws_ForTheReservedNameOrADisposedTensor_WithoutCreatingTheFile()
    {
        var path = Path.Combine(_dir, "bad.safetensors");
        TestHelpers.AssertThrows<ArgumentException>(
            () => Safetensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }), "Safetensors", "__metadata__");
        var disposed = Tensor.Ones(1);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = disposed }));
        Assert.That(File.Exists(path), Is.False);
    }

    // ---- malformed files ----------------------------------------------------------------------------------------

    /// <summary>Writes a file with the given header (as is) and buffer size, and returns the message Load throws.</summary>
    private string LoadFails<T>(string header, int bufferBytes, ulong? declaredLength = null) where T : Exception
    {
        var path = Path.Combine(_dir, "broken.safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. U64(declaredLength ?? (ulong)h.Length), .. h, .. new byte[bufferBytes]]);
        var ex = Assert.Throws<T>(() => Safetensors.Load(path))!;
        Assert.That(ex.Message, Does.StartWith("Safetensors: '").And.Contain("broken.safetensors"));
        return ex.Message;
    }

    private const string Good = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    [Test]
    public void Load_Throws_WhenTheHeaderLengthIsWrong()
    {
        var path = Path.Combine(_dir, "broken.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(Assert.Throws<InvalidDataException>(() => Safetensors.Load(path))!.Message, Does.Contain("too short"));
        Assert.That(LoadFails<InvalidDataException>(Good, 8, declaredLength: 100_000_001), Does.Contain("larger than the limit"));
        Assert.That(LoadFails<InvalidDataException>(Good, 8, declaredLength: ulong.MaxValue), Does.Contain("larger than the limit"));
        Assert.That(LoadFails<InvalidDataException>(Good, 0, declaredLength: 1000), Does.Contain("runs past the end of the file"));
    }

    [Test]
    public void Load_Throws_WhenTheHeaderIsNotAJsonObject()
    {
        Assert.That(LoadFails<InvalidDataException>(" " + Good, 8), Does.Contain("does not start with '{'"));
        Assert.That(LoadFails<InvalidDataException>("{\"w\":", 0), Does.Contain("not valid JSON"));
        Assert.That(LoadFails<InvalidDataException>("{\"w\":1}", 0), Does.Contain("tensor 'w'").And.Contain("not an object"));
        Assert.That(LoadFails<InvalidDataException>("""{"__metadata__":{"a":1}}""", 0), Does.Contain("'a' is not a string"));
        var path = Path.Combine(_dir, "broken.safetensors");
        byte[] latin1 = [(byte)'{', (byte)'"', 0xE9, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)' '];
        File.WriteAllBytes(path, [.. U64((ulong)latin1.Length), .. latin1]);
        Assert.That(Assert.Throws<InvalidDataException>(() => Safetensors.Load(path))!.Message, Does.Contain("not valid UTF-8"));
    }

    [Test]
    public void Load_Throws_ForAMissingOrMalformedField()
    {
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", 8), Does.Contain("tensor 'w' has no dtype"));
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", 8), Does.Contain("tensor 'w' has no shape"));
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), Does.Contain("shape [-2]"));
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", 8), Does.Contain("shape [2.5]"));
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", 8), Does.Contain("1 data_offsets"));
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,8]}}""", 8),
            Does.Contain("tensor 'w'").And.Contain("more elements than an array can hold"));
    }

    [Test]
    public void Load_Throws_ForADuplicateName()
    {
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
            Does.Contain("'w' appears twice"));
    }

    [Test]
    public void Load_Throws_ForAnUnknownDType_AndRefusesUnsupportedOnes()
    {
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", 8),
            Does.Contain("tensor 'w' has unknown dtype 'F33'"));
        Assert.That(LoadFails<NotSupportedException>("""{"q":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}""", 8),
            Does.Contain("tensor 'q' has dtype F8_E4M3").And.Contain("F32, F64, F16, BF16, integers and BOOL"));
    }

    [Test]
    public void Load_Throws_WhenOffsetsDisagreeWithShapeAndDType()
    {
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8),
            Does.Contain("tensor 'w'").And.Contain("8 bytes").And.Contain("F32 [3] takes 12 bytes"));
        Assert.That(LoadFails<InvalidDataException>("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", 8), Does.Contain("end before begin"));
    }

    [Test]
    public void Load_Throws_WhenOffsetsOverlapLeaveAGapOrMissTheBuffer()
    {
        const string a = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""";
        Assert.That(LoadFails<InvalidDataException>(a + ""","b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12),
            Does.Contain("tensor 'b' at [4, 12] overlaps tensor 'a', which ends at 8"));
        Assert.That(LoadFails<InvalidDataException>(a + ""","b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""", 16),
            Does.Contain("tensor 'b' at [12, 16] leaves a gap of 4 bytes after tensor 'a'"));
        Assert.That(LoadFails<InvalidDataException>("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
            Does.Contain("leaves a gap of 4 bytes after the start of the buffer"));
        Assert.That(LoadFails<InvalidDataException>(a + "}", 4), Does.Contain("tensor 'a' at [0, 8] runs past the end of the 4-byte data buffer"));
        Assert.That(LoadFails<InvalidDataException>(a + "}", 12), Does.Contain("cover 8 bytes but the data buffer holds 12"));
    }

    [Test]
    public void Load_Throws_WhenTheFileIsMissing()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => Safetensors.Load(Path.Combine(_dir, "nope.safetensors")))!;
        Assert.That(ex.Message, Does.Contain("nope.safetensors"));
    }
}
