using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>CausalityCheck (Autodiff.Core/Checking/CausalityCheck.cs): leaks of later input positions into earlier outputs.</summary>
public class CausalityCheckTests
{
    /// <summary>Self-attention over [B, T, C] with fixed projections: q = x·Wq, k = x·Wk, v = x·Wv, one head.</summary>
    private static Func<Tensor, Tensor> Attention(Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        var (wq, wk, wv) = (Tensor.Randn([6, 6], 1), Tensor.Randn([6, 6], 2), Tensor.Randn([6, 6], 3));
        return x => attend(Ops.MatMul(x, wq), Ops.MatMul(x, wk), Ops.MatMul(x, wv));
    }

    private static Tensor Input() => Tensor.Randn([2, 5, 6], 4);

    [Test]
    public void CausalAttention_Passes()
    {
        var model = Attention((q, k, v) => Ops.ScaledDotProductAttention(q, k, v, isCausal: true));
        Assert.That(CausalityCheck.FindLeak(model, Input()), Is.Null);
        CausalityCheck.Assert(model, Input());
    }

    [Test]
    public void NonCausalAttention_IsCaught_AtTheFirstPair()
    {
        var model = Attention((q, k, v) => Ops.ScaledDotProductAttention(q, k, v));
        Assert.That(CausalityCheck.FindLeak(model, Input()), Is.EqualTo((0, 1)));
        var ex = Assert.Throws<CausalityException>(() => CausalityCheck.Assert(model, Input()))!;
        Assert.That(ex.Message, Does.StartWith("CausalityCheck: output position 0 depends on input position 1 > 0"));
        Assert.That(ex.Message, Does.Contain("[2, 5, 6]"));
        Assert.That((ex.Output, ex.Input), Is.EqualTo((0, 1)));
    }

    [Test]
    public void MaskShiftedByOne_IsCaught()
    {
        // A Bool "may attend" mask j ≤ i + 1: each position also sees the next one.
        var allowed = new bool[25];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j <= Math.Min(4, i + 1); j++) allowed[i * 5 + j] = true;
        var mask = Tensor.FromArray(allowed, 5, 5);
        var model = Attention((q, k, v) => Ops.ScaledDotProductAttention(q, k, v, mask));
        Assert.That(CausalityCheck.FindLeak(model, Input()), Is.EqualTo((0, 1)));
    }

    [Test]
    public void LeakOnlyAtTheEnd_IsFoundThere()
    {
        // y[t] = x[t] except y[2] += x[4]: the first leaking pair is (2, 4).
        Tensor Model(Tensor x) => Ops.Cat([Ops.Slice(x, 1, 0, 2), Ops.Slice(x, 1, 2, 3) + Ops.Slice(x, 1, 4, 5), Ops.Slice(x, 1, 3, 5)], 1);
        Assert.That(CausalityCheck.FindLeak(Model, Input()), Is.EqualTo((2, 4)));
    }

    [Test]
    public void LeakBehindALayerNorm_IsNotHiddenBySumming()
    {
        // Σ_c LayerNorm(x)[t, c] is 0 whatever x is: a plain sum of the outputs would see no dependence at all.
        var layer = new TransformerEncoderLayer(6, 2, 8, dropout: 0, batchFirst: true, generator: new Generator(1));
        Assert.That(CausalityCheck.FindLeak(x => layer.Forward(x), Input()), Is.EqualTo((0, 1)));
        Assert.That(CausalityCheck.FindLeak(x => layer.Forward(x, isCausal: true), Input()), Is.Null);
        Assert.That(CausalityCheck.FindLeak(x => Ops.LayerNorm(x + Ops.Sum(x, 1, keepDim: true), [6]), Input()), Is.EqualTo((0, 1)));
    }

    [Test]
    public void TimeDim_CanBeAnotherDim()
    {
        var model = Attention((q, k, v) => Ops.ScaledDotProductAttention(q, k, v, isCausal: true));
        var timeFirst = Tensor.Randn([5, 2, 6], 5);
        Func<Tensor, Tensor> transposed = x => Ops.Transpose(model(Ops.Transpose(x, 0, 1)), 0, 1);
        Assert.That(CausalityCheck.FindLeak(transposed, timeFirst, timeDim: 0), Is.Null);
        // Σ_{t' ≥ t} x[t']: a reversed cumulative sum sees the future.
        Assert.That(CausalityCheck.FindLeak(x => Ops.Sum(x, 0, keepDim: true) - Ops.CumSum(x, 0) + x, timeFirst, timeDim: 0), Is.EqualTo((0, 1)));
        Assert.That(CausalityCheck.FindLeak(x => Ops.CumSum(x, 0), timeFirst, timeDim: 0), Is.Null);
    }

    [Test]
    public void Throws_WhenTimeDimIsOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => CausalityCheck.FindLeak(x => x * 2, Input(), timeDim: 3), "CausalityCheck", "3", "[2, 5, 6]");

    [Test]
    public void Throws_WhenTheOutputLacksTheTimeDim() =>
        AssertThrows<ArgumentOutOfRangeException>(() => CausalityCheck.FindLeak(x => Ops.Sum(x, 1), Input(), timeDim: 2),
            "CausalityCheck", "output [2, 6]");

    [Test]
    public void Throws_WhenTheInputIsNotFloatingPoint() =>
        AssertThrows<ArgumentException>(() => CausalityCheck.FindLeak(x => x, Tensor.Zeros([2, 5], DType.Int64)), "CausalityCheck", "Int64");

    [Test]
    public void Throws_WhenTheOutputDoesNotDependOnTheInput() =>
        AssertThrows<ArgumentException>(() => CausalityCheck.FindLeak(x => Tensor.Zeros(2, 5, 6), Input()), "CausalityCheck", "does not depend");
}
