using Autodiff;
using Autodiff.Memory;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Tensor.Dispose, DisposeScope and the buffer pool: buffers are reused only when no tensor can see them.</summary>
public class LifetimeTests
{
    private const int Big = BufferPool.MinimumLength * 4;     // pooled size

    /// <summary>The pool is shared by everything the thread ran before (and capped): start each test from an empty one.</summary>
    [SetUp]
    public void EmptyThePools()
    {
        // Earlier tests' garbage is finalized and dropped first: the GC sends it back to its threads' pools, and it could
        // fill the 256 MB shared by all of them in the middle of a test, so a buffer this test disposes would be refused.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Tensor.TrimBufferPools();
    }

    [Test]
    public void Dispose_ThenAnyRead_ThrowsNamingTheTensor()
    {
        var t = Tensor.Ones(Big);
        t.Name = "h";
        t.Dispose();
        Assert.That(t.IsDisposed, Is.True);
        var ex = Assert.Throws<ObjectDisposedException>(() => t.ToArray())!;
        Assert.That(ex.Message, Does.StartWith("Tensor:").And.Contain("h[1024]").And.Contain("disposed"));
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Throws<ObjectDisposedException>(() => t.Detach());
        Assert.That(t.ToString(), Does.Contain("disposed"));
        Assert.DoesNotThrow(t.Dispose);                                  // twice is fine
    }

    [Test]
    public void Dispose_GivesTheBufferToTheNextTensorOfThatSize()
    {
        var x = Tensor.Zeros(Big);
        var a = Ops.Exp(x);
        long before = BufferPool.HeldBytes;
        a.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before + Big * sizeof(float)));
        var b = Ops.Exp(x);
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before), "the second Exp result reused the buffer");
        Assert.That(b.ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void Dispose_KeepsTheBufferWhileAViewIsAlive()
    {
        var a = Ops.Exp(Tensor.Zeros(Big));
        var view = a.Reshape(32, Big / 32);
        long before = BufferPool.HeldBytes;
        a.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before), "a view still reads the buffer");
        using (Tensor.NewDisposeScope()) _ = Ops.Neg(Tensor.Ones(Big));  // would take a pooled buffer of this size
        Assert.That(view.ToArray(), Is.All.EqualTo(1f));
        view.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.GreaterThan(before), "the last view gave the buffer back");
    }

    [Test]
    public void Scope_DisposesOpResultsButNotFactoryTensorsParametersOrGradients()
    {
        var w = Tensor.Ones(Big).RequireGrad();
        Tensor y, z, kept;
        var input = Tensor.Ones(Big);
        using (var scope = Tensor.NewDisposeScope())
        {
            y = Ops.Mul(input, w);
            z = y.Sum();
            kept = Ops.Exp(input).MoveToOuterScope();
            z.Backward();
            Assert.That(scope.Count, Is.EqualTo(2));
        }
        Assert.That((y.IsDisposed, z.IsDisposed), Is.EqualTo((true, true)));
        Assert.That((input.IsDisposed, w.IsDisposed, w.Grad!.IsDisposed, kept.IsDisposed), Is.EqualTo((false, false, false, false)));
        Assert.That(w.Grad!.ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void Scope_Nested_MoveToOuterScopeHandsTheTensorToTheParent()
    {
        Tensor inner;
        using (var outer = Tensor.NewDisposeScope())
        {
            using (Tensor.NewDisposeScope()) inner = Ops.Exp(Tensor.Zeros(3)).MoveToOuterScope();
            Assert.That(inner.IsDisposed, Is.False);
            Assert.That(outer.Count, Is.EqualTo(1));
            Assert.That(DisposeScope.Current, Is.SameAs(outer));
        }
        Assert.That(inner.IsDisposed, Is.True);
        Assert.That(DisposeScope.Current, Is.Null);
    }

    [Test]
    public void Scope_Include_TakesATensorCreatedBeforeIt()
    {
        var batch = Tensor.Ones(4);
        using (var scope = Tensor.NewDisposeScope()) scope.Include(batch);
        Assert.That(batch.IsDisposed, Is.True);
    }

    [Test]
    public void Scope_OpReturningItsInput_DoesNotTakeTheInput()
    {
        var p = Tensor.Ones(Big).RequireGrad();
        using (Tensor.NewDisposeScope()) _ = Ops.Reshape(p, Big).Sum();
        Assert.That(p.IsDisposed, Is.False);
        Assert.That(p.ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void Backward_AfterItsScopeDisposedTheGraph_ThrowsInsteadOfReadingRecycledMemory()
    {
        var w = Tensor.Ones(Big).RequireGrad();
        Tensor loss;
        using (Tensor.NewDisposeScope())
        {
            var h = Ops.Tanh(w);
            loss = h.Sum().MoveToOuterScope();
        }
        Assert.Throws<ObjectDisposedException>(() => loss.Backward());
    }

    [Test]
    public void ZeroGrad_RecyclesGradientsBackwardMade_ButNotOnesTheUserAssigned()
    {
        var a = Tensor.Ones(Big).RequireGrad();
        var b = Tensor.Ones(Big).RequireGrad();
        Ops.Mul(a, b).Sum().Backward();
        var made = a.PeekGrad()!;                       // as the library reads it: nobody outside holds it
        var assigned = Tensor.Zeros(Big);
        b.Grad = assigned;
        new SGD([a, b], lr: 0.1f).ZeroGrad();
        Assert.That((a.Grad, b.Grad), Is.EqualTo(((Tensor?)null, (Tensor?)null)));
        Assert.That(made.IsDisposed, Is.True);
        Assert.That(assigned.IsDisposed, Is.False);
    }

    [Test]
    public void ZeroGrad_LeavesAGradientTheUserReadValid_AsPyTorch()
    {
        var w = Tensor.Ones(Big).RequireGrad();
        var opt = new SGD([w], lr: 0.1f);
        Ops.Mul(w, Tensor.Full([Big], 3f)).Sum().Backward();
        var held = w.Grad!;                             // var g = p.grad
        opt.ZeroGrad();
        Assert.That(w.Grad, Is.Null);
        Ops.Mul(w, Tensor.Full([Big], 5f)).Sum().Backward();   // would reuse a recycled buffer
        Assert.That(held.IsDisposed, Is.False);
        Assert.That(held.ToArray(), Is.All.EqualTo(3f), "the held gradient keeps its values");
        var heldAgain = w.Grad!;
        w.ReleaseGrad();                                // Module.ZeroGrad's path
        Assert.That(heldAgain.ToArray(), Is.All.EqualTo(5f));
    }

    [Test]
    public void PlainTrainingLoop_StillRecyclesItsGradients()
    {
        var g = new Generator(3);
        var x = Tensor.Rand([8, 64], g);
        var model = new Linear(64, 64, generator: g);
        var opt = new SGD(model.Parameters(), lr: 0.01f);
        Tensor? previous = null;
        for (int step = 0; step < 3; step++)
        {
            var loss = (model.Forward(x) * model.Forward(x)).Mean();
            opt.ZeroGrad();
            if (previous is not null) Assert.That(previous.IsDisposed, Is.True, $"step {step}: the last step's weight gradient went back to the pool");
            loss.Backward();
            opt.Step();
            Utils.ClipGradNorm(model.Parameters(), 1.0);            // library reads do not pin the gradient
            previous = model.Weight.PeekGrad();
        }
    }

    [Test]
    public void Backward_RecyclesIntermediateGradientsButNotAdoptedOnes()
    {
        // Add hands its incoming gradient on; whichever input keeps it must still hold the right values after later steps.
        var a = Tensor.Ones(Big).RequireGrad();
        var b = Tensor.Ones(Big).RequireGrad();
        Ops.Exp(Ops.Add(a, b)).Sum().Backward();
        var expected = (float)Math.Exp(2);
        for (int i = 0; i < 3; i++)
            using (Tensor.NewDisposeScope()) Ops.Neg(Ops.Exp(Tensor.Ones(Big).RequireGrad())).Sum().Backward();   // churn the pool
        Assert.That(a.Grad!.ToArray(), Is.All.EqualTo(expected).Within(1e-5));
        Assert.That(b.Grad!.ToArray(), Is.All.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void TrainingStep_InAScope_AllocatesAtMost64KB_AndGivesTheSameResults()
    {
        static (float Loss, float[] W, long BytesPerStep) Train(bool scoped)
        {
            var g = new Generator(0);
            var x = Tensor.Rand([100, 784], g);
            var labels = Enumerable.Range(0, 100).Select(i => i % 10).ToArray();
            var model = new Sequential(new Linear(784, 100, generator: g), new ReLU(), new Linear(100, 10, generator: g));
            var opt = new SGD(model.Parameters(), lr: 0.1f, momentum: 0.9f);
            float loss = 0;
            long start = 0;
            const int warmUp = 5, steps = 20;
            for (int i = 0; i < warmUp + steps; i++)
            {
                if (i == warmUp) start = GC.GetAllocatedBytesForCurrentThread();
                using var scope = scoped ? Tensor.NewDisposeScope() : null;
                var l = Functional.CrossEntropy(model.Forward(x), labels);
                opt.ZeroGrad();
                l.Backward();
                opt.Step();
                loss = l.Item();
            }
            long perStep = (GC.GetAllocatedBytesForCurrentThread() - start) / steps;
            return (loss, model.Parameters().First().ToArray(), perStep);
        }

        var plain = Train(scoped: false);
        var scoped = Train(scoped: true);
        Assert.That(scoped.Loss, Is.EqualTo(plain.Loss), "bit-identical loss");
        Assert.That(scoped.W, Is.EqualTo(plain.W), "bit-identical weights");
        Assert.That(scoped.BytesPerStep, Is.LessThanOrEqualTo(64 * 1024), $"{scoped.BytesPerStep} bytes per step");
        Assert.That(plain.BytesPerStep, Is.GreaterThan(scoped.BytesPerStep), "the scope is what saves the allocations");
    }

    [Test]
    public void Include_ThrowsForNull() =>
        AssertThrows<ArgumentNullException>(() => { using var s = Tensor.NewDisposeScope(); s.Include(null!); }, "DisposeScope.Include");
}
