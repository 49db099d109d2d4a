using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.Core;

/// <summary>Modifying a tensor the tape saved makes Backward throw instead of returning a wrong gradient.</summary>
public class InPlaceSafetyTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    [Test]
    public void OptimizerStep_BetweenForwardAndRetainedBackward_Throws_NamingTheOp()
    {
        var w = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var x = Tensor.FromArray([3.0, 4.0]);
        var loss = (w * x).Sum();
        loss.Backward(null, retainGraph: true);
        new SGD([w], lr: 0.1f).Step();                       // changes w in place
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("Mul").And.Contain("modified in place").And.Contain("[2]"));
    }

    [Test]
    public void ModifyingAViewOfASavedTensor_IsDetected()
    {
        var w = Tensor.FromArray([1.0, 2.0, 3.0, 4.0], 2, 2).RequireGrad();
        var loss = (w.Exp() * 2.0).Sum();
        w.Detach().AsDoubleSpan()[0] = 5.0;                  // a view shares the buffer and its version
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("Exp"));
    }

    [Test]
    public void LoadStateDict_BumpsTheVersion()
    {
        var layer = new Linear(2, 1);
        int before = layer.Weight.Version;
        layer.LoadStateDict(layer.StateDict());
        Assert.That(layer.Weight.Version, Is.EqualTo(before + 1));
    }

    [Test]
    public void UnmodifiedInputs_BackpropagateNormally_AfterAnUnrelatedStep()
    {
        var a = Tensor.FromArray([1.0]).RequireGrad();
        var b = Tensor.FromArray([2.0]).RequireGrad();
        var loss = (a * 3.0).Sum();
        b.Grad = Tensor.FromArray([1.0]);
        new SGD([b], lr: 1f).Step();                         // b is not in loss's graph
        loss.Backward();
        Assert.That(a.Grad!.ItemDouble(), Is.EqualTo(3.0));
    }
}

public class AnomalyTests
{
    [Test]
    public void Forward_ThrowsAtTheFirstOpProducingNaN_NamingOpShapesAndSource()
    {
        var x = Tensor.FromArray([-1.0, 4.0]).RequireGrad();
        using (Autograd.DetectAnomaly())
        {
            var h = x * 2.0;
            var ex = Assert.Throws<AnomalyException>(() => h.Sqrt());
            Assert.That(ex!.Op, Is.EqualTo("Sqrt"));
            Assert.That(ex.Message, Does.Contain("Sqrt").And.Contain("NaN").And.Contain("[2]").And.Contain("from Mul"));
        }
    }

    [Test]
    public void Backward_ThrowsAtTheOpWhoseGradientIsInfinite()
    {
        var x = Tensor.FromArray([0.0, 4.0]).RequireGrad();
        var y = x.Sqrt().Sum();                              // forward finite; d√x/dx at 0 is +inf
        using (Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<AnomalyException>(() => y.Backward());
            Assert.That(ex!.Op, Is.EqualTo("Sqrt"));
            Assert.That(ex.Message, Does.Contain("backward"));
        }
    }

    [Test]
    public void OutsideTheScope_NaNPropagatesSilently_AsPyTorch()
    {
        var x = Tensor.FromArray([-1.0]).RequireGrad();
        Assert.That(double.IsNaN(x.Sqrt().ItemDouble()), Is.True);
        Assert.That(Autograd.IsAnomalyDetectionEnabled, Is.False);
    }
}

public class FailedBackwardTests
{
    [Test]
    public void AFailedBackward_LeavesNoGradientOnIntermediates_SoTheNextPassIsClean()
    {
        Tape.Current.Clear();
        var w = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var u = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var h1 = w * 3.0;                                    // entry 0: replayed last
        var h2 = u * 5.0;                                    // entry 1: its input is modified below
        var loss = (h1 + h2).Sum();
        u.Detach().AsDoubleSpan();                           // bumps u's version
        Assert.Throws<InvalidOperationException>(() => loss.Backward(null, retainGraph: true));
        Assert.That(h1.Grad, Is.Null);                       // Add had already sent it a gradient
        Assert.That(w.Grad, Is.Null);
    }
}
