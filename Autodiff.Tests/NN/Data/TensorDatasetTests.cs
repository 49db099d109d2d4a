using Autodiff;
using Autodiff.NN.Data;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN.Data;

/// <summary>TensorDataset (Autodiff.NN/Data/TensorDataset.cs): input statistics and torchvision-style Normalize.</summary>
public class TensorDatasetTests
{
    [Test]
    public void InputStatistics_AreTheMeanAndPopulationStdOfEveryValue()
    {
        // Values 1, 2, 3, 6: mean 3, squared deviations 4, 1, 0, 9 -> variance 14/4.
        var data = new TensorDataset(Tensor.FromArray([1f, 2f, 3f, 6f], 2, 2), [0, 1]);
        var (mean, std) = data.InputStatistics();
        Assert.That(mean, Is.EqualTo(3).Within(1e-12));
        Assert.That(std, Is.EqualTo(Math.Sqrt(3.5)).Within(1e-12));
    }

    [Test]
    public void Normalize_MapsEachInputToXMinusMeanOverStd_AndKeepsTheLabels()
    {
        int[] labels = [4, 7];
        var data = new TensorDataset(Tensor.FromArray([1f, 2f, 3f, 6f], 2, 2), labels);
        var normalized = data.Normalize(3, 2);
        Assert.That(normalized.Inputs.ToArray(), Is.EqualTo(new[] { -1f, -0.5f, 0f, 1.5f }));
        Assert.That(normalized.Inputs.Shape.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(normalized.Labels, Is.EqualTo(labels));
        Assert.That(data.Inputs.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 6f }), "the original is untouched");
        var (mean, std) = data.Normalize(3, Math.Sqrt(3.5)).InputStatistics();
        Assert.That((mean, std), Is.EqualTo((0.0, 1.0)).Within(1e-6), "its own statistics standardize it");
    }

    [TestCase(3, 0)]
    [TestCase(3, -1)]
    [TestCase(3, double.NaN)]
    [TestCase(double.PositiveInfinity, 1)]
    public void Normalize_ThrowsForAStdOrMeanThatCannotNormalize(double mean, double std) =>
        AssertThrows<ArgumentOutOfRangeException>(() => new TensorDataset(Tensor.Zeros(2, 2), [0, 1]).Normalize(mean, std),
            "TensorDataset.Normalize", "[2, 2]");
}
