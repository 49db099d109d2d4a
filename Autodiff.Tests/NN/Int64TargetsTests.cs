using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

/// <summary>PyTorch's LongTensor targets and token ids: Int64 tensors work wherever the int[] overloads do.</summary>
public class Int64TargetsTests
{
    [Test]
    public void CrossEntropy_WithInt64Targets_EqualsTheIntArrayOverload_AndItsGradient()
    {
        var logits = Tensor.Randn([3, 5], seed: 2, DType.Float64).RequireGrad();
        var fromTensor = Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 3, 0, 4 }), labelSmoothing: 0.1);
        fromTensor.Backward();
        var gradFromTensor = logits.Grad!.ToDoubleArray();
        logits.Grad = null;
        var fromArray = Functional.CrossEntropy(logits, [3, 0, 4], labelSmoothing: 0.1);
        fromArray.Backward();
        Assert.That(fromTensor.ItemDouble(), Is.EqualTo(fromArray.ItemDouble()));
        Assert.That(gradFromTensor, Is.EqualTo(logits.Grad!.ToDoubleArray()));
    }

    [Test]
    public void NllLoss_AndLossModules_TakeInt64Targets()
    {
        var logp = global::Autodiff.Ops.LogSoftmax(Tensor.Randn([2, 3], seed: 4, DType.Float64), -1);
        var targets = Tensor.FromArray(new long[] { 2, 1 });
        Assert.That(Functional.NllLoss(logp, targets).ItemDouble(), Is.EqualTo(Functional.NllLoss(logp, [2, 1]).ItemDouble()));
        Assert.That(new NllLoss().Forward(logp, targets).ItemDouble(), Is.EqualTo(Functional.NllLoss(logp, [2, 1]).ItemDouble()));
        var logits = Tensor.Randn([2, 3], seed: 5);
        Assert.That(new CrossEntropyLoss().Forward(logits, targets).Item(), Is.EqualTo(Functional.CrossEntropy(logits, [2, 1]).Item()));
    }

    [Test]
    public void CrossEntropy_Throws_ForFloatOrTwoDimensionalTargets()
    {
        var logits = Tensor.Zeros(2, 3);
        AssertThrows<ArgumentException>(() => Functional.CrossEntropy(logits, Tensor.FromArray([1f, 2f])), "CrossEntropy", "Float32", "Int64");
        AssertThrows<ArgumentException>(() => Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 2 }, 2, 1)), "CrossEntropy", "1-D");
        AssertThrows<ArgumentException>(() => Functional.NllLoss(logits, Tensor.FromArray(new long[] { 1, 5L << 33 })), "NllLoss", "position 1");
    }

    [Test]
    public void Embedding_LooksUpInt64TokenIds_KeepingTheirShape()
    {
        var embedding = new Embedding(10, 4, generator: new Generator(1));
        var ids = Tensor.FromArray(new long[] { 1, 7, 7, 0 }, 2, 2);
        var y = embedding.Forward(ids);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2, 4)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(embedding.Forward([1, 7, 7, 0], [2, 2]).ToDoubleArray()));
        AssertThrows<ArgumentException>(() => embedding.Forward(Tensor.FromArray([true, false])), "Embedding", "Bool");
    }
}
