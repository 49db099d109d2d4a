using Autodiff;
using Autodiff.NN.Data;

namespace Autodiff.Tests.NN.Data;

/// <summary>DataLoader's prefetch option (Autodiff.NN/Data/DataLoader.cs): the same batches as without it, read on
/// another thread, errors where the batch is asked for, and nothing left running when the loop stops early.</summary>
[NonParallelizable]                                                    // one test reseeds Generator.Default
public class DataLoaderPrefetchTests
{
    private static TensorDataset Numbers(int n) =>
        new(Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n, 1), Enumerable.Range(0, n).ToArray());

    private static List<(float[] X, int[] Y)> Epoch(DataLoader loader) => loader.Select(b => (b.Inputs.ToArray(), b.Labels)).ToList();

    [TestCase(23, 5, true, false)]
    [TestCase(23, 5, true, true)]
    [TestCase(20, 4, false, false)]
    [TestCase(3, 8, true, false)]
    [TestCase(6, 8, true, true)]                                        // dropLast leaves no batch
    public void Batches_AreThoseOfTheLoaderWithoutPrefetch_EpochAfterEpoch(int n, int batch, bool shuffle, bool dropLast)
    {
        var plain = new DataLoader(Numbers(n), batch, shuffle, seed: 11, dropLast: dropLast);
        var prefetching = new DataLoader(Numbers(n), batch, shuffle, seed: 11, dropLast: dropLast, prefetch: true);
        for (int epoch = 0; epoch < 3; epoch++)
            Assert.That(Epoch(prefetching), Is.EqualTo(Epoch(plain)), $"epoch {epoch}");
    }

    [Test]
    public void WithoutASeed_TheOrderIsDrawnFromTheDefaultAsWithoutPrefetch()
    {
        Generator.ManualSeed(5);
        var plain = Epoch(new DataLoader(Numbers(30), 7, shuffle: true));
        double nextPlain = Generator.Default.NextDouble();
        Generator.ManualSeed(5);
        var prefetched = Epoch(new DataLoader(Numbers(30), 7, shuffle: true, prefetch: true));
        Assert.That(prefetched, Is.EqualTo(plain));
        Assert.That(Generator.Default.NextDouble(), Is.EqualTo(nextPlain), "one draw per epoch, as without prefetching");
    }

    [Test]
    public void PairBatches_AreThoseOfTheLoaderWithoutPrefetch()
    {
        var x = Tensor.Randn(new[] { 17, 3 }, 1);
        var data = new TensorPairDataset(x, x * 2.0);
        List<(float[], float[])> Run(bool prefetch) =>
            new DataLoader<(Tensor Inputs, Tensor Targets)>(data, 4, shuffle: true, seed: 3, prefetch: prefetch)
                .Select(b => (b.Inputs.ToArray(), b.Targets.ToArray())).ToList();
        Assert.That(Run(true), Is.EqualTo(Run(false)));
    }

    /// <summary>Batches are their indices; records which threads read them, how many reads run, and fails at one batch.</summary>
    private sealed class Recording(int count, int failAt = -1) : Dataset<int[]>
    {
        private int _running;
        public int Started;
        public int MostRunning;
        public readonly HashSet<int> Threads = [];

        public int Running => Volatile.Read(ref _running);

        public override int Count => count;

        protected override int[] ReadBatch(int[] indices)
        {
            int now = Interlocked.Increment(ref _running);
            lock (Threads)
            {
                Started++;
                MostRunning = Math.Max(MostRunning, now);
                Threads.Add(Environment.CurrentManagedThreadId);
            }
            Thread.Sleep(20);                                           // long enough for the loop to get ahead of the reader
            Interlocked.Decrement(ref _running);
            if (indices.Contains(failAt)) throw new InvalidDataException($"sample {failAt} is corrupt");
            return indices;
        }
    }

    [Test]
    public void Batches_AreReadOnAnotherThread_OneAhead()
    {
        var data = new Recording(10);
        var batches = new DataLoader<int[]>(data, 3, prefetch: true).ToList();
        Assert.That(batches.SelectMany(b => b), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(data.Threads, Does.Not.Contain(Environment.CurrentManagedThreadId));
        Assert.That((data.Started, data.MostRunning), Is.EqualTo((4, 1)), "one read at a time");
    }

    [Test]
    public void StoppingEarly_WaitsForTheBatchInFlight_AndReadsNoMore()
    {
        var data = new Recording(100);
        foreach (var batch in new DataLoader<int[]>(data, 10, prefetch: true))
            if (batch[0] == 10) break;                                  // batch 1 taken, batch 2 in flight
        Assert.That(data.Running, Is.EqualTo(0), "nothing reads after the loop");
        Assert.That(data.Started, Is.EqualTo(3));
        Thread.Sleep(50);
        Assert.That(data.Started, Is.EqualTo(3), "and nothing starts later");
    }

    [Test]
    public void AReadError_IsThrownWhereThatBatchIsAskedFor()
    {
        var data = new Recording(10, failAt: 7);
        var seen = new List<int[]>();
        var ex = Assert.Throws<InvalidDataException>(() => { foreach (var b in new DataLoader<int[]>(data, 3, prefetch: true)) seen.Add(b); })!;
        Assert.That(ex.Message, Does.Contain("sample 7"));
        Assert.That(seen, Has.Count.EqualTo(2), "batches 0 and 1 arrived; batch 2 holds sample 7");
        Assert.That(data.Running, Is.EqualTo(0));
    }

    [Test]
    public void AReadErrorInABatchNobodyAskedFor_IsNotThrown()
    {
        var data = new Recording(10, failAt: 4);
        Assert.DoesNotThrow(() => { foreach (var b in new DataLoader<int[]>(data, 3, prefetch: true)) break; });
        Assert.That(data.Running, Is.EqualTo(0));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Batches_BelongToTheScopeCurrentWhereTheLoopTakesThem(bool prefetch)
    {
        var loader = new DataLoader(Numbers(12), 4, prefetch: prefetch);
        var inputs = new List<Tensor>();
        using (var scope = Tensor.NewDisposeScope())
        {
            foreach (var (x, _) in loader)
            {
                inputs.Add(x);
                using (Tensor.NewDisposeScope()) _ = x * 2f;            // a step's own scope does not take the batch
                Assert.That(x.IsDisposed, Is.False);
            }
            Assert.That(scope.Count, Is.EqualTo(3));
        }
        Assert.That(inputs.Select(x => x.IsDisposed), Is.All.True);
    }
}
