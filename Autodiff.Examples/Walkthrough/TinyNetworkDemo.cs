// What this shows: a two-layer network (2-16-2, ReLU, softmax-with-loss) trained with SGD on a synthetic
// two-class problem (points inside vs outside a circle), written as the PyTorch loop
// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step(); on raw tensors.
using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Examples.Walkthrough;

internal static class TinyNetworkDemo
{
    public static void Run()
    {
        Generator.ManualSeed(42);                                     // the same points and weights every run
        const int n = 256;
        var x = Tensor.Uniform([n, 2], -1, 1);
        var points = x.ToArray();
        var labels = Enumerable.Range(0, n).Select(i => points[2 * i] * points[2 * i] + points[2 * i + 1] * points[2 * i + 1] < 0.5f ? 1 : 0).ToArray();

        var w1 = (Tensor.Randn(2, 16) * 0.7).Detach().RequireGrad();
        var b1 = Tensor.Zeros(16).RequireGrad();
        var w2 = (Tensor.Randn(16, 2) * 0.25).Detach().RequireGrad();
        var b2 = Tensor.Zeros(2).RequireGrad();
        var optimizer = new SGD([w1, b1, w2, b2], lr: 0.5f, momentum: 0.9f);

        Console.WriteLine("Training a 2-16-2 network on points inside/outside a circle:");
        for (int epoch = 0; epoch <= 300; epoch++)
        {
            var logits = (x.MatMul(w1) + b1).Relu().MatMul(w2) + b2;
            var loss = Functional.CrossEntropy(logits, labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (epoch % 50 == 0)
            {
                var predicted = Ops.ArgmaxIndices(logits, 1);
                double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)n;
                Console.WriteLine($"  epoch {epoch,3}  loss {loss.Item():F4}  accuracy {accuracy:F3}");
            }
        }
        Console.WriteLine();
    }
}
