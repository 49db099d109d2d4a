using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>BatchNorm1d, BatchNorm2d (with their running statistics as buffers) and LayerNorm modules.</summary>
public class NormalizationModulesTests
{
    [Test]
    public void BatchNorm2d_StateDict_HoldsParametersThenBuffers_UnderPyTorchNames()
    {
        var net = new Sequential(new Conv2d(1, 3, 3, bias: false), new BatchNorm2d(3));
        Assert.That(net.StateDict().Keys, Is.EqualTo(new[] { "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked" }));
        Assert.That(net.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "1.weight", "1.bias" }));
        Assert.That(net.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "1.running_mean", "1.running_var", "1.num_batches_tracked" }));
        Assert.That(net.NamedBuffers().Any(b => b.Buffer.RequiresGrad), Is.False);
        Assert.That(net.ParameterCount(), Is.EqualTo(27 + 3 + 3));
    }

    [Test]
    public void BatchNorm2d_Training_UpdatesRunningStatistics_EvalUsesThem()
    {
        var bn = new BatchNorm2d(2, momentum: 0.5);
        var x = Tensor.Randn([4, 2, 3, 3], 1);
        bn.Forward(x);
        Assert.That(bn.NumBatchesTracked!.ItemDouble(), Is.EqualTo(1));
        Assert.That(bn.RunningMean!.ToDoubleArray(), Is.Not.EqualTo(new[] { 0.0, 0 }));
        var (mean, variance) = (bn.RunningMean!.ToArray(), bn.RunningVar!.ToArray());
        bn.Eval();
        var y = bn.Forward(x);
        Assert.That(bn.NumBatchesTracked!.ItemDouble(), Is.EqualTo(1));
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(mean));
        var expected = Ops.BatchNorm(x, Tensor.FromArray(mean, 2), Tensor.FromArray(variance, 2), bn.Weight, bn.Bias);
        Assert.That(y.ToArray(), Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void BatchNorm_MomentumNull_KeepsTheCumulativeAverageOfBatchStatistics_AsPyTorch()
    {
        // torch: bn = nn.BatchNorm1d(2, momentum=None); after k training batches running_mean is the plain average of the
        // k batch means and running_var of the k unbiased batch variances (factor 1/num_batches_tracked).
        var bn = new BatchNorm1d(2, momentum: null);
        Assert.That(bn.Momentum, Is.Null);
        var batches = Enumerable.Range(0, 3).Select(i => Tensor.Randn([5, 2], 60 + i, DType.Float64).To(DType.Float32)).ToArray();
        var (means, vars) = (new double[2], new double[2]);
        foreach (var x in batches)
        {
            bn.Forward(x);
            var v = x.ToDoubleArray();
            for (int c = 0; c < 2; c++)
            {
                var column = Enumerable.Range(0, 5).Select(r => v[r * 2 + c]).ToArray();
                double mean = column.Average();
                means[c] += mean / 3;
                vars[c] += column.Sum(a => (a - mean) * (a - mean)) / 4 / 3;
            }
        }
        Assert.That(bn.NumBatchesTracked!.ItemDouble(), Is.EqualTo(3));
        Assert.That(bn.RunningMean!.ToDoubleArray(), Is.EqualTo(means).Within(1e-6));
        Assert.That(bn.RunningVar!.ToDoubleArray(), Is.EqualTo(vars).Within(1e-6));
        Assert.That(bn.Describe(), Is.EqualTo("BatchNorm1d(2, eps: 1E-05, momentum: null, affine: True, trackRunningStats: True)"));
    }

    [Test]
    public void BatchNorm_MomentumNull_FirstBatchReplacesTheInitialStatistics_AndResetRestartsTheCount()
    {
        var bn = new BatchNorm2d(2, momentum: null);
        var x = Tensor.Randn([3, 2, 2, 2], 63);
        bn.Forward(x);
        var (mean, variance) = (bn.RunningMean!.ToArray(), bn.RunningVar!.ToArray());
        bn.ResetRunningStats();
        Assert.That(bn.NumBatchesTracked!.ItemDouble(), Is.EqualTo(0));
        bn.Forward(x);                                           // factor 1 again: the same statistics, nothing of the reset ones
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(mean));
        Assert.That(bn.RunningVar!.ToArray(), Is.EqualTo(variance));
        var reference = new BatchNorm2d(2, momentum: 1.0);
        reference.Forward(x);
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(reference.RunningMean!.ToArray()));
    }

    [Test]
    public void BatchNorm_MomentumNull_ContinuesTheCountOfALoadedStateDict()
    {
        // A state dict at num_batches_tracked = 7: the next batch weighs 1/8.
        var trained = new BatchNorm1d(2, momentum: null);
        trained.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.Ones(2), ["bias"] = Tensor.Zeros(2), ["running_mean"] = Tensor.FromArray(new[] { 1f, -1f }),
            ["running_var"] = Tensor.FromArray(new[] { 2f, 4f }), ["num_batches_tracked"] = Tensor.Scalar(7, DType.Float64),
        });                                                          // a Float64 count, as this library saved it before Int64
        Assert.That(trained.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
        var x = Tensor.FromArray(new[] { 0f, 2f, 2f, 6f }, 2, 2);     // batch means [1, 4], unbiased variances [2, 8]
        trained.Forward(x);
        Assert.That(trained.NumBatchesTracked!.ItemDouble(), Is.EqualTo(8));
        Assert.That(trained.RunningMean!.ToDoubleArray(), Is.EqualTo(new[] { 7.0 / 8 * 1 + 1.0 / 8 * 1, 7.0 / 8 * -1 + 1.0 / 8 * 4 }).Within(1e-6));
        Assert.That(trained.RunningVar!.ToDoubleArray(), Is.EqualTo(new[] { 7.0 / 8 * 2 + 1.0 / 8 * 2, 7.0 / 8 * 4 + 1.0 / 8 * 8 }).Within(1e-6));
    }

    [Test]
    public void BatchNorm_LoadStateDict_CopiesTheRunningStatistics()
    {
        var trained = new BatchNorm1d(3);
        trained.Forward(Tensor.Randn([8, 3], 2));
        var fresh = new BatchNorm1d(3);
        fresh.LoadStateDict(trained.StateDict());
        Assert.That(fresh.RunningMean!.ToArray(), Is.EqualTo(trained.RunningMean!.ToArray()));
        Assert.That(fresh.RunningVar!.ToArray(), Is.EqualTo(trained.RunningVar!.ToArray()));
        Assert.That(fresh.NumBatchesTracked!.ItemDouble(), Is.EqualTo(1));
    }

    [Test]
    public void BatchNorm_SaveAndLoad_RoundTripsTheBuffers()
    {
        var trained = new BatchNorm2d(2);
        trained.Forward(Tensor.Randn([2, 2, 2, 2], 3));
        string path = Path.Combine(Path.GetTempPath(), $"bn-{Guid.NewGuid():N}.ckpt");
        try
        {
            trained.Save(path);
            var fresh = new BatchNorm2d(2);
            fresh.Load(path);
            Assert.That(fresh.RunningVar!.ToArray(), Is.EqualTo(trained.RunningVar!.ToArray()));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void BatchNorm_NumBatchesTracked_IsAnInt64Scalar_CountingTrainingBatchesOnly()
    {
        // torch: bn = nn.BatchNorm2d(2); bn.num_batches_tracked -> tensor(0) (torch.int64, shape []); +1 per training forward.
        var bn = new BatchNorm2d(2);
        var count = bn.NumBatchesTracked!;
        Assert.That(count.DType, Is.EqualTo(DType.Int64));
        Assert.That(count.Shape.Rank, Is.EqualTo(0));
        Assert.That(count.RequiresGrad, Is.False);
        var x = Tensor.Randn([2, 2, 3, 3], 71);
        for (int i = 0; i < 3; i++) bn.Forward(x);
        Assert.That(bn.NumBatchesTracked!.ItemInt64(), Is.EqualTo(3));
        bn.Eval();
        bn.Forward(x);
        Assert.That(bn.NumBatchesTracked!.ItemInt64(), Is.EqualTo(3));
        Assert.That(bn.StateDict()["num_batches_tracked"].DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void BatchNorm_NumBatchesTracked_IsSavedAsI64_AndRoundTripsThroughBothFormats()
    {
        var trained = new BatchNorm1d(2);
        for (int i = 0; i < 5; i++) trained.Forward(Tensor.Randn([4, 2], 72 + i));
        string dir = Path.Combine(Path.GetTempPath(), $"bn-i64-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string safetensors = Path.Combine(dir, "bn.safetensors"), checkpoint = Path.Combine(dir, "bn.ckpt");
            trained.SaveSafetensors(safetensors);
            trained.Save(checkpoint);
            var bytes = File.ReadAllBytes(safetensors);
            string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));
            Assert.That(header, Does.Contain("\"num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"));
            Assert.That(Safetensors.Load(safetensors)["num_batches_tracked"].DType, Is.EqualTo(DType.Int64));
            foreach (var load in new Action<BatchNorm1d>[] { bn => bn.LoadSafetensors(safetensors), bn => bn.Load(checkpoint) })
            {
                var fresh = new BatchNorm1d(2);
                load(fresh);
                Assert.That(fresh.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
                Assert.That(fresh.NumBatchesTracked!.ItemInt64(), Is.EqualTo(5));
                Assert.That(fresh.RunningMean!.ToArray(), Is.EqualTo(trained.RunningMean!.ToArray()));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void BatchNorm_LoadStateDict_WithoutNumBatchesTracked_LeavesTheCount_AsPyTorchDoesForOldStateDicts()
    {
        // Checkpoints written before the count existed hold only weight, bias, running_mean and running_var.
        var bn = new BatchNorm1d(2);
        bn.Forward(Tensor.Randn([4, 2], 80));
        bn.Forward(Tensor.Randn([4, 2], 81));
        var state = new BatchNorm1d(2).StateDict();
        state.Remove("num_batches_tracked");
        state["running_mean"] = Tensor.FromArray(new[] { 3f, 4f });
        bn.LoadStateDict(state);
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(new[] { 3f, 4f }));
        Assert.That(bn.NumBatchesTracked!.ItemInt64(), Is.EqualTo(2));
        Assert.That(bn.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void BatchNorm_LoadStateDict_NamesAMissingBuffer()
    {
        var state = new BatchNorm1d(3).StateDict();
        state.Remove("running_mean");
        Assert.That(() => new BatchNorm1d(3).LoadStateDict(state), Throws.ArgumentException.With.Message.Contains("missing buffer 'running_mean'"));
    }

    [Test]
    public void BatchNorm_WithoutRunningStats_HasNoBuffers_AndAlwaysUsesTheBatch()
    {
        var bn = new BatchNorm1d(2, affine: false, trackRunningStats: false);
        Assert.That(bn.StateDict(), Is.Empty);
        bn.Eval();
        var x = Tensor.FromArray(new[] { 1f, 10, 3, 20 }, 2, 2);
        Assert.That(bn.Forward(x).ToArray(), Is.EqualTo(new[] { -1f, -1, 1, 1 }).Within(1e-4));
    }

    [Test]
    public void BatchNorm2d_Backward_ReachesWeightAndBias()
    {
        var net = new Sequential(new Conv2d(1, 2, 3, padding: 1, generator: new Generator(1)), new BatchNorm2d(2), new ReLU());
        net.Forward(Tensor.Randn([2, 1, 4, 4], 4)).Sum().Backward();
        Assert.That(net.Parameters().All(p => p.Grad is not null), Is.True);
    }

    [Test]
    public void BatchNorm_Describe() =>
        Assert.That(new BatchNorm2d(16).Describe(), Is.EqualTo("BatchNorm2d(16, eps: 1E-05, momentum: 0.1, affine: True, trackRunningStats: True)"));

    [Test]
    public void BatchNorm1d_ThrowsFor4DInput() =>
        AssertThrows<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(2, 3, 4, 4)), "BatchNorm1d", "[2, 3, 4, 4]");

    [Test]
    public void BatchNorm2d_ThrowsFor2DInput() =>
        AssertThrows<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros(2, 3)), "BatchNorm2d", "[2, 3]");

    [Test]
    public void BatchNorm2d_ThrowsForChannelMismatch() =>
        AssertThrows<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros(2, 4, 2, 2)), "BatchNorm2d", "[2, 4, 2, 2]", "numFeatures 3");

    [Test]
    public void BatchNorm_ThrowsForBadMomentum() =>
        AssertThrows<ArgumentException>(() => new BatchNorm1d(3, momentum: 1.5), "BatchNorm1d", "momentum", "1.5");

    [Test]
    public void LayerNorm_HasOnesAndZeros_AndMatchesTheOp()
    {
        var norm = new LayerNorm([2, 3]);
        Assert.That(norm.NamedParameters().Select(p => (p.Name, p.Parameter.Shape.ToString())), Is.EqualTo(new[] { ("weight", "[2, 3]"), ("bias", "[2, 3]") }));
        Assert.That(norm.Weight!.ToArray(), Is.All.EqualTo(1f));
        var x = Tensor.Randn([4, 2, 3], 5);
        Assert.That(norm.Forward(x).ToArray(), Is.EqualTo(Ops.LayerNorm(x, [2, 3]).ToArray()));
        Assert.That(norm.Describe(), Is.EqualTo("LayerNorm([2, 3], eps: 1E-05, elementwiseAffine: True)"));
    }

    [Test]
    public void LayerNorm_ThrowsForWrongTrailingDims() =>
        AssertThrows<ArgumentException>(() => new LayerNorm(4).Forward(Tensor.Zeros(2, 3)), "LayerNorm", "[4]", "[2, 3]");
}
