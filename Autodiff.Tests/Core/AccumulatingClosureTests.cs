using Autodiff;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>The compatibility overload of Tape.Record whose closure accumulates by itself: it can only write a leaf's Grad.</summary>
public class AccumulatingClosureTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    [Test]
    public void ClosureKeepingTheIncomingGradientAsALeafsGrad_KeepsItValid()
    {
        var x = Tensor.Ones(Autodiff.Memory.BufferPool.MinimumLength * 4).RequireGrad();
        var y = Tape.Record("Identity", x.Detach() * 1.0f, [x], "dx += g", g => x.Grad = g);
        (y * 2.0f).Sum().Backward();                                     // g is Mul's fresh 2s
        using (Tensor.NewDisposeScope()) _ = Ops.Neg(Tensor.Ones(x.Numel)) + Ops.Neg(Tensor.Ones(x.Numel));
        Assert.That(x.Grad!.IsDisposed, Is.False);
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(2f));
    }
}
