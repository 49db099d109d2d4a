using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

public class CheckpointTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-ckpt-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static Sequential Net(long seed) => new(new Linear(5, 4, generator: new Generator(seed)), new Tanh(), new Linear(4, 3, generator: new Generator(seed + 1)));

    [Test]
    public void SaveThenLoad_IsBitExact()
    {
        var path = Path.Combine(_dir, "model.ckpt");
        var a = Net(1);
        a.Save(path);
        var b = Net(7);
        b.Load(path);
        Assert.That(b.Parameters().Select(p => p.ToArray()), Is.EqualTo(a.Parameters().Select(p => p.ToArray())));
    }

    /// <summary>A module holding an Int64 and a Bool buffer (a step count and a mask), as a user's module might.</summary>
    private sealed class Masked : Module
    {
        public Masked(long steps, bool[] mask)
        {
            RegisterParameter("weight", Tensor.FromArray(new[] { 1.5f, -2f, 3f }));
            RegisterBuffer("steps", Tensor.FromArray(new[] { steps }).Reshape());
            RegisterBuffer("mask", Tensor.FromArray(mask));
        }

        public override Tensor Forward(Tensor input) => input * GetParameter("weight")!;
    }

    [Test]
    public void SaveThenLoad_RoundTripsInt64AndBoolBuffers_Exactly()
    {
        var path = Path.Combine(_dir, "masked.ckpt");
        long big = (1L << 53) + 1;                                   // not representable as a double: must stay an integer
        new Masked(big, [true, false, true]).Save(path);
        var b = new Masked(0, [false, false, false]);
        b.Load(path);
        var state = b.StateDict();
        Assert.That(state["steps"].DType, Is.EqualTo(DType.Int64));
        Assert.That(state["steps"].Shape.Rank, Is.EqualTo(0));
        Assert.That(state["steps"].ItemInt64(), Is.EqualTo(big));
        Assert.That(state["mask"].DType, Is.EqualTo(DType.Bool));
        Assert.That(state["mask"].ToBoolArray(), Is.EqualTo(new[] { true, false, true }));
        var entries = Checkpoint.Load(path).ToDictionary(e => e.Key, e => e.Value);
        Assert.That(entries["steps"].DType, Is.EqualTo(DType.Int64));
        Assert.That(entries["mask"].DType, Is.EqualTo(DType.Bool));
    }

    [Test]
    public void Load_Throws_ForAnUnknownDTypeByte_NamingTheEntry()
    {
        var path = Path.Combine(_dir, "bad.ckpt");
        Checkpoint.Save(path, [KeyValuePair.Create("x", Tensor.Zeros(2))]);
        var bytes = File.ReadAllBytes(path);
        int dtypeAt = 4 + 4 + 4 + 4 + 1;                             // magic, version, count, name length, "x"
        Assert.That(bytes[dtypeAt], Is.EqualTo(0));
        bytes[dtypeAt] = 9;
        var body = bytes[..^32];
        File.WriteAllBytes(path, [.. body, .. System.Security.Cryptography.SHA256.HashData(body)]);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.That(ex!.Message, Does.Contain("'x'").And.Contain("unknown dtype 9"));
    }

    [Test]
    public void Load_Throws_OnCorruptOrTruncatedFile_AndChangesNothing()
    {
        var path = Path.Combine(_dir, "model.ckpt");
        Net(1).Save(path);
        var bytes = File.ReadAllBytes(path);
        bytes[40] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var b = Net(7);
        var before = b.Parameters().Select(p => p.ToArray()).ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => b.Load(path));
        Assert.That(ex!.Message, Does.Contain("model.ckpt").And.Contain("checksum"));
        File.WriteAllBytes(path, bytes[..30]);
        Assert.Throws<InvalidDataException>(() => b.Load(path));
        Assert.That(b.Parameters().Select(p => p.ToArray()), Is.EqualTo(before));
    }

    [Test]
    public void Load_Throws_WhenShapesDoNotFit()
    {
        var path = Path.Combine(_dir, "model.ckpt");
        Net(1).Save(path);
        var other = new Sequential(new Linear(5, 6), new Tanh(), new Linear(6, 3));
        var ex = Assert.Throws<ArgumentException>(() => other.Load(path));
        Assert.That(ex!.Message, Does.Contain("'0.weight'").And.Contain("[6, 5]").And.Contain("[4, 5]"));
    }

    [Test]
    public void Save_ReplacesAtomically_LeavingNoTemporaryFile()
    {
        var path = Path.Combine(_dir, "model.ckpt");
        Net(1).Save(path);
        Net(2).Save(path);
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
        var c = Net(9);
        c.Load(path);
        Assert.That(c.Parameters().First().ToArray(), Is.EqualTo(Net(2).Parameters().First().ToArray()));
    }
}

public class CheckpointFailureTests
{
    [Test]
    public void AFailedSave_LeavesThePreviousCheckpointIntact_AndNoTemporaryFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autodiff-fail-" + Guid.NewGuid());
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "model.ckpt");
            var good = new Linear(3, 2, generator: new Generator(1));
            good.Save(path);
            var before = File.ReadAllBytes(path);
            // Simulate a failure in the middle of writing: the state enumerates partly, then throws.
            IEnumerable<KeyValuePair<string, Tensor>> Failing()
            {
                yield return KeyValuePair.Create("weight", Tensor.Zeros(2, 3));
                throw new IOException("disk full (simulated)");
            }
            Assert.Throws<IOException>(() => Checkpoint.Save(path, Failing()));
            // And a failure while creating the file: the temporary name is taken by a folder.
            Directory.CreateDirectory(Path.Combine(dir, $".model.ckpt.{Environment.ProcessId}.tmp"));
            Assert.Catch<Exception>(() => new Linear(3, 2, generator: new Generator(2)).Save(path));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
            var loaded = new Linear(3, 2, generator: new Generator(9));
            loaded.Load(path);
            Assert.That(loaded.Weight.ToArray(), Is.EqualTo(good.Weight.ToArray()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
