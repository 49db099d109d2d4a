using Autodiff;
using Autodiff.Kernels;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Kernels;

/// <summary>Kernels/WorkerPool.cs behind <see cref="Threading"/>.For, and the fixed chunking of element-wise kernels
/// (<see cref="Chunks"/>): every part runs exactly once whatever the thread count, nested and concurrent calls neither
/// deadlock nor lose parts, and an exception in a part reaches the caller.</summary>
public class WorkerPoolTests
{
    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(2, 7)]
    [TestCase(3, 100)]
    [TestCase(8, 1000)]
    public void For_RunsEveryPartExactlyOnce(int threads, int parts)
    {
        var counts = new int[parts];
        WithThreads(threads, () =>
        {
            for (int repeat = 0; repeat < 50; repeat++) Threading.For(parts, p => Interlocked.Increment(ref counts[p]));
            return 0;
        });
        Assert.That(counts, Is.All.EqualTo(50));
    }

    [Test]
    public void For_InsideAPart_RunsOnThatThreadAlone()
    {
        var inner = new int[4 * 5];
        int nestedAvailable = 0;
        WithThreads(2, () =>
        {
            Threading.For(4, p =>
            {
                Interlocked.Exchange(ref nestedAvailable, Threading.Available);
                Threading.For(5, q => Interlocked.Increment(ref inner[p * 5 + q]));
            });
            return 0;
        });
        Assert.That(inner, Is.All.EqualTo(1));
        Assert.That(nestedAvailable, Is.EqualTo(1));
    }

    [Test]
    public void For_CalledFromSeveralThreadsAtOnce_RunsEveryPartOfEach()
    {
        const int callers = 4, calls = 200, parts = 9;
        var counts = new int[callers, parts];
        WithThreads(2, () =>
        {
            var threads = Enumerable.Range(0, callers).Select(c => new Thread(() =>
            {
                for (int i = 0; i < calls; i++) Threading.For(parts, p => Interlocked.Increment(ref counts[c, p]));
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            return 0;
        });
        Assert.That(counts.Cast<int>(), Is.All.EqualTo(calls));
    }

    [Test]
    public void For_RethrowsAPartsException_AfterTheOtherPartsFinished()
    {
        int finished = 0;
        var ex = Assert.Throws<InvalidOperationException>(() => WithThreads(2, () =>
        {
            Threading.For(6, p =>
            {
                if (p == 3) throw new InvalidOperationException("part 3 failed");
                Interlocked.Increment(ref finished);
            });
            return 0;
        }));
        Assert.That(ex!.Message, Is.EqualTo("part 3 failed"));
        Assert.That(finished, Is.EqualTo(5));
        // The pool still works afterwards.
        int after = 0;
        WithThreads(2, () => { Threading.For(4, _ => Interlocked.Increment(ref after)); return 0; });
        Assert.That(after, Is.EqualTo(4));
    }

    [TestCase(0)]
    [TestCase(5)]
    [TestCase(Chunks.Size * 4 - 1)]
    [TestCase(Chunks.Size * 7 + 3)]
    public void ChunksFor_CoversTheLengthOnce_InTheSameChunksOnAnyThreadCount(int length)
    {
        List<(int, int)> Chunked(int threads) => WithThreads(threads, () =>
        {
            var seen = new System.Collections.Concurrent.ConcurrentBag<(int, int)>();
            Chunks.For(length, new Recorder(seen));
            return seen.OrderBy(c => c.Item1).ToList();
        });
        var one = Chunked(1);
        Assert.That(one.Sum(c => c.Item2), Is.EqualTo(length));
        for (int i = 1; i < one.Count; i++) Assert.That(one[i].Item1, Is.EqualTo(one[i - 1].Item1 + one[i - 1].Item2));
        Assert.That(Chunked(2), Is.EqualTo(one));
        Assert.That(Chunked(3), Is.EqualTo(one));
    }

    private readonly struct Recorder(System.Collections.Concurrent.ConcurrentBag<(int, int)> seen) : IChunkBody
    {
        public void Run(int start, int length) => seen.Add((start, length));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void ElementwiseKernels_AreBitIdentical_OnOneTwoAndThreeThreads(DType dtype)
    {
        // Odd lengths, so the last chunk is short; Unary, Binary, the in-place sums of the backward pass and SGD's update;
        // above the size that wakes workers (x) and between that and the size that shares with awake ones (w).
        double[] Run()
        {
            var x = Tensor.Randn([300_007], 40, dtype).RequireGrad();                 // wakes workers (2¹⁸)
            var w = Tensor.Randn([70_001], 41, dtype).RequireGrad();
            var ys = new[] { x.Exp(), x.Tanh(), x.Sigmoid(), x.Relu(), x * x, x / (x.Abs() + 1.0), x.Pow(3.0) };
            var loss = ys.Select(y => y.Sum()).Aggregate((p, q) => p + q) + (w * w).Sum() + (w * 3.0).Sum();
            loss.Backward();
            var sgd = new Autodiff.Optim.SGD([w], lr: 0.1f, momentum: 0.9f);
            sgd.Step();
            return [.. ys.SelectMany(y => y.ToDoubleArray()), .. x.Grad!.ToDoubleArray(), .. w.ToDoubleArray()];
        }
        var one = WithThreads(1, Run);
        Assert.That(WithThreads(2, Run), Is.EqualTo(one));
        Assert.That(WithThreads(3, Run), Is.EqualTo(one));
    }
}
