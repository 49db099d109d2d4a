using Autodiff;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Anomaly mode names the op whose backward produced NaN or ±Infinity, for ops converted to one derivative rule:
/// whether the rule itself produced it, or the engine's sum over broadcast dims or over several contributions did.</summary>
public class AnomalyBackwardTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    private static AnomalyException Backward(Tensor loss, Tensor? seed = null)
    {
        using (Autograd.DetectAnomaly()) return Assert.Throws<AnomalyException>(() => loss.Backward(seed))!;
    }

    [Test]
    public void RuleProducingInfinity_IsNamed()
    {
        var x = Tensor.FromArray([0.0, 4.0]).RequireGrad();
        Assert.That(Backward(Ops.Pow(x, 0.5).Sum()).Op, Is.EqualTo("Pow"));             // ½x^-½ at 0
        var a = Tensor.FromArray([1.0]).RequireGrad();
        var b = Tensor.FromArray([1e-200]).RequireGrad();
        Assert.That(Backward((a / b).Sum()).Op, Is.EqualTo("Div"));                     // db = -a/b² overflows
        var t = Tensor.FromArray([0.0, 1.0]).RequireGrad();
        var ex = Backward(Ops.Tanh(t), Tensor.FromArray([double.PositiveInfinity, 1.0])); // the seed is infinite: Tanh's rule passes it on
        Assert.That(ex.Op, Is.EqualTo("Tanh"));
        Assert.That(ex.Message, Does.Contain("backward pass"));
        Assert.That(t.Grad, Is.Null, "a failed pass leaves Grad untouched");
    }

    [Test]
    public void SumOverBroadcastDims_Overflowing_NamesTheBroadcastingOp()
    {
        var x = Tensor.FromArray([1.0]).RequireGrad();
        var big = Tensor.FromArray([1e308, 1e308]);
        Assert.That(Backward((Ops.Expand(x, 2) * big).Sum()).Op, Is.EqualTo("Expand"));  // each 1e308; summed back: +inf
        Assert.That(Backward((x * big).Sum()).Op, Is.EqualTo("Mul"));
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void SeveralContributions_OverflowingWhenSummed_NameTheOpAddingTheLastOne()
    {
        var x = Tensor.FromArray([1.0]).RequireGrad();                                  // a leaf: no rule runs on the sum
        var ex = Backward((x * 1e308).Sum() + (x * 1e308).Sum());
        Assert.That(ex.Op, Is.EqualTo("Mul"));
        Assert.That(ex.Message, Does.Contain("Infinity").Or.Contain("∞"));
    }
}
