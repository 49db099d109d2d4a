using Autodiff;

namespace Autodiff.Tests.Core;

/// <summary>Random small programs over the op set, with random shapes and broadcasting, each checked in float64
/// against central differences. Seeds are fixed, so a failure names a program that reproduces.</summary>
public class RandomProgramTests
{
    private delegate Tensor Step(Tensor current, Tensor[] inputs);

    [Test]
    public void RandomPrograms_GradientsMatchCentralDifferences([Range(0, 299)] int seed)
    {
        var rng = new Generator(1000 + seed);
        var xShape = RandomShape(rng);
        var inputs = new[]
        {
            Tensor.Randn(xShape, rng, DType.Float64).RequireGrad(),
            Tensor.Randn(BroadcastPartner(xShape, rng), rng, DType.Float64).RequireGrad(),
            Tensor.Randn([xShape[^1], 1 + rng.NextInt(3)], rng, DType.Float64).RequireGrad(),
        };
        var (steps, names) = Plan(inputs, rng);
        var weights = Tensor.Randn(Run(steps, inputs).Shape.ToArray(), rng, DType.Float64);

        var result = GradCheck.Run(xs => (Run(steps, xs) * weights).Sum(), inputs, $"program {seed}: {string.Join(" -> ", names)}",
            absoluteTolerance: 1e-5, relativeTolerance: 1e-4);
        Assert.That(result.Passed, Is.True, result.Message);
    }

    private static Tensor Alternating(Shape shape) =>
        Tensor.FromArray(Enumerable.Range(0, shape.Numel).Select(i => (double)(i % 2)).ToArray(), shape.ToArray());

    private static Tensor Run(List<Step> steps, Tensor[] inputs)
    {
        var current = inputs[0];
        foreach (var step in steps) current = step(current, inputs);
        return current;
    }

    private static int[] RandomShape(Generator rng)
    {
        int rank = 1 + rng.NextInt(3);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++) dims[i] = 1 + rng.NextInt(3);
        return dims;
    }

    /// <summary>A shape that broadcasts with <paramref name="shape"/>: some leading dims dropped, some dims set to 1.</summary>
    private static int[] BroadcastPartner(int[] shape, Generator rng)
    {
        var dims = shape.Skip(rng.NextInt(shape.Length)).ToArray();
        for (int i = 0; i < dims.Length; i++) if (rng.NextInt(3) == 0) dims[i] = 1;
        return dims;
    }

    /// <summary>Chooses 3 to 6 steps whose shapes fit, by trying each candidate on the real inputs.</summary>
    private static (List<Step> Steps, List<string> Names) Plan(Tensor[] inputs, Generator rng)
    {
        var candidates = new (string Name, Step Step)[]
        {
            ("Tanh", (c, _) => c.Tanh()),
            ("Sigmoid", (c, _) => c.Sigmoid()),
            ("Exp∘Tanh", (c, _) => c.Tanh().Exp()),
            ("Log(Softplus+1)", (c, _) => (c.Softplus() + 1.0).Log()),
            ("Sqrt(x²+1)", (c, _) => (c * c + 1.0).Sqrt()),
            ("Log1p(x²)", (c, _) => (c * c).Log1p()),
            ("Abs", (c, _) => c.Abs()),
            ("Relu+x/4", (c, _) => c.Relu() + c * 0.25),
            ("LeakyRelu", (c, _) => c.LeakyRelu(0.1)),
            ("Gelu", (c, _) => c.Gelu()),
            ("Pow3", (c, _) => c.Pow(3.0)),
            ("Neg", (c, _) => -c),
            ("Clamp", (c, _) => c.Clamp(-0.7, 0.7)),
            ("Add y", (c, xs) => c + xs[1]),
            ("Sub y", (c, xs) => xs[1] - c),
            ("Mul y", (c, xs) => c * xs[1]),
            ("Div by y²+1", (c, xs) => c / (xs[1] * xs[1] + 1.0)),
            ("Maximum y", (c, xs) => c.Maximum(xs[1])),
            ("Minimum y", (c, xs) => Autodiff.Ops.Minimum(xs[1], c)),
            ("MatMul w", (c, xs) => c.MatMul(xs[2])),
            ("Transpose", (c, _) => c.Transpose(0, -1)),
            ("Permute reversed", (c, _) => c.Permute(Enumerable.Range(0, c.Rank).Reverse().ToArray())),
            ("Reshape -1", (c, _) => c.Reshape(-1)),
            ("Unsqueeze 0", (c, _) => c.Unsqueeze(0)),
            ("Sum last keepDim", (c, _) => c.Sum(-1, keepDim: true)),
            ("Mean first", (c, _) => c.Mean(0)),
            ("Max last", (c, _) => c.Max(-1)),
            ("Softmax last", (c, _) => c.Softmax(-1)),
            ("LogSoftmax first", (c, _) => c.LogSoftmax(0)),
            ("Cat self", (c, _) => Autodiff.Ops.Cat([c, c * 2.0], -1)),
            ("Stack self", (c, _) => Autodiff.Ops.Stack([c, c.Sigmoid()], 0)),
            ("Slice last ::2", (c, _) => c.Slice(-1, 0, c.Shape[-1], 2)),
            ("IndexSelect first", (c, _) => c.IndexSelect(0, [0, 0])),
            ("Where alternating", (c, _) => Autodiff.Ops.Where(Alternating(c.Shape), c, c * 3.0)),
            ("Expand", (c, _) => c.Unsqueeze(0).Expand([2, .. c.Shape]).Sum(0)),
        };
        var steps = new List<Step>();
        var names = new List<string>();
        var current = inputs[0];
        int wanted = 3 + rng.NextInt(4);
        for (int attempt = 0; steps.Count < wanted && attempt < 100; attempt++)
        {
            var (name, step) = candidates[rng.NextInt(candidates.Length)];
            Tensor next;
            try
            {
                using (Tape.NoGrad()) next = step(current, inputs);
            }
            catch (ArgumentException)
            {
                continue;                                   // shapes do not fit this step; try another
            }
            if (next.Numel == 0 || next.Numel > 64) continue;
            steps.Add(step);
            names.Add(name);
            current = next;
        }
        return (steps, names);
    }
}
