using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.Optim;

/// <summary>Utils.ClipGradNorm (Autodiff.NN/Utils.cs), as torch.nn.utils.clip_grad_norm_.</summary>
public class ClipGradNormTests
{
    private static Tensor WithGrad(double[] values, double[] grad)
    {
        var p = Tensor.FromArray(values, values.Length).RequireGrad();
        p.Grad = Tensor.FromArray(grad, grad.Length);
        return p;
    }

    private static double Norm(IEnumerable<Tensor> parameters) =>
        Math.Sqrt(parameters.Where(p => p.Grad is not null).Sum(p => p.Grad!.ToDoubleArray().Sum(g => g * g)));

    [Test]
    public void ReturnsTheNormBeforeClipping_AndScalesAllGradientsToMaxNorm()
    {
        // grads [3, 4] and [12]: joint norm √(9 + 16 + 144) = 13
        var a = WithGrad([0.0, 0], [3.0, 4]);
        var b = WithGrad([0.0], [12.0]);
        double norm = Utils.ClipGradNorm([a, b], maxNorm: 6.5);
        Assert.That(norm, Is.EqualTo(13.0).Within(1e-12));
        double scale = 6.5 / (13 + 1e-6);                                   // PyTorch: max_norm / (total_norm + 1e-6)
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3 * scale, 4 * scale }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 12 * scale }).Within(1e-12));
        Assert.That(Norm([a, b]), Is.EqualTo(6.5).Within(1e-5));
    }

    [Test]
    public void ScalesToMaxNorm_ForFloat32ModelGradients()
    {
        var model = new Sequential(new Linear(6, 5, generator: new Generator(3)), new Tanh(), new Linear(5, 2, generator: new Generator(4)));
        var x = Tensor.Randn(new[] { 8, 6 }, 5) * 10.0;
        Functional.CrossEntropy(model.Forward(x), new[] { 0, 1, 1, 0, 1, 0, 0, 1 }).Backward();
        double before = Norm(model.Parameters());
        Assume.That(before, Is.GreaterThan(0.1));
        double returned = Utils.ClipGradNorm(model.Parameters(), maxNorm: 0.1);
        // float32 rounding: the squares are added in float lanes within each block of 4096 (PyTorch sums them in float32 throughout)
        Assert.That(returned, Is.EqualTo(before).Within(1e-6 * before));
        Assert.That(Norm(model.Parameters()), Is.EqualTo(0.1).Within(1e-5));
    }

    [Test]
    public void NormOfLargeFloat32Gradients_IsExact_AcrossSummationBlocks()
    {
        // 10 000 squares of 0.5 in float32 (over two full blocks of 4096 and a partial one): Σ = 2500 exactly, norm 50
        var a = Tensor.Zeros(10_000).RequireGrad();
        a.Grad = Tensor.Full([10_000], 0.5);
        double norm = Utils.ClipGradNorm([a], maxNorm: 5);
        Assert.That(norm, Is.EqualTo(50.0).Within(1e-9));
        Assert.That(a.Grad!.ToDoubleArray(), Is.All.EqualTo(0.5 * 5 / (50 + 1e-6)).Within(1e-7));
    }

    [Test]
    public void LeavesSmallGradientsUnchanged()
    {
        var a = WithGrad([1.0, 2], [0.3, -0.4]);
        double norm = Utils.ClipGradNorm([a], maxNorm: 1.0);
        Assert.That(norm, Is.EqualTo(0.5).Within(1e-12));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.3, -0.4 }));
        Assert.That(a.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2 }));
    }

    [Test]
    public void SkipsParametersWithoutGradient()
    {
        var a = WithGrad([0.0, 0], [6.0, 8]);
        var b = Tensor.FromArray([100.0, 100], 2).RequireGrad();            // no grad: neither counted nor touched
        double norm = Utils.ClipGradNorm([b, a], maxNorm: 5);
        Assert.That(norm, Is.EqualTo(10.0).Within(1e-12));
        Assert.That(b.Grad, Is.Null);
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 4 }).Within(1e-5));
    }

    [Test]
    public void NoGradientsAtAll_ReturnsZero() =>
        Assert.That(Utils.ClipGradNorm([Tensor.Ones(2).RequireGrad()], 1.0), Is.EqualTo(0.0));

    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    public void Throws_ForNegativeOrNaNMaxNorm(double maxNorm)
    {
        var a = WithGrad([0.0], [1.0]);
        var ex = Assert.Throws<ArgumentException>(() => Utils.ClipGradNorm([a], maxNorm))!;
        Assert.That(ex.Message, Does.StartWith("ClipGradNorm:").And.Contain("maxNorm"));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0 }));
    }
}
