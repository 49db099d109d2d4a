using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Benchmarks.Training;

/// <summary>The two networks the issue benchmarks, built exactly as Autodiff.Examples/FashionMnist builds them.</summary>
internal static class Models
{
    /// <summary>The notes' TwoLayerNet: 784-100-10 with ReLU (trained with SGD lr 0.1, batch 100).</summary>
    public static Sequential TwoLayerNet(Generator generator) =>
        new(new Linear(784, 100, generator: generator), new ReLU(), new Linear(100, 10, generator: generator));

    /// <summary>The MLP: 784-256-256-10 with ReLU (trained with Adam lr 1e-3, batch 128).</summary>
    public static Sequential Mlp(Generator generator) =>
        new(new Linear(784, 256, generator: generator), new ReLU(), new Linear(256, 256, generator: generator), new ReLU(),
            new Linear(256, 10, generator: generator));

    /// <summary>One training step as a performance-minded user writes it: forward, loss, ZeroGrad, Backward, Step, inside a
    /// DisposeScope so the step's buffers (and the batch, when <paramref name="ownsBatch"/>) are reused by the next step.</summary>
    public static float Step(Module model, Optimizer optimizer, Tensor x, int[] labels, bool ownsBatch = false)
    {
        using var scope = Tensor.NewDisposeScope();
        if (ownsBatch) scope.Include(x);
        var loss = Functional.CrossEntropy(model.Forward(x), labels);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        return loss.Item();
    }
}
