using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

public class GruCellTests
{
    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    /// <summary>gi[n, j] = 1.5·sin(0.6·(12n + j) + 0.1), gh[n, j] = 1.5·cos(0.4·(12n + j)), h[n, k] = sin(4n + k); N = 2, H = 4.</summary>
    private static (Tensor Gi, Tensor Gh, Tensor H) Fixture(DType dtype)
    {
        double[] gi = new double[24], gh = new double[24], h = new double[8];
        for (int n = 0; n < 2; n++)
        {
            for (int j = 0; j < 12; j++)
            {
                gi[n * 12 + j] = 1.5 * Math.Sin(0.6 * (n * 12 + j) + 0.1);
                gh[n * 12 + j] = 1.5 * Math.Cos(0.4 * (n * 12 + j));
            }
            for (int k = 0; k < 4; k++) h[n * 4 + k] = Math.Sin(n * 4 + k);
        }
        return (Tensor.FromArray(gi, [2, 12]).To(dtype), Tensor.FromArray(gh, [2, 12]).To(dtype), Tensor.FromArray(h, [2, 4]).To(dtype));
    }

    // torch 1.13, float64, per row n: torch.gru_cell(gi[n:n+1], h[n:n+1], eye(12), zeros(12, 4), zeros(12), gh[n]),
    // i.e. W_ih = I and b_ih = 0 so that x·W_ihᵀ + b_ih = gi, and W_hh = 0 with b_hh = gh[n] so that h·W_hhᵀ + b_hh = gh
    private static readonly double[] Expected =
        [-0.296083023235036, -0.3182959909700497, -0.6012866277407892, 0.19686751827282886,
         -0.7401370997777722, -0.729966493123151, -0.16886863564092808, 0.31497575064312655];

    [TestCase(DType.Float64, 1e-14)]
    [TestCase(DType.Float32, 1e-6)]
    public void Forward_MatchesTorchGruCell(DType dtype, double tolerance)
    {
        var (gi, gh, h) = Fixture(dtype);
        var y = Ops.GruCell(gi, gh, h);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 4)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Expected).Within(tolerance));
    }

    [Test]
    public void Forward_EqualsTheComposite_OnRowsLongEnoughForTheVectorLoops()
    {
        var gi = Tensor.Randn([3, 63], 1, DType.Float64);
        var gh = Tensor.Randn([3, 63], 2, DType.Float64);
        var h = Tensor.Randn([3, 21], 3, DType.Float64);
        Assert.That(Ops.GruCell(gi, gh, h).ToDoubleArray(), Is.EqualTo(Composite(gi, gh, h).ToDoubleArray()).Within(1e-14));
    }

    /// <summary>The cell written with separate ops: h' = (1 - z)⊙n + z⊙h.</summary>
    private static Tensor Composite(Tensor gi, Tensor gh, Tensor h)
    {
        int k = h.Shape[-1];
        var r = Ops.Sigmoid(Ops.Slice(gi, -1, 0, k) + Ops.Slice(gh, -1, 0, k));
        var z = Ops.Sigmoid(Ops.Slice(gi, -1, k, 2 * k) + Ops.Slice(gh, -1, k, 2 * k));
        var n = Ops.Tanh(Ops.Slice(gi, -1, 2 * k, 3 * k) + r * Ops.Slice(gh, -1, 2 * k, 3 * k));
        return (1 - z) * n + z * h;
    }

    [TestCase(5, 1)]
    [TestCase(2, 3)]
    public void Backward_MatchesCentralDifferences_Float64(int hidden, int rows) =>
        GradCheck.Assert(t => Ops.GruCell(t[0], t[1], t[2]), [Leaf(11, rows, 3 * hidden), Leaf(12, rows, 3 * hidden), Leaf(13, rows, hidden)], "GruCell");

    [Test]
    public void Backward_OfAnUnbatchedCell_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(t => Ops.GruCell(t[0], t[1], t[2]), [Leaf(14, 9), Leaf(15, 9), Leaf(16, 3)], "GruCell");

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.GruCell(t[0], t[1], t[2])) * t[2], [Leaf(17, 2, 9), Leaf(18, 2, 9), Leaf(19, 2, 3)], "GruCell");

    [Test]
    public void Backward_CreateGraph_GivesTheSameGradientsAsThePlainPass()
    {
        Tensor gi = Leaf(20, 3, 15), gh = Leaf(21, 3, 15), h = Leaf(22, 3, 5);
        var w = Tensor.Randn([3, 5], 23, DType.Float64);
        Tensor Loss() => (Ops.GruCell(gi, gh, h) * w).Sum();
        var plain = Autograd.Grad([Loss()], [gi, gh, h]);
        var recorded = Autograd.Grad([Loss()], [gi, gh, h], createGraph: true);
        for (int k = 0; k < 3; k++) Assert.That(recorded[k]!.ToDoubleArray(), Is.EqualTo(plain[k]!.ToDoubleArray()).Within(1e-14));
    }

    [Test]
    public void Throws_WhenGiIsNotThreeTimesTheState() =>
        AssertThrows<ArgumentException>(() => Ops.GruCell(Tensor.Zeros(2, 10), Tensor.Zeros(2, 12), Tensor.Zeros(2, 4)), "GruCell", "gi", "[2, 10]", "[2, 4]", "[2, 12]");

    [Test]
    public void Throws_WhenGhDiffersFromGi() =>
        AssertThrows<ArgumentException>(() => Ops.GruCell(Tensor.Zeros(2, 12), Tensor.Zeros(1, 12), Tensor.Zeros(2, 4)), "GruCell", "gh", "[1, 12]", "[2, 4]");

    [Test]
    public void Throws_WhenDTypesDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.GruCell(Tensor.Zeros(2, 12), Tensor.Zeros(2, 12), Tensor.Zeros([2, 4], DType.Float64)), "GruCell", "Float32", "Float64");

    [Test]
    public void ForwardAndBackward_AreBitIdentical_WithOneOrTwoThreads_AndPoisonedBuffers()
    {
        Compute.PoisonEmpty = true;
        static double[][] Step()
        {
            var gi = Tensor.Randn([7, 3 * 37], 24).RequireGrad();
            var gh = Tensor.Randn([7, 3 * 37], 25).RequireGrad();
            var h = Tensor.Randn([7, 37], 26).RequireGrad();
            var y = Ops.GruCell(gi, gh, h);
            (y * y).Sum().Backward();
            return [y.ToDoubleArray(), gi.Grad!.ToDoubleArray(), gh.Grad!.ToDoubleArray(), h.Grad!.ToDoubleArray()];
        }
        var one = WithThreads(1, Step);
        var two = WithThreads(2, Step);
        for (int k = 0; k < 4; k++)
        {
            Assert.That(two[k], Is.EqualTo(one[k]), $"output {k}");
            Assert.That(one[k].All(double.IsFinite), Is.True, $"output {k} read a poisoned buffer");
        }
    }
}
