using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

/// <summary>ModuleList, ModuleDict, ParameterList and Sequential as containers: PyTorch's state-dict names, indexing,
/// enumeration and errors.</summary>
public class ContainerTests
{
    private sealed class Net : Module
    {
        private readonly ModuleList _layers = new(new Linear(4, 4), new Linear(4, 4));
        private readonly ModuleDict _heads = new() { ["a"] = new Linear(4, 2), ["b"] = new Linear(4, 3) };
        private readonly ParameterList _ps = new(Tensor.Ones(4), Tensor.Zeros(4));

        public override Tensor Forward(Tensor input)
        {
            var x = input * _ps[0] + _ps[1];
            foreach (var layer in _layers) x = layer.Forward(x).Relu();
            return _heads["a"].Forward(x);
        }
    }

    [Test]
    public void StateDictNames_MatchPyTorchs()
    {
        Assert.That(new Net().StateDict().Keys, Is.EqualTo(new[]
        {
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
            "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias",
            "ps.0", "ps.1",
        }));
    }

    [Test]
    public void ContainedModulesAndTensors_AreTrained()
    {
        var model = new Net();
        Assert.That(model.Parameters().Count(), Is.EqualTo(10));
        Assert.That(model.Parameters().All(p => p.RequiresGrad), Is.True);
        var optimizer = new SGD(model.Parameters(), lr: 0.1f);
        model.Forward(Tensor.Randn([3, 4], seed: 2)).Sum().Backward();
        var scale = model.NamedParameters().Single(p => p.Name == "ps.0").Parameter;
        var before = scale.ToDoubleArray();
        optimizer.Step();
        Assert.That(scale.ToDoubleArray(), Is.Not.EqualTo(before));
    }

    [Test]
    public void ToString_PrintsContainersAsATree()
    {
        var text = new Net().ToString();
        Assert.That(text, Does.Contain("(layers): ModuleList(").And.Contain("    (1): Linear(inFeatures: 4, outFeatures: 4, bias: True)")
            .And.Contain("(heads): ModuleDict(").And.Contain("    (b): Linear(").And.Contain("(ps): ParameterList(Float32 [4], Float32 [4])"));
    }

    // ---- ModuleList ----------------------------------------------------------------------------------------------

    [Test]
    public void ModuleList_IndexesAndEnumeratesInOrder()
    {
        Module a = new Linear(1, 1), b = new ReLU(), c = new Tanh();
        var list = new ModuleList(a, b) { c };
        Assert.That(list.Count, Is.EqualTo(3));
        Assert.That(list, Is.EqualTo(new[] { a, b, c }));
        Assert.That((list[0], list[^1]), Is.EqualTo((a, c)));
        Assert.That(list[1..], Is.EqualTo(new[] { b, c }));
        Assert.That(list.NamedChildren().Select(x => x.Name), Is.EqualTo(new[] { "0", "1", "2" }));
    }

    [Test]
    public void ModuleList_SetInsertRemoveAndExtend_Renumber()
    {
        var first = new Linear(1, 2);
        var list = new ModuleList(first, new Linear(2, 3));
        var replacement = new Linear(1, 5);
        list[0] = replacement;
        Assert.That(list.StateDict()["0.weight"].Shape, Is.EqualTo(new Shape(5, 1)));
        Assert.That(list.Parameters(), Does.Not.Contain(first.Weight));
        list.Insert(0, new Linear(9, 9));
        Assert.That(list.StateDict()["1.weight"].Shape, Is.EqualTo(new Shape(5, 1)));
        list.RemoveAt(0);
        list.Extend([new Linear(3, 4)]).Append(new ReLU());
        Assert.That(list.StateDict().Keys, Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias" }));
        Assert.That(list.Count, Is.EqualTo(4));
    }

    [Test]
    public void ModuleList_Errors_NameTheContainerAndTheIndex()
    {
        var list = new ModuleList(new ReLU());
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => _ = list[3]);
        Assert.That(range!.Message, Does.Contain("ModuleList").And.Contain("index 3").And.Contain("1 modules"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => list.Insert(5, new ReLU()))!.Message, Does.Contain("insert index 5"));
        var nullModule = Assert.Throws<ArgumentNullException>(() => list.Add(null!));
        Assert.That(nullModule!.Message, Does.Contain("ModuleList").And.Contain("module 1 is null"));
        Assert.Throws<ArgumentNullException>(() => new ModuleList(new ReLU(), null!));
        Assert.That(list.Count, Is.EqualTo(1));
    }

    [Test]
    public void ModuleList_Forward_ThrowsSayingToIterate()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ModuleList(new ReLU()).Forward(Tensor.Ones(1)));
        Assert.That(ex!.Message, Does.Contain("ModuleList has no Forward; iterate it"));
    }

    // ---- ModuleDict ----------------------------------------------------------------------------------------------

    [Test]
    public void ModuleDict_KeepsInsertionOrder_AndReplacesInPlace()
    {
        var dict = new ModuleDict { ["z"] = new Linear(1, 1), ["a"] = new Linear(1, 2) };
        dict.Add("m", new ReLU());
        Assert.That(dict.Keys, Is.EqualTo(new[] { "z", "a", "m" }));
        dict["z"] = new Linear(1, 7);
        Assert.That(dict.StateDict().Keys, Is.EqualTo(new[] { "z.weight", "z.bias", "a.weight", "a.bias" }));
        Assert.That(dict.StateDict()["z.weight"].Shape, Is.EqualTo(new Shape(7, 1)));
        Assert.That(dict.ContainsKey("a") && dict.TryGetValue("m", out var m) && m is ReLU, Is.True);
        Assert.That(dict.Select(p => p.Key), Is.EqualTo(new[] { "z", "a", "m" }));
        Assert.That(dict.Remove("a"), Is.True);
        Assert.That(dict.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "z", "m" }));
        Assert.That(dict.Count, Is.EqualTo(2));
    }

    [Test]
    public void ModuleDict_Errors_NameTheContainerAndTheKey()
    {
        var dict = new ModuleDict { ["a"] = new ReLU() };
        var duplicate = Assert.Throws<ArgumentException>(() => dict.Add("a", new Tanh()));
        Assert.That(duplicate!.Message, Does.Contain("ModuleDict").And.Contain("key 'a' is already present"));
        var missing = Assert.Throws<KeyNotFoundException>(() => _ = dict["b"]);
        Assert.That(missing!.Message, Does.Contain("ModuleDict").And.Contain("'b'").And.Contain("[a]"));
        Assert.That(Assert.Throws<ArgumentException>(() => dict.Add("x.y", new ReLU()))!.Message, Does.Contain("'x.y'").And.Contain("no dot"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => dict["c"] = null!)!.Message, Does.Contain("ModuleDict").And.Contain("'c'"));
    }

    // ---- ParameterList -------------------------------------------------------------------------------------------

    [Test]
    public void ParameterList_RegistersTensorsAsParameters_NumberedFromZero()
    {
        var a = Tensor.Ones(2);
        var list = new ParameterList(a).Append(Tensor.Zeros(3));
        Assert.That(a.RequiresGrad, Is.True);
        Assert.That(list.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0", "1" }));
        Assert.That((list.Count, list[0], list[^1].Shape), Is.EqualTo((2, a, new Shape(3))));
        list[0] = Tensor.Zeros(5);
        Assert.That(list.StateDict()["0"].Shape, Is.EqualTo(new Shape(5)));
        Assert.That(list.Parameters(), Does.Not.Contain(a));
        Assert.That(list.Count(), Is.EqualTo(2));
    }

    [Test]
    public void ParameterList_Errors_NameTheContainerAndTheIndex()
    {
        var list = new ParameterList(Tensor.Ones(1));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = list[-1])!.Message, Does.Contain("ParameterList").And.Contain("index -1"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => list.Add(null!))!.Message, Does.Contain("ParameterList").And.Contain("tensor 1"));
        Assert.Throws<InvalidOperationException>(() => list.Forward(Tensor.Ones(1)));
    }

    // ---- Sequential ----------------------------------------------------------------------------------------------

    [Test]
    public void Sequential_EnumeratesItsModulesInOrder()
    {
        Module a = new Linear(2, 3), b = new ReLU(), c = new Linear(3, 1);
        var model = new Sequential(a, b, c);
        Assert.That(model.ToList(), Is.EqualTo(new[] { a, b, c }));
        Assert.That(model[^1], Is.SameAs(c));
    }

    [Test]
    public void Sequential_Append_RegistersTheNextNumber()
    {
        var model = new Sequential(new Linear(2, 3)).Append(new ReLU()).Append(new Linear(3, 1));
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        Assert.That(model.Forward(Tensor.Ones(4, 2)).Shape, Is.EqualTo(new Shape(4, 1)));
    }

    [Test]
    public void Sequential_RangeSlice_SharesTheModules_RenumberedAsPyTorch()
    {
        var model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
        var tail = model[1..];
        Assert.That(tail.Count, Is.EqualTo(2));
        Assert.That(tail[1], Is.SameAs(model[2]));
        Assert.That(tail.StateDict().Keys, Is.EqualTo(new[] { "1.weight", "1.bias" }));
        var head = model[..1];
        var x = Tensor.Ones(4, 2);
        Assert.That(tail.Forward(head.Forward(x)).ToArray(), Is.EqualTo(model.Forward(x).ToArray()));
    }

    [Test]
    public void Sequential_Errors_NameTheIndexAndRange()
    {
        var model = new Sequential(new ReLU());
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = model[2])!.Message, Does.Contain("Sequential").And.Contain("index 2"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = model[0..3])!.Message, Does.Contain("Sequential").And.Contain("0..3"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => new Sequential(new ReLU(), null!))!.Message, Does.Contain("module 1 is null"));
    }

    [Test]
    public void SequentialAndParameterList_IndexErrors_NameTheContainerAndTheCount()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => _ = new Sequential(new ReLU(), new Tanh())[2], "Sequential", "index 2", "2 modules");
        AssertThrows<ArgumentOutOfRangeException>(() => _ = new ParameterList(Tensor.Ones(2).RequireGrad())[-1], "ParameterList", "index -1", "1 tensors", "[^1]");
    }
}
