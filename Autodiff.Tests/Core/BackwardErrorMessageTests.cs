using Autodiff;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>The backward pass's errors, word for word as before the engine rewrite: a freed graph, an input modified in
/// place, and createGraph through a backward that cannot be differentiated.</summary>
public class BackwardErrorMessageTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    private static string Message(TestDelegate code) => Assert.Catch(code)!.Message;

    [Test]
    public void BackwardTwice_NamesTheFreedGraph()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var s = (x * 2.0).Sum();
        s.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => s.Backward())!;
        Assert.That(ex.Message, Is.EqualTo($"Backward: the graph of {s.Label} (produced by Sum) was already freed by an earlier " +
            "Backward; pass retainGraph: true to the first Backward to go through it twice."));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void BackwardThroughAFreedIntermediate_NamesTheTensorAndItsOp(bool otherGraphAlive)
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var h = x * 2.0;
        // A graph nobody backpropagates, recorded in between, keeps the freed entries' chunk on the tape.
        var other = otherGraphAlive ? Tensor.FromArray([3.0]).RequireGrad() * 3.0 : null;
        h.Sum().Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => (h * 3.0).Sum().Backward())!;
        Assert.That(ex.Message, Is.EqualTo($"Backward: {h.Label} was produced by Mul, whose tape entry an earlier Backward already " +
            "freed; pass retainGraph: true to the first Backward to go through the graph twice."));
        GC.KeepAlive(other);
    }

    [Test]
    public void InputModifiedInPlace_NamesTheOpTheInputAndTheVersions()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = Ops.Exp(x).Sum();
        x.AsDoubleSpan()[0] = 5.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward())!;
        Assert.That(ex.Message, Is.EqualTo($"Backward: input 0 of Exp ({x.Label}) was modified in place after Exp recorded it " +
            "(version 1, recorded 0), so the gradient would be computed from the wrong values. " +
            "Do not change tensors (e.g. optimizer.Step(), LoadStateDict, AsSpan writes) between a forward pass and its Backward."));
    }

    private sealed class Doubler : Function
    {
        protected override bool OnceDifferentiable => true;

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs) => inputs[0] * 2.0;

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2.0];
    }

    [Test]
    public void CreateGraphThroughAOnceDifferentiableFunction_Throws()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = new Doubler().Apply(x).Sum();
        var ex = Assert.Throws<NotSupportedException>(() => y.Backward(createGraph: true))!;
        Assert.That(ex.Message, Is.EqualTo("Doubler: its backward is not differentiable yet, so Backward(createGraph: true) cannot " +
            "record it; gradients of gradients through Doubler are not implemented."));
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void CreateGraphThroughAnActionRecord_Throws()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = Tape.Record("Twice", Tensor.FromArray([2.0, 4.0]), [x], "dx += 2g", g => { }).Sum();
        var ex = Assert.Throws<NotSupportedException>(() => y.Backward(createGraph: true))!;
        Assert.That(ex.Message, Is.EqualTo("Twice: its backward is not differentiable yet, so Backward(createGraph: true) cannot " +
            "record it; gradients of gradients through Twice are not implemented."));
        Assert.That(Message(() => Autograd.Grad([y], [x], createGraph: true)), Does.Contain("Twice: its backward is not differentiable yet"));
    }
}
