using Autodiff.NN.Data;

namespace Autodiff.Tests.NN.Data;

public class IdxReaderTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-idx-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    [TestCase("images-idx3-ubyte")]
    [TestCase("images-idx3-ubyte.gz")]
    public void Read_ReturnsDimsAndData_PlainOrGzipped(string name)
    {
        var path = Path.Combine(_dir, name);
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        IdxReader.Write(path, [2, 3, 4], data);
        var file = IdxReader.Read(path);
        Assert.That(file.Dims, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(file.Data, Is.EqualTo(data));
    }

    [Test]
    public void Read_Throws_OnWrongMagic()
    {
        var path = Path.Combine(_dir, "bad");
        File.WriteAllBytes(path, [1, 2, 8, 1, 0, 0, 0, 1, 5]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.That(ex!.Message, Does.Contain("bad").And.Contain("magic"));
    }

    [Test]
    public void Read_Throws_OnTruncatedData()
    {
        var path = Path.Combine(_dir, "short");
        IdxReader.Write(path, [10], new byte[10]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.That(ex!.Message, Does.Contain("short").And.Contain("truncated").And.Contain("7 data bytes"));
    }

    [Test]
    public void Read_Throws_OnTruncatedHeader_AndMissingFile()
    {
        var path = Path.Combine(_dir, "header");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0]);
        Assert.That(() => IdxReader.Read(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("header"));
        Assert.Throws<FileNotFoundException>(() => IdxReader.Read(Path.Combine(_dir, "nope")));
    }

    [Test]
    public void FashionMnist_FromIdx_ScalesPixels_AndChecksCounts()
    {
        var images = Path.Combine(_dir, "train-images-idx3-ubyte.gz");
        var labels = Path.Combine(_dir, "train-labels-idx1-ubyte");
        IdxReader.Write(images, [2, 2, 2], [0, 255, 51, 102, 255, 0, 0, 0]);
        IdxReader.Write(labels, [2], [3, 9]);
        var ds = FashionMnist.FromIdx(images, labels);
        Assert.That(ds.Inputs.Shape.ToString(), Is.EqualTo("[2, 4]"));
        Assert.That(ds.Inputs.ToArray(), Is.EqualTo(new[] { 0f, 1f, 0.2f, 0.4f, 1f, 0f, 0f, 0f }));
        Assert.That(ds.Labels, Is.EqualTo(new[] { 3, 9 }));
        IdxReader.Write(labels, [3], [1, 2, 3]);
        Assert.That(() => FashionMnist.FromIdx(images, labels), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("2 images").And.Message.Contains("3 labels"));
    }

    [Test]
    public void FashionMnist_Load_SaysHowToGetTheData_WhenMissing()
    {
        Assert.That(FashionMnist.IsAvailable(_dir), Is.False);
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(train: true, _dir));
        Assert.That(ex!.Message, Does.Contain("apt-get install dataset-fashion-mnist"));
    }
}
