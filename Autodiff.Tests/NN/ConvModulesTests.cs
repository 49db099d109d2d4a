using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>Conv2d, pooling, Dropout2d and Unflatten modules (Autodiff.NN/Modules): PyTorch names, shapes and initialisation bounds.</summary>
public class ConvModulesTests
{
    [Test]
    public void Conv2d_HasPyTorchParameterNamesShapesAndBounds()
    {
        var conv = new Conv2d(4, 6, 3, padding: 1, groups: 2, generator: new Generator(1));
        var names = conv.NamedParameters().Select(p => (p.Name, p.Parameter.Shape.ToString())).ToArray();
        Assert.That(names, Is.EqualTo(new[] { ("weight", "[6, 2, 3, 3]"), ("bias", "[6]") }));
        double bound = 1 / Math.Sqrt(2 * 3 * 3);
        Assert.That(conv.Weight.ToDoubleArray(), Is.All.InRange(-bound, bound));
        Assert.That(conv.Bias!.ToDoubleArray(), Is.All.InRange(-bound, bound));
        Assert.That(conv.Describe(), Is.EqualTo("Conv2d(4, 6, kernelSize: 3, stride: 1, padding: 1, groups: 2, bias: True)"));
    }

    [Test]
    public void Conv2d_WithHeightAndWidthSizes_MatchesTheOpWithThoseSizes()
    {
        var conv = new Conv2d(2, 3, kernelSize: (1, 3), stride: (2, 1), padding: (0, 1), dilation: (1, 2), generator: new Generator(2));
        Assert.That(conv.Weight.Shape.ToArray(), Is.EqualTo(new[] { 3, 2, 1, 3 }));
        double bound = 1 / Math.Sqrt(2 * 1 * 3);
        Assert.That(conv.Weight.ToDoubleArray(), Is.All.InRange(-bound, bound));
        Assert.That(conv.Describe(), Is.EqualTo("Conv2d(2, 3, kernelSize: (1, 3), stride: (2, 1), padding: (0, 1), dilation: (1, 2), bias: True)"));
        var x = Tensor.Randn([2, 2, 5, 6], 3);
        var y = conv.Forward(x);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 3, 4 }));     // oH = ⌊(5-1)/2⌋+1, oW = 6 + 2 - 2·2 - 1 + 1
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Ops.Conv2d(x, conv.Weight, conv.Bias, (2, 1), (0, 1), (1, 2)).ToDoubleArray()));
    }

    [Test]
    public void Conv2d_Describe_PrintsPairsWheneverOneSizeIsNotSquare() =>
        Assert.That(new Conv2d(1, 2, (3, 3), stride: (2, 1)).Describe(),
            Is.EqualTo("Conv2d(1, 2, kernelSize: (3, 3), stride: (2, 1), padding: (0, 0), bias: True)"));

    [Test]
    public void Conv2d_ThrowsForANonPositiveKernelSide() =>
        AssertThrows<ArgumentException>(() => new Conv2d(1, 1, (3, 0)), "Conv2d", "kernelSize (3, 0)");

    [Test]
    public void TheCnnOfTheExample_MapsImagesToTenScores()
    {
        var g = new Generator(0);
        var net = new Sequential(new Unflatten(1, 1, 28, 28), new Conv2d(1, 32, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(3136, 128, generator: g),
            new ReLU(), new Linear(128, 10, generator: g));
        var y = net.Forward(Tensor.Rand([2, 784], g));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 10 }));
    }

    [Test]
    public void Conv2d_ThrowsForGroupsNotDividingChannels() =>
        AssertThrows<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2), "Conv2d", "groups 2");

    [Test]
    public void Unflatten_ThrowsWhenSizesDoNotMultiplyToTheDim() =>
        AssertThrows<ArgumentException>(() => new Unflatten(1, 2, 5).Forward(Tensor.Zeros(3, 12)), "Unflatten", "[2, 5]", "[3, 12]");

    [Test]
    public void Unflatten_IsAView()
    {
        var x = Seq(2, 6);
        var y = new Unflatten(-1, 2, 3).Forward(x);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(x.ToDoubleArray()));
    }

    [Test]
    public void PoolingModules_MatchTheirOps_AndDescribeThemselves()
    {
        var x = Tensor.Randn([2, 3, 6, 6], 1);
        Assert.That(new AvgPool2d(2).Forward(x).ToArray(), Is.EqualTo(Ops.AvgPool2d(x, 2).ToArray()));
        Assert.That(new AdaptiveAvgPool2d((2, 3)).Forward(x).ToArray(), Is.EqualTo(Ops.AdaptiveAvgPool2d(x, (2, 3)).ToArray()));
        Assert.That(new AvgPool2d(3, 2, 1).Describe(), Is.EqualTo("AvgPool2d(kernelSize: 3, stride: 2, padding: 1)"));
        Assert.That(new AdaptiveAvgPool2d(1).Describe(), Is.EqualTo("AdaptiveAvgPool2d(outputSize: (1, 1))"));
    }

    [Test]
    public void MaxPool2d_TakesTuples_Dilation_AndCeilMode_AsPyTorch()
    {
        var x = Tensor.Randn([2, 3, 7, 6], 2);
        var square = new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true);
        Assert.That(square.Forward(x).ToArray(), Is.EqualTo(Ops.MaxPool2d(x, 3, 2, 1, ceilMode: true).ToArray()));
        Assert.That(square.Forward(x).Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 4, 4 }));     // torch: nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        var tall = new MaxPool2d((3, 1), stride: (2, 1), padding: (1, 0), dilation: (2, 1));
        Assert.That(tall.Forward(x).ToArray(), Is.EqualTo(Ops.MaxPool2d(x, (3, 1), (2, 1), (1, 0), (2, 1)).ToArray()));
        Assert.That((tall.KernelSize, tall.Stride, tall.Padding, tall.Dilation, tall.CeilMode), Is.EqualTo(((3, 1), (2, 1), (1, 0), (2, 1), false)));
        Assert.That(new MaxPool2d(2).Describe(), Is.EqualTo("MaxPool2d(kernelSize: 2, stride: 2, padding: 0)"));
        Assert.That(square.Describe(), Is.EqualTo("MaxPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: True)"));
        Assert.That(tall.Describe(), Is.EqualTo("MaxPool2d(kernelSize: (3, 1), stride: (2, 1), padding: (1, 0), dilation: (2, 1))"));
    }

    [Test]
    public void AvgPool2d_TakesTuples_AndCeilMode_AsPyTorch()
    {
        var x = Tensor.Randn([2, 3, 7, 6], 3);
        var pool = new AvgPool2d((3, 2), stride: (2, 2), padding: (1, 0), countIncludePad: false, ceilMode: true);
        Assert.That(pool.Forward(x).ToArray(), Is.EqualTo(Ops.AvgPool2d(x, (3, 2), (2, 2), (1, 0), false, true).ToArray()));
        Assert.That(pool.Forward(x).Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 4, 3 }));
        Assert.That(pool.Describe(), Is.EqualTo("AvgPool2d(kernelSize: (3, 2), stride: (2, 2), padding: (1, 0), countIncludePad: False, ceilMode: True)"));
        Assert.That(new AvgPool2d(2, ceilMode: true).Describe(), Is.EqualTo("AvgPool2d(kernelSize: 2, stride: 2, padding: 0, ceilMode: True)"));
    }

    [Test]
    public void AvgPool2d_DivisorOverride_AsPyTorch()
    {
        // torch: nn.AvgPool2d(2, divisor_override=1) sums each window; repr shows divisor_override.
        var x = Tensor.Randn([2, 3, 4, 6], 4);
        var pool = new AvgPool2d(2, divisorOverride: 1);
        Assert.That(pool.DivisorOverride, Is.EqualTo(1));
        Assert.That(pool.Forward(x).ToArray(), Is.EqualTo(Ops.AvgPool2d(x, 2, divisorOverride: 1).ToArray()));
        Assert.That(pool.Forward(x).ToArray(), Is.EqualTo((Ops.AvgPool2d(x, 2) * 4).ToArray()).Within(1e-5));
        Assert.That(pool.Describe(), Is.EqualTo("AvgPool2d(kernelSize: 2, stride: 2, padding: 0, divisorOverride: 1)"));
        var tuple = new AvgPool2d((3, 2), padding: (1, 0), ceilMode: true, divisorOverride: 5);
        Assert.That(tuple.Forward(x).ToArray(), Is.EqualTo(Ops.AvgPool2d(x, (3, 2), null, (1, 0), ceilMode: true, divisorOverride: 5).ToArray()));
        Assert.That(tuple.Describe(), Does.EndWith("ceilMode: True, divisorOverride: 5)"));
        Assert.That(new AvgPool2d(2).DivisorOverride, Is.Null);
        AssertThrows<ArgumentException>(() => new AvgPool2d(2, divisorOverride: 0), "AvgPool2d", "divisorOverride");
    }

    [Test]
    public void PoolingModules_ThrowForNonPositiveSizes()
    {
        AssertThrows<ArgumentException>(() => new MaxPool2d((2, 0)), "MaxPool2d", "kernelSize (2, 0)");
        AssertThrows<ArgumentException>(() => new MaxPool2d(2, padding: -1), "MaxPool2d", "padding (-1, -1)");
        AssertThrows<ArgumentException>(() => new AvgPool2d(2, stride: 0), "AvgPool2d", "stride (0, 0)");
    }

    [Test]
    public void Dropout2d_ZeroesWholeChannels_AndIsIdentityInEval()
    {
        var dropout = new Dropout2d(0.5, seed: 2);
        var x = Tensor.Ones(8, 16, 3, 3);
        var y = dropout.Forward(x).ToArray();
        var planes = Enumerable.Range(0, 8 * 16).Select(p => y.Skip(p * 9).Take(9).Distinct().ToArray()).ToArray();
        Assert.That(planes.All(values => values.Length == 1 && (values[0] == 0 || values[0] == 2)), Is.True);
        Assert.That(planes.Count(values => values[0] == 0) / 128.0, Is.EqualTo(0.5).Within(0.15));
        dropout.Eval();
        Assert.That(dropout.Forward(x), Is.SameAs(x));
        Assert.That(new Dropout2d(0.2).Describe(), Is.EqualTo("Dropout2d(p: 0.2)"));
    }

    [Test]
    public void Dropout2d_ThrowsFor2DInput() =>
        AssertThrows<ArgumentException>(() => new Dropout2d().Forward(Tensor.Zeros(4, 5)), "Dropout2d", "[4, 5]");
}
