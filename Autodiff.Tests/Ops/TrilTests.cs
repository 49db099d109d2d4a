using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Tril (Ops/Tril.cs).</summary>
public class TrilTests
{
    // [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    private static Tensor Matrix() => Tensor.FromArray(Enumerable.Range(1, 12).Select(v => (double)v).ToArray(), 3, 4);

    [TestCase(0, new[] { 1.0, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0 })]       // torch.tril(x)
    [TestCase(1, new[] { 1.0, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12 })]      // torch.tril(x, 1)
    [TestCase(-1, new[] { 0.0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0 })]       // torch.tril(x, -1)
    [TestCase(5, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })]      // all of it
    [TestCase(-3, new[] { 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]                                         // none of it
    public void Forward_KeepsTheLowerTriangle(int diagonal, double[] expected)
    {
        Assert.That(Ops.Tril(Matrix(), diagonal).ToDoubleArray(), Is.EqualTo(expected));
        Assert.That(Matrix().To(DType.Float32).Tril(diagonal).ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_AppliesToEveryMatrixOfABatch()
    {
        var x = Tensor.Ones([2, 3, 2, 2], DType.Float64);
        Assert.That(Ops.Tril(x).ToDoubleArray(), Is.EqualTo(Enumerable.Repeat(new[] { 1.0, 0, 1, 1 }, 6).SelectMany(r => r).ToArray()));
    }

    [Test]
    public void Forward_ExtremeDiagonals_DoNotOverflow()
    {
        Assert.That(Ops.Tril(Matrix(), int.MaxValue).ToDoubleArray(), Is.EqualTo(Matrix().ToDoubleArray()));
        Assert.That(Ops.Tril(Matrix(), int.MinValue).ToDoubleArray(), Is.All.EqualTo(0.0));
    }

    [Test]
    public void Backward_IsTrilOfG()
    {
        var x = Matrix().RequireGrad();
        BackwardOfSum(Ops.Tril(x, 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1 }));
    }

    [TestCase(0, 231)]
    [TestCase(-1, 232)]
    [TestCase(2, 233)]
    public void Backward_MatchesCentralDifferences_Float64(int diagonal, long seed)
    {
        GradCheck.Assert(xs => Ops.Tril(xs[0], diagonal), [Randn([2, 3, 4], seed)], "Tril");
        GradCheck.AssertSecondOrder(xs => Ops.Tril(xs[0], diagonal) * xs[0], [Randn([3, 3], seed)], "Tril");
    }

    [Test]
    public void Throws_WhenInputHasFewerThanTwoDims() =>
        AssertThrows<ArgumentException>(() => Ops.Tril(F64(1, 2, 3)), "Tril", "at least 2 dims", "[3]");
}
