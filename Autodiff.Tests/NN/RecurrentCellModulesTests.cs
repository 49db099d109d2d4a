using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>RNNCell, LSTMCell and GRUCell: names, values, unbatched input, second order, errors. (Their steps equal the
/// torch-checked sequence modules: RecurrentModulesTests runs them in a loop against RNN, LSTM and GRU.)</summary>
public class RecurrentCellModulesTests
{
    [Test]
    public void StateDictKeys_AreTorchs()
    {
        // list(torch.nn.LSTMCell(3, 2).state_dict().keys())
        string[] keys = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];
        Assert.That(new LSTMCell(3, 2).NamedParameters().Select(p => p.Name), Is.EqualTo(keys));
        Assert.That(new GRUCell(3, 2).NamedParameters().Select(p => p.Name), Is.EqualTo(keys));
        Assert.That(new RNNCell(3, 2, bias: false).NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight_ih", "weight_hh" }));
        Assert.That(new LSTMCell(3, 2).WeightIh.Shape, Is.EqualTo(new Shape(8, 3)));
        Assert.That(new GRUCell(3, 2).BiasHh!.Shape, Is.EqualTo(new Shape(6)));
    }

    [Test]
    public void LstmCell_IsTheTwoProductsAndTheFusedCell()
    {
        var cell = (LSTMCell)new LSTMCell(4, 3, generator: new Generator(1)).Double();
        var x = Tensor.Randn([2, 4], 2, DType.Float64);
        var h = Tensor.Randn([2, 3], 3, DType.Float64);
        var c = Tensor.Randn([2, 3], 4, DType.Float64);
        var (h2, c2) = cell.Forward(x, (h, c));
        var gates = Ops.Linear(x, cell.WeightIh, cell.BiasIh) + Ops.Linear(h, cell.WeightHh, cell.BiasHh);
        var (eh, ec) = Ops.LstmCell(gates, c);
        Assert.That(h2.ToDoubleArray(), Is.EqualTo(eh.ToDoubleArray()));
        Assert.That(c2.ToDoubleArray(), Is.EqualTo(ec.ToDoubleArray()));
        Assert.That(((Module)cell).Forward(x).ToDoubleArray(), Is.EqualTo(cell.Forward(x, null).H.ToDoubleArray()));
    }

    [Test]
    public void UnbatchedInput_GivesTheRowOfTheBatchedResult()
    {
        var cell = (GRUCell)new GRUCell(4, 3, generator: new Generator(5)).Double();
        var x = Tensor.Randn([2, 4], 6, DType.Float64);
        var h = Tensor.Randn([2, 3], 7, DType.Float64);
        var batched = cell.Forward(x, h);
        var single = cell.Forward(Ops.Select(x, 0, 1), Ops.Select(h, 0, 1));
        Assert.That(single.Shape, Is.EqualTo(new Shape(3)));
        Assert.That(single.ToDoubleArray(), Is.EqualTo(Ops.Select(batched, 0, 1).ToDoubleArray()).Within(1e-15));
    }

    [Test]
    public void SecondOrder_ThroughTwoStepsOfEachCell_MatchesCentralDifferences_Float64()
    {
        var lstm = (LSTMCell)new LSTMCell(3, 2, generator: new Generator(8)).Double();
        GradCheck.AssertSecondOrder(t =>
        {
            var s = lstm.Forward(t[0], null);
            var (h, c) = lstm.Forward(t[0] * 2, s);
            return h * c;
        }, [Leaf(9, 2, 3)], "LSTMCell");
        var gru = (GRUCell)new GRUCell(3, 2, generator: new Generator(10)).Double();
        GradCheck.AssertSecondOrder(t => gru.Forward(t[0], gru.Forward(t[0], t[1])), [Leaf(11, 2, 3), Leaf(12, 2, 2)], "GRUCell");
        var rnn = (RNNCell)new RNNCell(3, 2, generator: new Generator(13)).Double();
        GradCheck.AssertSecondOrder(t => rnn.Forward(t[0], rnn.Forward(t[0], t[1])), [Leaf(14, 2, 3), Leaf(15, 2, 2)], "RNNCell");
    }

    [Test]
    public void ToString_ReadsLikePyTorch()
    {
        Assert.That(new LSTMCell(10, 20).Describe(), Is.EqualTo("LSTMCell(inputSize: 10, hiddenSize: 20)"));
        Assert.That(new RNNCell(10, 20, bias: false, nonlinearity: "relu").Describe(),
            Is.EqualTo("RNNCell(inputSize: 10, hiddenSize: 20, nonlinearity: \"relu\", bias: False)"));
    }

    [Test]
    public void Throws_WhenTheInputOrStateShapeIsWrong()
    {
        AssertThrows<ArgumentException>(() => new LSTMCell(3, 2).Forward(Tensor.Zeros(4, 5), null), "LSTMCell", "[4, 5]", "inputSize 3");
        AssertThrows<ArgumentException>(() => new LSTMCell(3, 2).Forward(Tensor.Zeros(4, 3), (Tensor.Zeros(4, 2), Tensor.Zeros(3, 2))),
            "LSTMCell", "c", "[3, 2]", "[4, 2]");
        AssertThrows<ArgumentException>(() => new GRUCell(3, 2).Forward(Tensor.Zeros(4, 3), Tensor.Zeros(4, 3)), "GRUCell", "h", "[4, 3]", "[4, 2]");
        AssertThrows<ArgumentException>(() => new RNNCell(3, 2, nonlinearity: "gelu"), "RNNCell", "nonlinearity", "gelu");
    }
}
