using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.Optim;

/// <summary>The small seeded classifier and batch the optimizer tests train (OptimizerTests, OptimizerStateTests):
/// 5 features, 3 classes, 6 samples.</summary>
internal static class SmallClassifier
{
    /// <summary>Linear(5, 4), Tanh, Linear(4, 3), seeded with <paramref name="seed"/> and <paramref name="seed"/> + 1.</summary>
    public static Sequential Net(long seed = 1) =>
        new(new Linear(5, 4, generator: new Generator(seed)), new Tanh(), new Linear(4, 3, generator: new Generator(seed + 1)));

    public static readonly Tensor X = Tensor.Randn(new[] { 6, 5 }, 11);
    public static readonly int[] Y = [0, 2, 1, 1, 0, 2];

    /// <summary><paramref name="steps"/> steps of cross-entropy on (X, Y).</summary>
    public static void Train(Module model, Optimizer optimizer, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            optimizer.ZeroGrad();
            Functional.CrossEntropy(model.Forward(X), Y).Backward();
            optimizer.Step();
        }
    }

    /// <summary>The model's parameter values, in order, for bit-exact comparisons.</summary>
    public static float[][] Values(Module model) => model.Parameters().Select(p => p.ToArray()).ToArray();
}
