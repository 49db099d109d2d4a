using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

public class LinearTests
{
    [Test]
    public void Forward_ComputesXWTransposedPlusB()
    {
        var layer = new Linear(2, 3);
        layer.Weight = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2);
        layer.Bias = Tensor.FromArray([0.5f, -0.5f, 1f], 3);
        var y = layer.Forward(Tensor.FromArray([1f, 1f, 2f, -1f], 2, 2));
        // [1,1]·Wᵀ = [3, 7, 11] + b = [3.5, 6.5, 12];  [2,-1]·Wᵀ = [0, 2, 4] + b = [0.5, 1.5, 5]
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 3.5f, 6.5f, 12f, 0.5f, 1.5f, 5f }));
        Assert.That(y.Shape.ToString(), Is.EqualTo("[2, 3]"));
    }

    [Test]
    public void Init_IsUniformWithinPyTorchBounds_AndSeeded()
    {
        var a = new Linear(100, 50, generator: new Generator(5));
        var b = new Linear(100, 50, generator: new Generator(5));
        Assert.That(a.Weight.ToArray(), Is.EqualTo(b.Weight.ToArray()));
        Assert.That(a.Weight.ToArray().Select(Math.Abs), Is.All.LessThanOrEqualTo(0.1f));   // 1/√100
        Assert.That(a.Weight.ToArray().Max(), Is.GreaterThan(0.09f));
        Assert.That(a.Bias!.ToArray().Select(Math.Abs), Is.All.LessThanOrEqualTo(0.1f));
    }

    [Test]
    public void Backward_MatchesCentralDifferences_Float64()
    {
        var x = Tensor.Randn([4, 3], seed: 1, DType.Float64).RequireGrad();
        var w = Tensor.Randn([2, 3], seed: 2, DType.Float64).RequireGrad();
        var b = Tensor.Randn([2], seed: 3, DType.Float64).RequireGrad();
        GradCheck.Assert(xs => Functional.Linear(xs[0], xs[1], xs[2]), [x, w, b], "Linear");
    }

    [Test]
    public void Weight_Throws_WhenAssignedAnotherShape_AndParametersSeeTheNewTensor()
    {
        var layer = new Linear(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => layer.Weight = Tensor.Zeros(3, 2));
        Assert.That(ex!.Message, Does.Contain("Linear.weight").And.Contain("[2, 3]").And.Contain("[3, 2]"));
        var replacement = Tensor.Ones(2, 3);
        layer.Weight = replacement;
        Assert.That(layer.Parameters().First(), Is.SameAs(replacement));
        Assert.That(replacement.RequiresGrad, Is.True);
    }

    [Test]
    public void Forward_Throws_WhenInputHasWrongFeatureCount()
    {
        var layer = new Linear(784, 10);
        var ex = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(64, 100)));
        Assert.That(ex!.Message, Does.Contain("Linear").And.Contain("100").And.Contain("784").And.Contain("[64, 100]"));
    }

    [Test]
    public void NoBias_HasOneParameter()
    {
        var layer = new Linear(3, 2, bias: false);
        Assert.That(layer.Bias, Is.Null);
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
    }
}
