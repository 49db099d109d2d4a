using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.Core;

public class ThreadAndLongRunTests
{
    /// <summary>Trains a small seeded model and returns its final parameters, bit for bit.</summary>
    private static float[] Train(int seed, int steps = 200)
    {
        var generator = new Generator(seed);
        var x = Tensor.Randn([32, 4], generator);
        var labels = Enumerable.Range(0, 32).Select(i => i % 3).ToArray();
        var net = new Sequential(new Linear(4, 16, generator: generator), new Tanh(), new Linear(16, 3, generator: generator));
        var optimizer = new Adam(net.Parameters(), lr: 0.01f);
        for (int step = 0; step < steps; step++)
        {
            var loss = Functional.CrossEntropy(net.Forward(x), labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        return net.Parameters().SelectMany(p => p.ToArray()).ToArray();
    }

    [Test]
    public void TwoModelsTrainedOnTwoThreadsAtOnce_MatchTrainingEachAlone_BitForBit()
    {
        var aloneA = Train(1);
        var aloneB = Train(2);
        float[]? parallelA = null, parallelB = null;
        var threads = new[] { new Thread(() => parallelA = Train(1)), new Thread(() => parallelB = Train(2)) };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.That(parallelA, Is.EqualTo(aloneA));
        Assert.That(parallelB, Is.EqualTo(aloneB));
        Assert.That(aloneA, Is.Not.EqualTo(aloneB));
    }

    [Test]
    public async Task ForwardPassesOnThreadPoolThreads_NeverSeeAnotherThreadsTape()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Train(i % 2, steps: 20))));
        for (int i = 2; i < results.Length; i++) Assert.That(results[i], Is.EqualTo(results[i % 2]));
    }

    [Test]
    public void TwentyThousandSteps_KeepTheTapeEmptyAndManagedMemoryFlat()
    {
        Tape.Current.Clear();
        var generator = new Generator(5);
        var x = Tensor.Randn([8, 4], generator);
        var target = Tensor.Randn([8, 1], generator);
        var net = new Sequential(new Linear(4, 8, generator: generator), new ReLU(), new Linear(8, 1, generator: generator));
        var optimizer = new SGD(net.Parameters(), lr: 0.01f, momentum: 0.9f);
        long baseline = 0;
        for (int step = 0; step < 20_000; step++)
        {
            var loss = Functional.MseLoss(net.Forward(x), target);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            Assert.That(Tape.Current.Count, Is.Zero);
            if (step == 1_000) baseline = GC.GetTotalMemory(forceFullCollection: true);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.That(after - baseline, Is.LessThan(256 * 1024), $"managed memory grew from {baseline:N0} to {after:N0} bytes");
    }

    [Test]
    public void EvaluationUnderNoGrad_RecordsNothing()
    {
        Tape.Current.Clear();
        var net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
        using (Tape.NoGrad())
            for (int i = 0; i < 100; i++) _ = net.Forward(Tensor.Ones(3, 4));
        Assert.That(Tape.Current.Count, Is.Zero);
    }
}

public class AbandonedGraphTests
{
    [Test]
    public void ForwardPassesNeverBackpropagated_AreCollected_AndMemoryStaysBounded()
    {
        Tape.Current.Clear();
        long baseline = RunAbandonedForwardPasses();
        long after = SettledMemory();
        Assert.That(after - baseline, Is.LessThan(1024 * 1024), $"managed memory grew from {baseline:N0} to {after:N0} bytes");
        Assert.That(Tape.Current.Count, Is.Zero);
    }

    /// <summary>Managed memory once the finalizers of all garbage ran and what they sent back to the pools (earlier tests'
    /// buffers too: Memory/PooledStorage.cs) was dropped: pooled, not leaked.</summary>
    private static long SettledMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Tensor.TrimBufferPools();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>In its own frame, so no local of the loop keeps the last graph alive (Debug builds extend lifetimes).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long RunAbandonedForwardPasses()
    {
        var w = Tensor.Randn([64, 64], seed: 1).RequireGrad();
        var x = Tensor.Randn([32, 64], seed: 2);
        long baseline = 0;
        for (int i = 0; i < 5_000; i++)
        {
            _ = x.MatMul(w).Relu().Sum();                      // recorded, then dropped without Backward
            if (i == 500) baseline = SettledMemory();
        }
        return baseline;
    }

    [Test]
    public void AGraphStillHeld_SurvivesCollection_AndBackpropagates()
    {
        Tape.Current.Clear();
        var w = Tensor.FromArray([2.0]).RequireGrad();
        var held = (w * w).Sum();
        for (int i = 0; i < 3_000; i++) _ = (w * 3.0).Sum();     // garbage graphs force pruning
        GC.Collect();
        GC.WaitForPendingFinalizers();
        _ = (w * 3.0).Sum();
        held.Backward();
        Assert.That(w.Grad!.ItemDouble(), Is.EqualTo(4.0));
    }
}
