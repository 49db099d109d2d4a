using Autodiff;

namespace Autodiff.Tests.Core;

public class GradCheckTests
{
    [Test]
    public void Passes_ForACorrectComposite()
    {
        var x = Tensor.Randn([3, 4], seed: 1, DType.Float64).RequireGrad();
        var w = Tensor.Randn([4, 2], seed: 2, DType.Float64).RequireGrad();
        var result = GradCheck.Run(xs => xs[0].MatMul(xs[1]).Tanh(), [x, w], "MatMul+Tanh");
        Assert.That(result.Passed, Is.True, result.Message);
    }

    [Test]
    public void Fails_ForAWrongDerivative_AndNamesOpInputAndElement()
    {
        // y = x² recorded with the wrong local derivative dx += g·x (should be 2gx).
        static Tensor WrongSquare(Tensor x)
        {
            var y = Tensor.FromArray(x.ToDoubleArray().Select(v => v * v).ToArray(), x.Shape.ToArray());
            return Tape.Record("WrongSquare", y, [x], "dx += g·x", dy =>
            {
                var g = dy.ToDoubleArray();
                var xs = x.ToDoubleArray();
                var contribution = Tensor.FromArray(g.Select((v, i) => v * xs[i]).ToArray(), x.Shape.ToArray());
                x.Grad = x.Grad is null ? contribution : x.Grad + contribution;
            });
        }
        var input = Tensor.FromArray([1.0, 2.0, 3.0], 3).RequireGrad();
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.Assert(xs => WrongSquare(xs[0]), [input], "WrongSquare"));
        Assert.That(ex!.Message, Does.Contain("WrongSquare").And.Contain("input 0[0]").And.Contain("analytic 1").And.Contain("numeric 2"));
        Assert.That(ex.Result.InputIndex, Is.EqualTo(0));
        Assert.That(ex.Result.ElementIndex, Is.EqualTo(0));
    }

    [Test]
    public void Throws_ForFloat32Inputs()
    {
        var x = Tensor.Ones(2).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.Run(xs => xs[0].Exp(), [x]));
        Assert.That(ex!.Message, Does.Contain("GradCheck").And.Contain("Float32"));
    }

    [Test]
    public void ChecksEveryOutputElement_OfANonScalarOutput()
    {
        var x = Tensor.Randn([2, 3], seed: 5, DType.Float64).RequireGrad();
        GradCheck.Assert(xs => xs[0].Softmax(1), [x], "Softmax");
    }

    [Test]
    public void LeavesTheCallersGradientsUntouched()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        x.Grad = Tensor.FromArray([7.0, 7.0]);
        GradCheck.Assert(xs => xs[0].Exp().Sum(), [x]);
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 7.0, 7.0 }));
    }
}
