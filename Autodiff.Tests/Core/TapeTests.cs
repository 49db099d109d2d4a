using System.Runtime.CompilerServices;
using Autodiff;

namespace Autodiff.Tests.Core;

public class TapeTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    [Test]
    public void Record_AppendsOneEntryPerOp_InOrder()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3).RequireGrad();
        var b = Tensor.Ones(2, 3);
        var y = (a * b + b).Sum();
        var ops = Tape.Current.Entries.Select(e => e.Op).ToArray();
        Assert.That(ops, Is.EqualTo(new[] { "Mul", "Add", "Sum" }));
        Assert.That(y.Creator!.Op, Is.EqualTo("Sum"));
    }

    [Test]
    public void ToString_PrintsOpShapesAndLocalDerivative()
    {
        var a = Tensor.Ones(2, 3).RequireGrad();
        a.Name = "a";
        var b = Tensor.Ones(2, 3);
        b.Name = "b";
        _ = a * b;
        var line = Tape.Current.ToString().Trim();
        Assert.That(line, Does.StartWith("#0"));
        Assert.That(line, Does.Contain("Mul").And.Contain("a[2, 3], b[2, 3]").And.Contain("da += g·b, db += g·a"));
    }

    [Test]
    public void OpsOnConstants_AreNotRecorded()
    {
        _ = Tensor.Ones(2) * Tensor.Ones(2);
        Assert.That(Tape.Current.Count, Is.EqualTo(0));
    }

    [Test]
    public void NoGrad_RecordsNothing_AndResumesAfterwards()
    {
        var x = Tensor.Ones(3).RequireGrad();
        using (Tensor.NoGrad())
        {
            var y = (x * 2.0).Exp();
            Assert.That(y.RequiresGrad, Is.False);
            Assert.That(Tape.IsRecording, Is.False);
        }
        Assert.That(Tape.Current.Count, Is.EqualTo(0));
        _ = x * 2.0;
        Assert.That(Tape.Current.Count, Is.EqualTo(1));
    }

    [Test]
    public void Backward_ReleasesTheReplayedEntries()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var loss = (x * x).Sum();
        Assert.That(Tape.Current.Count, Is.EqualTo(2));
        loss.Backward();
        Assert.That(Tape.Current.Count, Is.EqualTo(0));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 4.0 }));
    }

    [Test]
    public void Backward_Twice_Throws_UnlessTheGraphWasRetained()
    {
        var x = Tensor.FromArray([3.0]).RequireGrad();
        var loss = (x * x).Sum();
        loss.Backward(null, retainGraph: true);
        Assert.That(Tape.Current.Count, Is.EqualTo(2));
        loss.Backward();                                          // gradients accumulate: 6 + 6
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(12.0));
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("Backward").And.Contain("retainGraph"));
    }

    [Test]
    public void Backward_ThroughAFreedGraph_Throws()
    {
        var x = Tensor.FromArray([3.0]).RequireGrad();
        var h = x * x;
        h.Sum().Backward();
        var again = (h * 2.0).Sum();
        var ex = Assert.Throws<InvalidOperationException>(() => again.Backward());
        Assert.That(ex!.Message, Does.Contain("Mul").And.Contain("freed"));
    }

    [Test]
    public void Gradients_AccumulateAcrossBackwardCalls_UntilCleared()
    {
        var x = Tensor.FromArray([1.0, -2.0]).RequireGrad();
        (x * 3.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 6.0, 6.0 }));
        x.Grad = null;
        (x * 3.0).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 3.0 }));
    }

    [Test]
    public void NonLeaves_KeepNoGradient()
    {
        var x = Tensor.FromArray([1.0]).RequireGrad();
        var h = x * 2.0;
        (h * h).Sum().Backward();
        Assert.That(h.Grad, Is.Null);
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(8.0));      // d(4x²)/dx = 8x
    }

    [Test]
    public void Backward_OnNonScalar_WithoutGradient_Throws()
    {
        var x = Tensor.Ones(2, 3).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => (x * 2.0).Backward());
        Assert.That(ex!.Message, Does.Contain("Backward").And.Contain("[2, 3]").And.Contain("not a scalar"));
    }

    [Test]
    public void Backward_OnNonScalar_WithGradient_SeedsIt()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        (x * 3.0).Backward(Tensor.FromArray([10.0, 100.0]));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 30.0, 300.0 }));
        var ex = Assert.Throws<ArgumentException>(() => (x * 3.0).Backward(Tensor.FromArray([1.0, 2.0, 3.0])));
        Assert.That(ex!.Message, Does.Contain("Backward").And.Contain("[3]").And.Contain("[2]"));
    }

    [Test]
    public void Backward_OnTensorThatDoesNotRequireGrad_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Ones(1).Backward());
        Assert.That(ex!.Message, Does.Contain("Backward").And.Contain("does not require grad"));
    }

    [Test]
    public void Backward_OfALossComputedUnderNoGrad_SaysSo()
    {
        var w = Tensor.FromArray([1.0, 2.0, 3.0, 4.0], 2, 2).RequireGrad();
        var x = Tensor.FromArray([1.0, 0.5], 1, 2);
        Tensor loss;
        using (Tape.NoGrad()) loss = Autodiff.NN.Functional.CrossEntropy(global::Autodiff.Ops.MatMul(x, w), [1]);
        var ex = Assert.Throws<ArgumentException>(() => loss.Backward())!;
        Assert.That(ex.Message, Does.StartWith($"Backward: {loss.Label} was computed by {loss.UnrecordedOp} inside a NoGrad scope")
            .And.Contain("nothing was recorded").And.Contain("outside `using (Tape.NoGrad())`"));
        ex = Assert.Throws<ArgumentException>(() => Autograd.Grad([loss], [w]))!;
        Assert.That(ex.Message, Does.StartWith("Autograd.Grad: output 0").And.Contain("inside a NoGrad scope"));
    }

    [Test]
    public void Backward_OfALossComputedFromNoGradLogits_SaysWhereTheGraphBroke()
    {
        var w = Tensor.FromArray([1.0, 2.0, 3.0, 4.0], 2, 2).RequireGrad();
        Tensor logits;
        using (Tape.NoGrad()) logits = global::Autodiff.Ops.MatMul(Tensor.FromArray([1.0, 0.5], 1, 2), w);
        var loss = Autodiff.NN.Functional.CrossEntropy(logits, [1]);
        var ex = Assert.Throws<ArgumentException>(() => loss.Backward())!;
        Assert.That(ex.Message, Does.StartWith($"Backward: {loss.Label} does not require grad: it was computed from a result of MatMul inside a NoGrad scope"));
    }

    [Test]
    public void Backward_OfAConstantOrADetachedResult_GivesTheOrdinaryMessage()
    {
        var w = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        Tensor y;
        using (Tape.NoGrad()) y = (w * 2.0).Sum();
        foreach (var t in new[] { Tensor.Ones(1), (Tensor.Ones(2) * 3.0).Sum(), y.Detach() })
        {
            var ex = Assert.Throws<ArgumentException>(() => t.Backward())!;
            Assert.That(ex.Message, Is.EqualTo($"Backward: {t.Label} does not require grad and no recorded op produced it; set RequiresGrad on the leaves first."));
        }
    }

    [Test]
    public void Backward_LeavesOtherGraphsOnTheTape()
    {
        var x = Tensor.FromArray([2.0]).RequireGrad();
        var first = (x * x).Sum();
        var second = (x * 5.0).Sum();
        first.Backward();
        Assert.That(Tape.Current.Count, Is.EqualTo(2));           // second's Mul and Sum remain
        second.Backward();
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(4.0 + 5.0));
        Assert.That(Tape.Current.Count, Is.EqualTo(0));
    }

    [Test]
    public async Task ForwardPass_ThatAwaitsMidway_LandsOnOneTape()
    {
        var w = Tensor.FromArray([0.5, -1.0]).RequireGrad();
        var x = Tensor.FromArray([2.0, 3.0]);
        var h = (w * x).Tanh();
        await Task.Run(() => Thread.Sleep(1)).ConfigureAwait(false);   // resume on a pool thread
        await Task.Yield();
        var loss = (h * h).Sum();                                       // records onto h's tape, wherever we are
        Assert.That(loss.Creator!.Tape, Is.SameAs(h.Creator!.Tape));
        loss.Backward();
        // d/dw Σ tanh(w x)² = 2 tanh(wx) (1 - tanh²(wx)) x
        var expected = new[] { 0.5 * 2, -1.0 * 3 }.Select((z, i) => 2 * Math.Tanh(z) * (1 - Math.Pow(Math.Tanh(z), 2)) * new[] { 2.0, 3.0 }[i]);
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(expected.ToArray()).Within(1e-12));
    }

    [Test]
    public void TwoThreads_RecordOnTheirOwnTapes()
    {
        Tape? a = null, b = null;
        var t1 = new Thread(() => { var x = Tensor.Ones(1).RequireGrad(); a = (x * 2.0).Creator!.Tape; });
        var t2 = new Thread(() => { var x = Tensor.Ones(1).RequireGrad(); b = (x * 2.0).Creator!.Tape; });
        t1.Start(); t2.Start(); t1.Join(); t2.Join();
        Assert.That(a, Is.Not.Null.And.Not.SameAs(b));
        Assert.That(a, Is.Not.SameAs(Tape.Current));
    }

    [Test]
    public void MixingTapesOfTwoThreads_Throws()
    {
        var x = Tensor.Ones(1).RequireGrad();
        Tensor? other = null;
        var t = new Thread(() => other = x * 2.0);
        t.Start(); t.Join();
        var mine = x * 3.0;
        var ex = Assert.Throws<InvalidOperationException>(() => _ = mine + other!);
        Assert.That(ex!.Message, Does.Contain("Add").And.Contain("different tapes"));
    }

    [Test]
    public void CustomOp_RecordedThroughTapeRecord_Backpropagates()
    {
        // A user-defined op: y = 3x with dx += 3g.
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = Tape.Record("Triple", Tensor.FromArray([3.0, 6.0]), [x], "dx += 3g", dy => x.Grad = Tensor.FromArray(dy.ToDoubleArray().Select(v => 3 * v).ToArray()));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 3.0 }));
    }

    [Test]
    public void Backward_KeepsEveryGradient_WhenTheGcRunsMidPass()
    {
        // The tape refers to entries weakly. Once Backward has replayed and released `Add`, the tensor 3x and its `Mul`
        // entry are reachable from nothing; the GC that the custom op forces before the loop reaches `Mul` would collect
        // them, and without the pass holding every entry strongly Mul's contribution (3) would be silently lost.
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var (loss, side) = BuildGraphWhoseMulIsHeldOnlyByTheTape(x);
        loss.Backward();
        GC.KeepAlive(side);                                       // keeps the custom op's entry (and its forced GC) alive
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 4.0, 4.0 }));    // d/dx Σ (3x + x) = 3 + 1
    }

    /// <summary>Records <c>Mul: a = 3x</c>, <c>CollectGarbage: side = x</c> (its backward forces a full GC),
    /// <c>Add: a + side</c>, <c>Sum</c>, in that order, and returns only the loss and <c>side</c>: nothing outside the tape
    /// holds <c>a</c>. Not inlined, so no local of the caller can keep <c>a</c> alive.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Tensor Loss, Tensor Side) BuildGraphWhoseMulIsHeldOnlyByTheTape(Tensor x)
    {
        var a = x * 3.0;
        var side = Tape.Record("CollectGarbage", Tensor.FromArray(x.ToDoubleArray()), [x], "dx += g", [static (g, _) =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return g;                                             // dx += g
        }]);
        return ((a + side).Sum(), side);
    }
}
