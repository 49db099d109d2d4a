using Autodiff;
using Autodiff.Optim;

namespace Autodiff.Tests.Optim;

public class SGDTests
{
    [Test]
    public void Step_SubtractsLearningRateTimesGradient_AndRecordsNothing()
    {
        Tape.Current.Clear();
        var w = Tensor.FromArray([1f, -2f]).RequireGrad();
        var sgd = new SGD([w], lr: 0.5f);
        (w * w).Sum().Backward();                         // grad = 2w = [2, -4]
        sgd.Step();
        Assert.That(w.ToArray(), Is.EqualTo(new[] { 0f, 0f }));   // w - 0.5·2w
        Assert.That(Tape.Current.Count, Is.EqualTo(0));
        sgd.ZeroGrad();
        Assert.That(w.Grad, Is.Null);
    }

    [Test]
    public void Step_WithMomentumAndWeightDecay_FollowsPyTorchFormula()
    {
        var w = Tensor.FromArray([1.0f]).RequireGrad();
        var sgd = new SGD([w], lr: 0.1f, momentum: 0.9f, weightDecay: 0.01f);
        double expected = 1.0, buffer = 0;
        for (int step = 0; step < 3; step++)
        {
            sgd.ZeroGrad();
            (w * w).Sum().Backward();                     // ∇ = 2w
            double g = 2 * expected + 0.01 * expected;    // g = ∇ + λθ
            buffer = step == 0 ? g : 0.9 * buffer + g;    // b = μb + g
            expected -= 0.1 * buffer;
            sgd.Step();
            Assert.That(w.ItemDouble(), Is.EqualTo(expected).Within(1e-6), $"step {step}");
        }
    }

    [Test]
    public void Step_SkipsParametersWithoutGradient()
    {
        var a = Tensor.FromArray([1f]).RequireGrad();
        var b = Tensor.FromArray([1f]).RequireGrad();
        var sgd = new SGD([a, b], lr: 1f);
        (a * 2.0).Sum().Backward();
        sgd.Step();
        Assert.That(a.Item(), Is.EqualTo(-1f));
        Assert.That(b.Item(), Is.EqualTo(1f));
    }

    [TestCase(-0.1f, 0f)]
    [TestCase(float.NaN, 0f)]
    [TestCase(0.1f, -1f)]
    public void Constructor_Throws_ForBadHyperparameters(float lr, float momentum)
    {
        var w = Tensor.Ones(1).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => new SGD([w], lr, momentum));
        Assert.That(ex!.Message, Does.StartWith("SGD:"));
    }
}
