using Autodiff;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN.Data;

/// <summary>TensorPairDataset (Autodiff.NN/Data/TensorPairDataset.cs): float targets for regression and autoencoders.</summary>
public class TensorPairDatasetTests
{
    [Test]
    public void GetBatch_GathersInputsAndTargetsAtTheIndices()
    {
        var x = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 3, 2);
        var y = Tensor.FromArray([10.0, 11, 12], 3, 1);                    // float64 targets beside float32 inputs
        var data = new TensorPairDataset(x, y);
        Assert.That(data.Count, Is.EqualTo(3));
        var (inputs, targets) = data.GetBatch([2, 0, 2]);
        Assert.That(inputs.ToArray(), Is.EqualTo(new[] { 4f, 5, 0, 1, 4, 5 }));
        Assert.That(targets.ToDoubleArray(), Is.EqualTo(new[] { 12.0, 10, 12 }));
        Assert.That((targets.Shape.ToArray(), targets.DType), Is.EqualTo((new[] { 3, 1 }, DType.Float64)));
        Assert.That(inputs.RequiresGrad || targets.RequiresGrad, Is.False);
    }

    [Test]
    public void Autoencoder_TheInputsAreTheTargets()
    {
        var x = Tensor.Randn(new[] { 10, 4 }, 3);
        foreach (var (inputs, targets) in new DataLoader<(Tensor Inputs, Tensor Targets)>(new TensorPairDataset(x, x), 4, shuffle: true, seed: 1))
            Assert.That(targets.ToArray(), Is.EqualTo(inputs.ToArray()));
    }

    [Test]
    public void ALinearRegression_TrainsFromTheLoader()
    {
        // y = 2x - 1 on 64 points; a Linear(1, 1) trained 40 epochs by SGD on MseLoss finds w ≈ 2, b ≈ -1.
        var xs = Enumerable.Range(0, 64).Select(i => (float)(i / 32.0 - 1)).ToArray();
        var data = new TensorPairDataset(Tensor.FromArray(xs, 64, 1), Tensor.FromArray(xs.Select(v => 2 * v - 1).ToArray(), 64, 1));
        var model = new Linear(1, 1, generator: new Generator(3));
        var sgd = new SGD(model.Parameters(), lr: 0.1);
        var loader = new DataLoader<(Tensor Inputs, Tensor Targets)>(data, batchSize: 16, shuffle: true, seed: 2, prefetch: true);
        for (int epoch = 0; epoch < 40; epoch++)
            foreach (var (x, y) in loader)
            {
                sgd.ZeroGrad();
                Functional.MseLoss(model.Forward(x), y).Backward();
                sgd.Step();
            }
        Assert.That(model.Weight.Item(), Is.EqualTo(2f).Within(1e-3));
        Assert.That(model.Bias!.Item(), Is.EqualTo(-1f).Within(1e-3));
    }

    [Test]
    public void Throws_ForMismatchedOrScalarTensors_AndOutOfRangeIndices()
    {
        AssertThrows<ArgumentException>(() => new TensorPairDataset(Tensor.Zeros(3, 2), Tensor.Zeros(4)), "TensorPairDataset", "[3, 2]", "[4]");
        AssertThrows<ArgumentException>(() => new TensorPairDataset(Tensor.Scalar(1), Tensor.Scalar(1)), "TensorPairDataset", "first dimension");
        Assert.Throws<ArgumentNullException>(() => new TensorPairDataset(Tensor.Zeros(3), null!));
        AssertThrows<ArgumentOutOfRangeException>(() => new TensorPairDataset(Tensor.Zeros(3), Tensor.Zeros(3)).GetBatch([0, 3]),
            "TensorPairDataset", "index 3", "3 samples");
    }
}
