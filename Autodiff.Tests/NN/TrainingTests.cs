using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>Small seeded training runs: the whole stack (modules, loss, backward, optimizer) must learn.</summary>
public class TrainingTests
{
    [Test]
    public void Xor_IsLearnedByATwoLayerNetwork_WithSGD()
    {
        var x = Tensor.FromArray([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], 4, 2);
        int[] y = [0, 1, 1, 0];
        var generator = new Generator(3);
        var net = new Sequential(new Linear(2, 8, generator: generator), new Tanh(), new Linear(8, 2, generator: generator));
        var optimizer = new SGD(net.Parameters(), lr: 0.5f, momentum: 0.9f);
        float loss = float.NaN;
        for (int step = 0; step < 300; step++)
        {
            var l = Functional.CrossEntropy(net.Forward(x), y);
            optimizer.ZeroGrad();
            l.Backward();
            optimizer.Step();
            loss = l.Item();
        }
        Assert.That(loss, Is.LessThan(0.05f));
        using (Tape.NoGrad()) Assert.That(Autodiff.Ops.ArgmaxIndices(net.Forward(x), 1), Is.EqualTo(y));
    }

    [Test]
    public void Regression_IsFitByAdam_AndRunsAreIdentical()
    {
        static float[] Train()
        {
            var generator = new Generator(11);
            var x = Tensor.Uniform([64, 1], -2, 2, generator);
            var target = (x * 3.0).Tanh() * 0.8;
            var net = new Sequential(new Linear(1, 16, generator: generator), new GELU(), new Linear(16, 1, generator: generator));
            var adam = new Adam(net.Parameters(), lr: 0.02f);
            float last = 0;
            for (int step = 0; step < 400; step++)
            {
                var loss = Functional.MseLoss(net.Forward(x), target);
                adam.ZeroGrad();
                loss.Backward();
                adam.Step();
                last = loss.Item();
            }
            return [last, .. net.Parameters().First().ToArray()];
        }
        var a = Train();
        Assert.That(a[0], Is.LessThan(0.02f));
        Assert.That(Train(), Is.EqualTo(a));                        // same seed, same bits
    }
}
