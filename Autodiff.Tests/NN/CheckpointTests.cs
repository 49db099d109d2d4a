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
