using Autodiff;

namespace Autodiff.Tests.Core;

/// <summary>The worked examples of the backpropagation notes, reproduced by the tape.</summary>
public class NotesExampleTests
{
    [Test]
    public void BuyingApples_PriceAndGradients()
    {
        var apple = Tensor.Scalar(100, DType.Float64).RequireGrad();
        var count = Tensor.Scalar(2, DType.Float64).RequireGrad();
        var tax = Tensor.Scalar(1.1, DType.Float64).RequireGrad();
        var price = apple * count * tax;
        price.Backward();
        Assert.That(price.ItemDouble(), Is.EqualTo(220).Within(1e-9));
        Assert.That(apple.Grad!.ItemDouble(), Is.EqualTo(2.2).Within(1e-12));
        Assert.That(count.Grad!.ItemDouble(), Is.EqualTo(110).Within(1e-9));
        Assert.That(tax.Grad!.ItemDouble(), Is.EqualTo(200).Within(1e-12));
    }

    [Test]
    public void BuyingApplesAndOranges_PriceAndGradients()
    {
        var apple = Tensor.Scalar(100, DType.Float64).RequireGrad();
        var appleCount = Tensor.Scalar(2, DType.Float64).RequireGrad();
        var orange = Tensor.Scalar(150, DType.Float64).RequireGrad();
        var orangeCount = Tensor.Scalar(3, DType.Float64).RequireGrad();
        var tax = Tensor.Scalar(1.1, DType.Float64).RequireGrad();
        var price = (apple * appleCount + orange * orangeCount) * tax;
        price.Backward();
        Assert.That(price.ItemDouble(), Is.EqualTo(715).Within(1e-9));
        Assert.That(apple.Grad!.ItemDouble(), Is.EqualTo(2.2).Within(1e-12));
        Assert.That(appleCount.Grad!.ItemDouble(), Is.EqualTo(110).Within(1e-9));
        Assert.That(orange.Grad!.ItemDouble(), Is.EqualTo(3.3).Within(1e-12));
        Assert.That(orangeCount.Grad!.ItemDouble(), Is.EqualTo(165).Within(1e-9));
        Assert.That(tax.Grad!.ItemDouble(), Is.EqualTo(650).Within(1e-12));
    }

    [TestCase(1.0, 2.0)]
    [TestCase(-0.5, 4.0)]
    public void ChainRule_SquareOfSum(double xv, double yv)
    {
        var x = Tensor.Scalar(xv, DType.Float64).RequireGrad();
        var y = Tensor.Scalar(yv, DType.Float64).RequireGrad();
        var z = (x + y).Pow(2);
        z.Backward();
        Assert.That(z.ItemDouble(), Is.EqualTo((xv + yv) * (xv + yv)).Within(1e-12));
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(2 * (xv + yv)).Within(1e-12));   // dz/dx = 2(x + y)
        Assert.That(y.Grad!.ItemDouble(), Is.EqualTo(2 * (xv + yv)).Within(1e-12));
    }

    [Test]
    public void MultiplyNode_SendsUpstreamTimesTheSwappedInput()
    {
        // The notes: x = 10, y = 5, upstream 1.3 -> dx = 1.3 * 5 = 6.5, dy = 1.3 * 10 = 13.
        var x = Tensor.Scalar(10, DType.Float64).RequireGrad();
        var y = Tensor.Scalar(5, DType.Float64).RequireGrad();
        (x * y).Backward(Tensor.Scalar(1.3, DType.Float64));
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(6.5).Within(1e-12));
        Assert.That(y.Grad!.ItemDouble(), Is.EqualTo(13).Within(1e-12));
    }
}
