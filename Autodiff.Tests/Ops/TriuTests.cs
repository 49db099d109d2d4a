using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Triu (Ops/Triu.cs).</summary>
public class TriuTests
{
    // [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    private static Tensor Matrix() => Tensor.FromArray(Enumerable.Range(1, 12).Select(v => (double)v).ToArray(), 3, 4);

    [TestCase(0, new[] { 1.0, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12 })]       // torch.triu(x)
    [TestCase(1, new[] { 0.0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12 })]        // torch.triu(x, 1)
    [TestCase(-1, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12 })]     // torch.triu(x, -1)
    [TestCase(4, new[] { 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]                                          // none of it
    [TestCase(-2, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })]     // all of it
    public void Forward_KeepsTheUpperTriangle(int diagonal, double[] expected)
    {
        Assert.That(Ops.Triu(Matrix(), diagonal).ToDoubleArray(), Is.EqualTo(expected));
        Assert.That(Matrix().To(DType.Float32).Triu(diagonal).ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void TrilPlusStrictTriu_IsTheMatrix()
    {
        var x = Randn([2, 4, 3], 241);
        Assert.That((Ops.Tril(x) + Ops.Triu(x, 1)).ToDoubleArray(), Is.EqualTo(x.ToDoubleArray()));
    }

    [Test]
    public void Backward_IsTriuOfG()
    {
        var x = Matrix().RequireGrad();
        BackwardOfSum(Ops.Triu(x, 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1 }));
    }

    [TestCase(0, 242)]
    [TestCase(1, 243)]
    [TestCase(-2, 244)]
    public void Backward_MatchesCentralDifferences_Float64(int diagonal, long seed)
    {
        GradCheck.Assert(xs => Ops.Triu(xs[0], diagonal), [Randn([2, 3, 4], seed)], "Triu");
        GradCheck.AssertSecondOrder(xs => Ops.Triu(xs[0], diagonal) * xs[0], [Randn([3, 3], seed)], "Triu");
    }

    [Test]
    public void Throws_WhenInputHasFewerThanTwoDims() =>
        AssertThrows<ArgumentException>(() => Ops.Triu(Tensor.Scalar(1, DType.Float64)), "Triu", "at least 2 dims", "[]");
}
