using Autodiff;
using Autodiff.Memory;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>The buffer pools' bounds: a total across threads, idle pools emptied by themselves, and a way to trim now.</summary>
[NonParallelizable]
public class BufferPoolTests
{
    private const int Floats = 1 << 20;                          // 4 MB buffers

    /// <summary>Runs <paramref name="threads"/> threads that each dispose <paramref name="buffersEach"/> 4 MB results (scoped
    /// inference), then wait until <paramref name="release"/> is set, so their pools are still alive when measured.</summary>
    private static Thread[] Workers(int threads, int buffersEach, ManualResetEventSlim release, CountdownEvent done)
    {
        var x = Tensor.Zeros(Floats);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var results = new List<Tensor>();
            using (Tensor.NewDisposeScope())
                for (int i = 0; i < buffersEach; i++) results.Add(Ops.Exp(x));    // distinct live buffers
            done.Signal();
            release.Wait();
        })).ToArray();
        foreach (var w in workers) w.Start();
        return workers;
    }

    [Test]
    public void ManyThreadsOfScopedWork_KeepAtMostTheSharedBudget()
    {
        Tensor.TrimBufferPools();
        int buffersEach = (int)(BufferPool.MaximumBytes / 4 / (Floats * sizeof(float)));   // a quarter of the budget each
        using var release = new ManualResetEventSlim();
        using var done = new CountdownEvent(8);
        var workers = Workers(8, buffersEach, release, done);                               // 8 × ¼ = twice the budget
        done.Wait();
        long held = Tensor.BufferPoolBytes;
        release.Set();
        foreach (var w in workers) w.Join();
        Assert.That(held, Is.LessThanOrEqualTo(BufferPool.MaximumBytes), $"{held >> 20} MB held by 8 threads");
        Assert.That(held, Is.GreaterThan(BufferPool.MaximumBytes / 2), "the pools still serve what fits");
        Tensor.TrimBufferPools();
    }

    [Test]
    public void TrimBufferPools_EmptiesOtherThreadsPools()
    {
        using var release = new ManualResetEventSlim();
        using var done = new CountdownEvent(2);
        var workers = Workers(2, 3, release, done);
        done.Wait();
        Assert.That(Tensor.BufferPoolBytes, Is.GreaterThanOrEqualTo(2 * 3 * Floats * sizeof(float)));
        long freed = Tensor.TrimBufferPools();
        Assert.That(freed, Is.GreaterThanOrEqualTo(2 * 3 * Floats * sizeof(float)));
        Assert.That(Tensor.BufferPoolBytes, Is.Zero);
        release.Set();
        foreach (var w in workers) w.Join();
    }

    [Test]
    public void IdlePools_AreEmptiedByThemselves()
    {
        int saved = BufferPool.IdleMilliseconds;
        Tensor.TrimBufferPools();                                // no pool registered: the trimmer restarts at the short period
        BufferPool.IdleMilliseconds = 100;
        using var release = new ManualResetEventSlim();
        using var done = new CountdownEvent(1);
        var workers = Workers(1, 2, release, done);
        try
        {
            done.Wait();
            Assert.That(Tensor.BufferPoolBytes, Is.GreaterThan(0));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Tensor.BufferPoolBytes > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.That(Tensor.BufferPoolBytes, Is.Zero, "the idle thread's pool was emptied without a call");
        }
        finally
        {
            release.Set();
            foreach (var w in workers) w.Join();
            BufferPool.IdleMilliseconds = saved;
            Tensor.TrimBufferPools();
        }
    }

    [Test]
    public void APoolInUse_IsNotTrimmedAsIdle()
    {
        GC.Collect();                                            // earlier tests' garbage finalized now, then dropped: the
        GC.WaitForPendingFinalizers();                           // op's end below would otherwise take it into the pool
        Tensor.TrimBufferPools();
        var x = Tensor.Zeros(Floats);
        Ops.Exp(x).Dispose();
        Assert.That(BufferPool.Trim(idleOnly: true), Is.Zero, "used a moment ago");
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(Floats * sizeof(float)));
        Tensor.TrimBufferPools();
    }

    [Test]
    public void ABusyPool_DropsOnlyTheLengthsItStoppedUsing()
    {
        // A loop whose batch shape changed keeps renting the new sizes; the old sizes must not hold the budget forever.
        int saved = BufferPool.IdleMilliseconds;
        Tensor.TrimBufferPools();
        BufferPool.IdleMilliseconds = 200;
        try
        {
            var now = Tensor.Zeros(Floats / 2);
            Ops.Exp(Tensor.Zeros(Floats)).Dispose();                     // the old size, then never again
            var deadline = DateTime.UtcNow.AddSeconds(20);
            do
            {
                Ops.Exp(now).Dispose();                                  // the pool stays busy with the size in use now
                Thread.Sleep(20);
            }
            while (Tensor.BufferPoolBytes > Floats / 2 * sizeof(float) && DateTime.UtcNow < deadline);
            Assert.That(BufferPool.HeldBytes, Is.EqualTo(Floats / 2 * sizeof(float)), "the unused length went, the one in use stayed");
        }
        finally
        {
            BufferPool.IdleMilliseconds = saved;
            Tensor.TrimBufferPools();
        }
    }
}
