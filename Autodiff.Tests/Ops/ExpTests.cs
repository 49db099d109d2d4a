using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class ExpTests
{
    [Test]
    public void Forward_ExponentiatesEveryElement()
    {
        // torch.exp(torch.tensor([0., 1., -1., 0.5], dtype=torch.float64)) -> [1, e, 1/e, √e]
        var y = Autodiff.Ops.Exp(F64(0, 1, -1, 0.5));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, Math.E, 0.36787944117144233, 1.6487212707001282 }).Within(1e-12));
    }

    [TestCase(1)]
    [TestCase(16)]   // long enough for the SIMD path
    public void Forward_OverflowsToInfinity_Float32(int repeat)
    {
        // torch.exp(torch.tensor([88., 89., -1000.])) -> [1.6516e+38, inf, 0]
        var data = Enumerable.Repeat(new[] { 88f, 89f, -1000f }, repeat).SelectMany(v => v).ToArray();
        var y = Autodiff.Ops.Exp(Tensor.FromArray(data)).ToArray();
        for (int i = 0; i < y.Length; i += 3)
        {
            Assert.That(y[i], Is.EqualTo(1.6516363e38f).Within(1e-5).Percent);
            Assert.That(y[i + 1], Is.EqualTo(float.PositiveInfinity));
            Assert.That(y[i + 2], Is.EqualTo(0f));
        }
    }

    [Test]
    public void Backward_GivesExpOfInput()
    {
        // d/dx eˣ = eˣ
        var x = F64(0, 1, -1).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Exp(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, Math.E, 1 / Math.E }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 51)]
    [TestCase(new[] { 2, 3 }, 52)]
    [TestCase(new[] { 2, 3, 4 }, 53)]
    [TestCase(new int[0], 54)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Exp(xs[0]), [Randn(shape, seed)], "Exp");
    }
}
