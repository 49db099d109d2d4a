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
        for (int i = 0; i < 10; i++) PlainStep(w, b);                  // fresh buffers, then the first reclaims
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
