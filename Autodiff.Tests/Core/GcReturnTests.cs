using System.Runtime.CompilerServices;
using Autodiff;
using Autodiff.Memory;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Buffers of tensors nobody disposes come back to the pool once no tensor can see them (Memory/PooledStorage.cs):
/// a plain PyTorch-style loop reuses its memory without DisposeScope.</summary>
[NonParallelizable]
public class GcReturnTests
{
    private const int Length = 12_347;               // a length no other tensor of these tests has

    /// <summary>Earlier tests' garbage is finalized now and dropped, so the counts below see only this test's buffers.</summary>
    [SetUp]
    public void EmptyThePools()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Tensor.TrimBufferPools();
        BufferPool.ResetThreadState();
    }

    /// <summary>A collection, the finalizers, then what a backward pass does first: move what the GC sent back into the pool.</summary>
    private static void CollectAndReclaim()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        BufferPool.Reclaim();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Drop(Func<Tensor> make) => make();

    [Test]
    public void AnUnreachableOpResult_GoesBackToThePool()
    {
        var x = Tensor.Ones(Length);                     // kept alive to the end (GC.KeepAlive): only results may come back
        Drop(() => Ops.Exp(x));
        CollectAndReclaim();
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.EqualTo(1));
        GC.KeepAlive(x);
    }

    [Test]
    public void ABufferWhoseSpanLeftTheLibrary_IsNeverReturnedByTheGc()
    {
        var x = Tensor.Ones(Length);                     // kept alive to the end (GC.KeepAlive): only results may come back
        Drop(() =>
        {
            var y = Ops.Exp(x);
            _ = y.AsReadOnlySpan();              // a span is no reference: the GC cannot tell when its user is done
            return y;
        });
        Drop(() =>
        {
            var y = Ops.Exp(x);
            _ = y.AsSpan();
            return y;
        });
        CollectAndReclaim();
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.Zero);
        GC.KeepAlive(x);
    }

    [Test]
    public void ABufferSeenAsMemory_IsNeverReturnedByTheGc()
    {
        var x = Tensor.Ones(Length);                     // kept alive to the end (GC.KeepAlive): only results may come back
        Drop(() =>
        {
            var y = Ops.Exp(x);
            _ = y.AsMemory();
            return y;
        });
        CollectAndReclaim();
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.Zero);
        GC.KeepAlive(x);
    }

    [Test]
    public void ALiveView_KeepsTheBuffer_UntilItIsUnreachableToo()
    {
        var x = Tensor.Ones(Length);
        UseAViewOfADroppedTensor(x);
        CollectAndReclaim();
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.EqualTo(1), "the view is gone too");
        GC.KeepAlive(x);
    }

    /// <summary>In its own frame, so nothing of it stays reachable afterwards (Debug builds extend lifetimes to the method's end).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UseAViewOfADroppedTensor(Tensor x)
    {
        var view = MakeViewOfDroppedTensor(x);
        CollectAndReclaim();
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.Zero, "the view still reads the buffer");
        Assert.That(view.ToArray(), Is.All.EqualTo(MathF.E));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor MakeViewOfDroppedTensor(Tensor x) => Ops.Exp(x).Reshape(Length, 1);

    [Test]
    public void ADisposedTensor_IsReturnedOnce_NotAgainByTheGc()
    {
        var x = Tensor.Ones(Length);                     // kept alive to the end (GC.KeepAlive): only results may come back
        Drop(() =>
        {
            var y = Ops.Exp(x);
            y.Dispose();
            return y;
        });
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.EqualTo(1));
        CollectAndReclaim();
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.EqualTo(1), "the finalizer must not return it a second time");
        GC.KeepAlive(x);
    }

    [Test]
    public void APlainTrainingLoop_StopsAllocatingLargeBuffers_AfterItsFirstSteps()
    {
        var w = Tensor.Randn([1000, 1000], seed: 1).RequireGrad();
        var b = Tensor.Randn([1000], seed: 2).RequireGrad();
        for (int i = 0; i < 20; i++) PlainStep(w, b);                  // fresh buffers, then the first reclaims settle
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) PlainStep(w, b);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        // One [1000, 1000] buffer is 4 MB and a step needs several; reused, a step allocates only small objects.
        Assert.That(perStep, Is.LessThan(1 << 20), $"{perStep:N0} bytes allocated per step");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PlainStep(Tensor w, Tensor b)
    {
        w.Grad = null;
        b.Grad = null;
        ((w * 2.0 + b).Tanh()).Sum().Backward();                       // nothing disposed, as a PyTorch user writes it
    }

    [Test]
    public void AnInferenceLoop_WithNoBackwardPass_StopsAllocatingLargeBuffers()
    {
        // No backward pass ever runs, so only the ends of ops can bring the buffers back. Before they did, every
        // [1000, 1000] result was a fresh 4 MB array (page faults: ~70x the time of the op) and the process grew by 4 MB
        // per op until a full collection.
        var x = Tensor.Randn([1000, 1000], seed: 4);
        for (int i = 0; i < 40; i++) InferenceStep(x);                 // fresh buffers, then the first reclaims
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 40; i++) InferenceStep(x);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 40;
        Assert.That(perStep, Is.LessThan(1 << 20), $"{perStep:N0} bytes allocated per step");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float InferenceStep(Tensor x) => (x * 2.0 + 1.0).Tanh().Sum().Item();

    [Test]
    public void ASamplingLoop_OfRandn_StopsAllocatingLargeBuffers()
    {
        var g = new Generator(5);
        for (int i = 0; i < 40; i++) Drop(() => Tensor.Randn([1000, 1000], g));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 40; i++) Drop(() => Tensor.Randn([1000, 1000], g));
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 40;
        Assert.That(perCall, Is.LessThan(1 << 20), $"{perCall:N0} bytes allocated per call");
    }

    [Test]
    public void NoOpEndInsideABackwardPass_HandsOutWhatTheGcSentBack()
    {
        // The pass holds gradients between rules, so the ends of the ops its rules run are not safe points: what the GC
        // sent back stays in the inbox until a safe point outside the pass.
        var x = Tensor.Ones(Length);
        Drop(() => Ops.Exp(x));
        GC.Collect();
        GC.WaitForPendingFinalizers();                                  // the Exp result's buffer is in the inbox now
        BufferPool.Suspend();
        try
        {
            _ = Ops.Neg(x);                                             // an op's end, inside a (simulated) pass
            Assert.That(BufferPool.HeldFloatArrays(Length), Is.EqualTo(0));
        }
        finally { BufferPool.Resume(); }
        _ = Ops.Neg(x);                                                 // outside: rents a fresh array, then takes the inbox in
        Assert.That(BufferPool.HeldFloatArrays(Length), Is.EqualTo(1));
        GC.KeepAlive(x);
    }

    [Test]
    public void ADisposedBuffer_IsKept_EvenWhenWhatTheGcSentBackFilledThePool()
    {
        // The inbox counts toward the pools' byte budget; a Dispose must make room from it rather than be refused (a loop
        // that filled the budget with undisposed results would otherwise turn every later scoped step into fresh arrays).
        const int big = 1 << 22;                                        // 16 MB of float32 per buffer
        var keep = new List<Tensor>();
        BufferPool.Suspend();                                           // keep the GC's returns in the inbox
        try
        {
            int count = (int)(BufferPool.MaximumBytes / (4L * big)) + 2;
            for (int i = 0; i < count; i++) Drop(() => Tensor.Zeros(big));
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.That(Tensor.BufferPoolBytes, Is.GreaterThan(BufferPool.MaximumBytes - 4L * big), "the inbox filled the budget");
            var t = Tensor.Zeros(big + 1);                              // another length: not served from the inbox
            t.Dispose();
            Assert.That(BufferPool.HeldFloatArrays(big + 1), Is.EqualTo(1), "the disposed buffer must be kept");
        }
        finally
        {
            BufferPool.Resume();
            Tensor.TrimBufferPools();
        }
    }

    [Test]
    public void TheReclaimThreshold_GrowsWhileBuffersStayAlive_AndShrinksWhenTheyBecomeGarbage()
    {
        // A big forward pass keeps its activations for the backward pass: a collection every 16 MB would find nothing
        // (the CNN step ran 3.2x slower so). The threshold doubles when a collection brings little back, and comes back
        // down once buffers become garbage again.
        var x = Tensor.Randn([512, 512], seed: 6);                     // 1 MB
        var alive = new List<Tensor>();
        var h = x;
        for (int i = 0; i < 200; i++) alive.Add(h = Ops.Neg(h));        // 200 MB, all still referenced
        long grown = BufferPool.ReclaimThreshold;
        Assert.That(grown, Is.GreaterThan(BufferPool.ReclaimAfterBytes), "collections that found nothing must back off");
        alive.Clear();
        for (int i = 0; i < 2000 && BufferPool.ReclaimThreshold > BufferPool.ReclaimAfterBytes; i++) Drop(() => Ops.Neg(x));
        Assert.That(BufferPool.ReclaimThreshold, Is.EqualTo(BufferPool.ReclaimAfterBytes), "garbage again: back to the least");
        GC.KeepAlive(h);
    }

    [Test]
    public void BuffersOfTheOldestGeneration_ComeBackWhereTheNextBackwardPassStarts()
    {
        // A long forward pass sees collections while its activations are in use, so their storages reach generation 2
        // before they become garbage; a young-generation collection would never find them (the GPT step's heap grew to
        // 4 GB so). The reclaim where a backward pass starts must collect every generation.
        const int big = 300_007;                                         // 1.2 MB each, a length no other test uses
        var x = Tensor.Ones(big);
        var weak = MakeOldGarbage(x, count: 20);                         // 24 MB, more than the 16 MB threshold
        // (the last Neg was split over the worker pool, whose workers kept their last job and what it captured: now cleared)
        var w = Tensor.Ones(3).RequireGrad();
        (w * w).Sum().Backward();                                        // its start reclaims
        Assert.That(BufferPool.HeldFloatArrays(big), Is.EqualTo(20), $"tensors still alive: {weak.Count(r => r.IsAlive)}");
        GC.KeepAlive(x);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> MakeOldGarbage(Tensor x, int count)
    {
        var alive = new List<Tensor>();
        for (int i = 0; i < count; i++) alive.Add(Ops.Neg(x));
        GC.Collect();
        GC.Collect();                                                    // survived two collections: generation 2
        Assert.That(GC.GetGeneration(alive[0]), Is.EqualTo(GC.MaxGeneration));
        GC.WaitForPendingFinalizers();
        Assert.That(BufferPool.HeldFloatArrays(300_007), Is.Zero, "nothing came back while in use");
        return alive.Select(t => new WeakReference(t)).ToList();
    }

    [Test]
    public void AReleasedEntrysOutput_IsNotKeptByALaterEntryOfItsTapeChunk()
    {
        // The tape holds its entries in chunks of 64, and a chunk lives while any entry of it does. A released entry
        // (its Backward ran) must leave its chunk: an LSTM training loop records about 6 entries a step, so its
        // [T, N, 4H] projections stayed reachable through the next ten steps' entries, and the pool missed 25 MB a step.
        var w = Tensor.Ones(Length).RequireGrad();
        var (released, later) = BackpropagateOneThenRecordAnother(w);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(released.IsAlive, Is.False, "the released entry's output is still reachable");
        GC.KeepAlive(later);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Released, Tensor Later) BackpropagateOneThenRecordAnother(Tensor w)
    {
        var y = Ops.Exp(w);
        var later = Ops.Neg(w);                                          // recorded after y, in the same chunk, and kept
        y.Sum().Backward();
        return (new WeakReference(y), later);
    }

    [Test]
    public void WhatAStepRecordedButNeverBackpropagated_DiesWithTheStep()
    {
        // An LSTM's final state is sliced from its output buffer and recorded, and a loop that only trains on the outputs
        // never backpropagates it. Its entry is not released, so it lived as long as the chunk, which the next steps kept
        // filling: the backward pass closes the open chunk, and the next step's entries start a new one.
        var w = Tensor.Ones(Length).RequireGrad();
        var abandoned = StepWithAnAbandonedBranch(w);
        var next = Ops.Neg(w) * 2.0;                                     // the next step's forward pass, still alive
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(abandoned.IsAlive, Is.False, "the abandoned branch is kept by the next step's entries");
        GC.KeepAlive(next);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference StepWithAnAbandonedBranch(Tensor w)
    {
        var y = Ops.Exp(w);
        var state = y.Reshape(Length, 1);                                // a view of y's buffer, recorded, never used
        y.Sum().Backward();
        return new WeakReference(state);
    }

    [Test]
    public void APlainLoopWithAnAbandonedViewOfEachStep_ReusesItsBuffersFromItsThirdStep()
    {
        // The LSTM step's shape: a view of an op's output (its final state) is recorded and dropped each step. Before the
        // backward pass closed the tape's open chunk, those views kept the buffers of the steps that shared the chunk
        // (64 entries, 16 of these steps) reachable until it was full: fresh buffers every step until then.
        var w = Tensor.Randn([1000, 1000], seed: 7).RequireGrad();
        for (int i = 0; i < 3; i++) StepWithAView(w);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 8; i++) StepWithAView(w);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 8;
        Assert.That(perStep, Is.LessThan(1 << 20), $"{perStep:N0} bytes allocated per step");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StepWithAView(Tensor w)
    {
        w.Grad = null;
        var y = (w * 2.0).Tanh();
        _ = y.Reshape(1000 * 1000);                                      // recorded, never backpropagated
        y.Sum().Backward();
    }

    [Test]
    public void ValuesStayCorrect_WhenBuffersAreReusedThroughTheGc()
    {
        var x = Tensor.Randn([300, 300], seed: 3).RequireGrad();
        float[]? first = null;
        for (int i = 0; i < 30; i++)
        {
            x.Grad = null;
            (x.Exp() * x).Sum().Backward();
            var grad = x.Grad!.ToArray();
            first ??= grad;
            Assert.That(grad, Is.EqualTo(first), $"step {i}");
            if (i % 5 == 0) CollectAndReclaim();
        }
    }
}
