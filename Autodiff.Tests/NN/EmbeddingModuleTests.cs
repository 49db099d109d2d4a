using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

/// <summary>The Embedding module (Autodiff.NN/Modules/Embedding.cs).</summary>
public class EmbeddingModuleTests
{
    [Test]
    public void Init_IsStandardNormal_WithThePaddingRowZeroed()
    {
        var embed = new Embedding(200, 50, paddingIdx: 3, generator: new Generator(1));
        var w = embed.Weight.ToDoubleArray();
        Assert.That(w.Skip(150).Take(50), Is.All.EqualTo(0.0));
        Assert.That(w.Average(), Is.EqualTo(0).Within(0.05));
        Assert.That(Math.Sqrt(w.Average(v => v * v)), Is.EqualTo(1).Within(0.05));
        Assert.That(embed.Describe(), Is.EqualTo("Embedding(200, 50, paddingIdx: 3)"));
    }

    [Test]
    public void Forward_OnAnIndexTensor_EqualsTheIntegerLookup()
    {
        var embed = new Embedding(5, 3);
        var fromTensor = embed.Forward(Tensor.FromArray(new[] { 4f, 0, 2, 2 }, 2, 2));
        Assert.That(fromTensor.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
        Assert.That(fromTensor.ToArray(), Is.EqualTo(embed.Forward([4, 0, 2, 2], [2, 2]).ToArray()));
    }

    [Test]
    public void Forward_ThrowsForAFractionalIndex() =>
        AssertThrows<ArgumentException>(() => new Embedding(5, 3).Forward(Tensor.FromArray(new[] { 1.5f }, 1)), "Embedding", "1.5", "[1]");

    [Test]
    public void Constructor_ThrowsForPaddingIdxOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => new Embedding(5, 3, paddingIdx: 5), "Embedding", "paddingIdx 5");
}
