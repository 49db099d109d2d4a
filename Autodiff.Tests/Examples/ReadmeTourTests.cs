using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.Examples;

using Ops = global::Autodiff.Ops;

/// <summary>README's "Coming from PyTorch" tour, line for line: a module with fields, a seeded run, a custom function.</summary>
[NonParallelizable]                                          // reseeds Generator.Default
public class ReadmeTourTests
{
    // ---- as in README ----------------------------------------------------------------------------------------------
    private sealed class ResidualMlp : Module
    {
        public Linear Input = new(3, 16);                                                  // Input.weight, Input.bias
        private readonly ModuleList _blocks = new(new Linear(16, 16), new Linear(16, 16)); // blocks.0.weight, ...
        private readonly Linear _head = new(16, 1);                                        // head.weight, head.bias

        public override Tensor Forward(Tensor x)
        {
            var h = Input.Forward(x).Relu();
            foreach (var block in _blocks) h = h + block.Forward(h).Relu();
            return _head.Forward(h);
        }
    }

    private static (float Loss, ResidualMlp Model) Train(int steps)
    {
        Generator.ManualSeed(0);                     // as torch.manual_seed(0): layers, Dropout, shuffling and Randn draw from it
        var model = new ResidualMlp();
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        var x = Tensor.Randn(64, 3);
        var y = (x * x).Sum(dim: 1, keepDim: true);  // learn |x|²
        float loss = 0;
        for (int step = 0; step < steps; step++)
        {
            var l = Functional.MseLoss(model.Forward(x), y);
            optimizer.ZeroGrad();
            l.Backward();
            optimizer.Step();
            loss = l.Item();
        }
        return (loss, model);
    }

    // -----------------------------------------------------------------------------------------------------------------

    [Test]
    public void ModuleWithFields_RegistersEveryLayer_AndTrains()
    {
        var (first, model) = Train(1);
        var (last, _) = Train(200);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[]
        {
            "Input.weight", "Input.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "head.weight", "head.bias",
        }));
        Assert.That(model.ToString(), Does.Contain("(blocks): ModuleList(").And.Contain("(head): Linear"));
        Assert.That(last, Is.LessThan(first / 10), $"loss {first} -> {last}");
    }

    [Test]
    public void SeededRun_IsBitIdenticalTwice()
    {
        var (lossA, a) = Train(20);
        var (lossB, b) = Train(20);
        Assert.That(lossB, Is.EqualTo(lossA));
        Assert.That(b.Parameters().Select(p => p.ToArray()), Is.EqualTo(a.Parameters().Select(p => p.ToArray())));
    }

    [Test]
    public void CustomFunction_WorksWithBackwardGradAndSecondOrder()
    {
        var x = Tensor.Randn([5], 3, DType.Float64).RequireGrad();
        GradCheck.Assert(t => new MySiLU().Apply(t[0]), [x]);
        GradCheck.AssertSecondOrder(t => new MySiLU().Apply(t[0]), [x]);
        var g = Autograd.Grad([new MySiLU().Apply(x).Sum()], [x])[0]!;
        Assert.That(g.ToDoubleArray(), Is.EqualTo(Autograd.Grad([Ops.Mul(x, Ops.Sigmoid(x)).Sum()], [x])[0]!.ToDoubleArray()).Within(1e-15));
        Assert.That(x.Grad, Is.Null, "Autograd.Grad leaves .Grad alone");
        Assert.That(new MySiLU().Apply(x).ToDoubleArray(), Is.EqualTo(Ops.Silu(x).ToDoubleArray()).Within(1e-15), "the built-in op agrees");
    }

    [Test]
    public void IntegerLabelsCausalMaskAndFloat64ModelCheck_RunAsInReadme()
    {
        var scores = Tensor.Randn([4, 4], seed: 3);
        var logits = Tensor.Randn([4, 5], seed: 4);
        // ---- as in README ----
        var labels = Tensor.FromArray(new long[] { 3, 0, 1, 2 });
        var loss = Functional.CrossEntropy(logits, labels);
        var positive = logits > 0;
        var future = Ops.Triu(Tensor.Ones(4, 4), 1);
        var att = scores.MaskedFill(future, double.NegativeInfinity).Softmax(-1);
        var model = new Sequential(new Linear(3, 5), new ReLU(), new Linear(5, 4), new LayerNorm(4));
        model.Double();
        var x64 = Tensor.Randn([3, 3], seed: 0, DType.Float64).RequireGrad();
        GradCheck.Assert(xs => model.Forward(xs[0]), [x64, .. model.Parameters()]);
        model.Apply(m => { if (m is Linear l) Init.KaimingNormal_(l.Weight, nonlinearity: "relu"); });
        model[0].RequiresGrad_(false);
        // ---- checks ----
        Assert.That(loss.Item(), Is.EqualTo(Functional.CrossEntropy(logits, [3, 0, 1, 2]).Item()));
        Assert.That(positive.DType, Is.EqualTo(DType.Bool));
        Assert.That(att[0, 1], Is.EqualTo(0.0), "row 0 sees only position 0");
        Assert.That(att[3, 0] + att[3, 1] + att[3, 2] + att[3, 3], Is.EqualTo(1.0).Within(1e-6));
        Assert.That(model.Parameters().All(p => p.DType == DType.Float64), Is.True);
        Assert.That(((Linear)model[0]).Weight.RequiresGrad, Is.False);
    }
}

/// <summary>README's custom Function: MySiLU (named so beside the library's nn.SiLU module), <c>y = x·σ(x)</c>, <c>dy/dx = σ(x)·(1 + x·(1 − σ(x)))</c>; FunctionTests uses it too.</summary>
internal sealed class MySiLU : Function
{
    protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
    {
        var x = inputs[0];
        ctx.SaveForBackward(x);
        return x * Ops.Sigmoid(x);                                  // y = x·σ(x)
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
    {
        var x = ctx.SavedTensors[0];
        var s = Ops.Sigmoid(x);
        return [gradOutput * s * (1 + x * (1 - s))];                // dy/dx = σ(x)·(1 + x·(1 − σ(x)))
    }
}
