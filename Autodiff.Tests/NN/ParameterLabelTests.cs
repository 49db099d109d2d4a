using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>Error messages and the tape name parameters as the state dict does (<c>0.weight</c>), not <c>t368</c>.</summary>
public class ParameterLabelTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    private static Sequential Model() =>
        new(new Linear(3, 8, generator: new Generator(1)), new ReLU(), new Linear(8, 2, generator: new Generator(2)));

    [Test]
    public void VersionCounterError_AfterAStepBetweenForwardAndBackward_NamesTheParameter()
    {
        var model = Model();
        var optimizer = new SGD(model.Parameters(), lr: 0.1f);
        var x = Tensor.Randn([4, 3], seed: 3);
        model.Forward(x).Sum().Backward();
        var loss = model.Forward(x).Sum();                              // forward with the current weights
        optimizer.Step();                                                // changes them in place
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("0.weight[8, 3]").Or.Contain("2.weight[2, 8]"));
        Assert.That(ex.Message, Does.Not.Match(@"\bt\d+\[8, 3\]"));
    }

    [Test]
    public void AnomalyError_NamesTheParameter()
    {
        var model = Model();
        _ = model.Parameters();
        ((Linear)model[0]).Weight.AsSpan()[0] = float.NaN;
        using (Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<AnomalyException>(() => model.Forward(Tensor.Ones(2, 3)));
            Assert.That(ex!.Message, Does.Contain("0.weight[8, 3] from a leaf"));
        }
    }

    [Test]
    public void TapePrintout_NamesParameters()
    {
        var model = Model();
        _ = model.Parameters();
        model.Forward(Tensor.Ones(2, 3));
        Assert.That(Tape.Current.ToString(), Does.Contain("0.weight[8, 3]").And.Contain("2.bias[2]"));
    }

    [Test]
    public void TheOutermostModulesName_Wins_OverASubmodulesOwnEnumeration()
    {
        var inner = new Linear(3, 8);
        var model = new Sequential(new Sequential(inner));
        _ = model.Parameters();
        _ = inner.Parameters();                                          // "weight" has fewer dots than "0.0.weight"
        Assert.That(inner.Weight.Label, Is.EqualTo("0.0.weight[8, 3]"));
    }

    [Test]
    public void AUserName_Wins_OverTheParameterName()
    {
        var layer = new Linear(3, 8);
        layer.Weight.Name = "W";
        _ = new Sequential(layer).Parameters();
        Assert.That(layer.Weight.Label, Is.EqualTo("W[8, 3]"));
        Assert.That(layer.Bias!.Label, Is.EqualTo("0.bias[8]"));
    }

    [Test]
    public void BuffersAreNamedToo()
    {
        var model = new Sequential(new BatchNorm1d(4));
        _ = model.Parameters();
        Assert.That(((BatchNorm1d)model[0]).RunningMean!.Label, Is.EqualTo("0.running_mean[4]"));
    }

    [Test]
    public void ASlice_DoesNotRenameTheModelsParameters()
    {
        var model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 2));
        _ = model.Parameters();
        _ = model[2..].Parameters();                                     // would name the last weight "0.weight"
        Assert.That(((Linear)model[2]).Weight.Label, Is.EqualTo("2.weight[2, 2]"));

        var fresh = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 2));
        _ = fresh[2..].Parameters();                                     // the slice read first
        _ = fresh.Parameters();
        Assert.That(((Linear)fresh[2]).Weight.Label, Is.EqualTo("2.weight[2, 2]"), "the whole model wins whichever came first");
    }

    [Test]
    public void ATiedWeight_IsLabelledWithItsFirstName()
    {
        var embed = new Linear(4, 4);
        var head = new Linear(4, 4);
        head.Weight = embed.Weight;
        var model = new Sequential(embed, head);
        Assert.That(model.NamedParameters().First().Name, Is.EqualTo("0.weight"));
        Assert.That(embed.Weight.Label, Is.EqualTo("0.weight[4, 4]"), "as NamedParameters lists it");
    }

    [Test]
    public void ARenumberedList_RenamesItsParameters()
    {
        var list = new ModuleList(new Linear(2, 2), new Linear(2, 2));
        var second = (Linear)list[1];
        _ = list.Parameters();
        list.RemoveAt(0);
        _ = list.Parameters();
        Assert.That(second.Weight.Label, Is.EqualTo("0.weight[2, 2]"));
    }
}
