using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

public class LstmCellTests
{
    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    /// <summary>gates[n, j] = 2·sin(0.7·(16n + j) + 0.3), c[n, k] = cos(0.5·(4n + k)), N = 2, H = 4.</summary>
    private static (Tensor Gates, Tensor C) Fixture(DType dtype)
    {
        var gates = new double[32];
        var c = new double[8];
        for (int n = 0; n < 2; n++)
        {
            for (int j = 0; j < 16; j++) gates[n * 16 + j] = 2 * Math.Sin(0.7 * (n * 16 + j) + 0.3);
            for (int k = 0; k < 4; k++) c[n * 4 + k] = Math.Cos(0.5 * (n * 4 + k));
        }
        return (Tensor.FromArray(gates, [2, 16]).To(dtype), Tensor.FromArray(c, [2, 4]).To(dtype));
    }

    // torch 1.13, float64: i, f, g, o = gates.chunk(4, 1); c2 = f.sigmoid()*c + i.sigmoid()*g.tanh(); h2 = o.sigmoid()*c2.tanh()
    // (torch.lstm_cell(gates, (zeros, c), eye(16), zeros(16, 4)) gives the same values, to the last bit)
    private static readonly double[] ExpectedH =
        [0.08880003635252369, 0.2983936778493758, 0.15833885985737398, 0.08008730631899247,
         -0.39793064518268, -0.6442539349685465, -0.5561390193757549, 0.14475996546660846];
    private static readonly double[] ExpectedC =
        [0.11285793364946906, 0.6660295191358265, 0.8893527164638644, 0.7748121105559649,
         -0.507641408844832, -0.9379874810658532, -0.8903479398759164, 0.3008665001590104];

    [TestCase(DType.Float64, 1e-14)]
    [TestCase(DType.Float32, 1e-6)]
    public void Forward_MatchesTorchLstmCell(DType dtype, double tolerance)
    {
        var (gates, c) = Fixture(dtype);
        var (h2, c2) = Ops.LstmCell(gates, c);
        Assert.That(h2.Shape, Is.EqualTo(new Shape(2, 4)));
        Assert.That(h2.ToDoubleArray(), Is.EqualTo(ExpectedH).Within(tolerance));
        Assert.That(c2.ToDoubleArray(), Is.EqualTo(ExpectedC).Within(tolerance));
    }

    [Test]
    public void Forward_EqualsTheComposite_OnRowsLongEnoughForTheVectorLoops()
    {
        // H = 21: two or more whole vectors and a tail, at any Vector<T> width
        var gates = Tensor.Randn([3, 84], 1, DType.Float64);
        var c = Tensor.Randn([3, 21], 2, DType.Float64);
        var (h2, c2) = Ops.LstmCell(gates, c);
        var (eh, ec) = Composite(gates, c);
        Assert.That(h2.ToDoubleArray(), Is.EqualTo(eh.ToDoubleArray()).Within(1e-14));
        Assert.That(c2.ToDoubleArray(), Is.EqualTo(ec.ToDoubleArray()).Within(1e-14));
    }

    /// <summary>The cell written with separate ops.</summary>
    private static (Tensor H, Tensor C) Composite(Tensor gates, Tensor c)
    {
        int h = c.Shape[-1];
        var i = Ops.Sigmoid(Ops.Slice(gates, -1, 0, h));
        var f = Ops.Sigmoid(Ops.Slice(gates, -1, h, 2 * h));
        var g = Ops.Tanh(Ops.Slice(gates, -1, 2 * h, 3 * h));
        var o = Ops.Sigmoid(Ops.Slice(gates, -1, 3 * h, 4 * h));
        var c2 = f * c + i * g;
        return (o * Ops.Tanh(c2), c2);
    }

    [TestCase(5, 1)]    // one double vector and a tail
    [TestCase(2, 3)]    // tails only
    public void Backward_MatchesCentralDifferences_Float64(int hidden, int rows)
    {
        var gates = Leaf(11, rows, 4 * hidden);
        var c = Leaf(12, rows, hidden);
        var w = Tensor.Randn([rows, hidden], 13, DType.Float64);
        GradCheck.Assert(t => { var (h2, c2) = Ops.LstmCell(t[0], t[1]); return h2 * w + c2 * c2; }, [gates, c], "LstmCell");
        GradCheck.Assert(t => Ops.LstmCell(t[0], t[1]).H, [gates, c], "LstmCell (h' only)");
        GradCheck.Assert(t => Ops.LstmCell(t[0], t[1]).C, [gates, c], "LstmCell (c' only)");
    }

    [Test]
    public void Backward_OfAnUnbatchedCell_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(t => { var (h2, c2) = Ops.LstmCell(t[0], t[1]); return h2 + 3 * c2; }, [Leaf(14, 12), Leaf(15, 3)], "LstmCell");

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64()
    {
        GradCheck.AssertSecondOrder(t => { var (h2, c2) = Ops.LstmCell(t[0], t[1]); return Ops.Tanh(h2) * c2; },
            [Leaf(16, 2, 12), Leaf(17, 2, 3)], "LstmCell");
    }

    [Test]
    public void Backward_CreateGraph_GivesTheSameGradientsAsThePlainPass()
    {
        var gates = Leaf(18, 3, 20);
        var c = Leaf(19, 3, 5);
        var w = Tensor.Randn([3, 5], 20, DType.Float64);
        Tensor Loss() { var (h2, c2) = Ops.LstmCell(gates, c); return (h2 * w + c2 * c2).Sum(); }
        var plain = Autograd.Grad([Loss()], [gates, c]);
        var recorded = Autograd.Grad([Loss()], [gates, c], createGraph: true);
        Assert.That(recorded[0]!.RequiresGrad, Is.True);
        for (int k = 0; k < 2; k++) Assert.That(recorded[k]!.ToDoubleArray(), Is.EqualTo(plain[k]!.ToDoubleArray()).Within(1e-14));
    }

    [Test]
    public void Tape_RecordsCellStateThenOutput()
    {
        var gates = Leaf(21, 2, 8);
        var (h2, c2) = Ops.LstmCell(gates, Tensor.Zeros([2, 2], DType.Float64));
        Assert.That(c2.Creator!.Op, Is.EqualTo("LstmCell"));
        Assert.That(h2.Creator!.Op, Is.EqualTo("LstmCellOutput"));
        Assert.That(h2.Creator.Inputs[1], Is.SameAs(c2));
    }

    [Test]
    public void Throws_WhenGatesAreNotFourTimesTheState() =>
        AssertThrows<ArgumentException>(() => Ops.LstmCell(Tensor.Zeros(2, 12), Tensor.Zeros(2, 4)), "LstmCell", "[2, 12]", "[2, 4]", "[2, 16]");

    [Test]
    public void Throws_WhenBatchDimsDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.LstmCell(Tensor.Zeros(3, 16), Tensor.Zeros(2, 4)), "LstmCell", "[3, 16]", "[2, 4]");

    [Test]
    public void Throws_WhenDTypesDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.LstmCell(Tensor.Zeros(2, 16), Tensor.Zeros([2, 4], DType.Float64)), "LstmCell", "Float32", "Float64");

    [Test]
    public void ForwardAndBackward_AreBitIdentical_WithOneOrTwoThreads_AndPoisonedBuffers()
    {
        Compute.PoisonEmpty = true;
        static double[][] Step()
        {
            var gates = Tensor.Randn([7, 4 * 37], 22).RequireGrad();
            var c = Tensor.Randn([7, 37], 23).RequireGrad();
            var (h2, c2) = Ops.LstmCell(gates, c);
            (h2 * 2 + c2).Sum().Backward();
            return [h2.ToDoubleArray(), c2.ToDoubleArray(), gates.Grad!.ToDoubleArray(), c.Grad!.ToDoubleArray()];
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
