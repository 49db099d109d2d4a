using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>Walking the module tree (Autodiff.NN/Module.Utilities.cs): NamedChildren, Children, NamedModules, Modules,
/// Apply and RequiresGrad_, with PyTorch's orders and duplicate rules.</summary>
public class ModuleUtilitiesTests
{
    private sealed class Block : Module
    {
        public Linear Fc1 = new(4, 4, generator: new Generator(1));
        public ReLU Act = new();
        public Linear Fc2 = new(4, 4, generator: new Generator(2));

        public override Tensor Forward(Tensor input) => Fc2.Forward(Act.Forward(Fc1.Forward(input)));
    }

    private sealed class Net : Module
    {
        public Sequential Body = new(new Block(), new LayerNorm(4));
        public Linear Head = new(4, 2, generator: new Generator(3));

        public override Tensor Forward(Tensor input) => Head.Forward(Body.Forward(input));
    }

    [Test]
    public void NamedModules_ListsSelfFirst_ThenDepthFirstWithDottedNames()
    {
        // As PyTorch's [n for n, _ in net.named_modules()] for the same tree.
        var names = new Net().NamedModules().Select(m => m.Name);
        Assert.That(names, Is.EqualTo(new[] { "", "Body", "Body.0", "Body.0.Fc1", "Body.0.Act", "Body.0.Fc2", "Body.1", "Head" }));
    }

    [Test]
    public void NamedModules_PutsThePrefixBeforeEveryName()
    {
        var names = new Sequential(new ReLU(), new Tanh()).NamedModules(prefix: "enc").Select(m => m.Name);
        Assert.That(names, Is.EqualTo(new[] { "enc", "enc.0", "enc.1" }));
    }

    [Test]
    public void NamedModules_ListsASharedModuleOnce_UnlessDuplicatesAreKept()
    {
        var shared = new Linear(2, 2, generator: new Generator(4));
        var net = new Sequential(new Sequential(shared), shared, new ReLU());
        Assert.That(net.NamedModules().Select(m => m.Name), Is.EqualTo(new[] { "", "0", "0.0", "2" }));
        Assert.That(net.NamedModules(removeDuplicate: false).Select(m => m.Name), Is.EqualTo(new[] { "", "0", "0.0", "1", "2" }));
        Assert.That(net.Modules().Count(), Is.EqualTo(4));
        Assert.That(net.Modules().First(), Is.SameAs(net));
    }

    [Test]
    public void NamedChildren_ListsEachDirectChildOnce_AndChildrenMatches()
    {
        var relu = new ReLU();
        var linear = new Linear(2, 2, generator: new Generator(5));
        var net = new Sequential(relu, linear, relu);
        Assert.That(net.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "0", "1" }));   // PyTorch: ['0', '1']
        Assert.That(net.Children(), Is.EqualTo(new Module[] { relu, linear }));
        Assert.That(new Net().Children().Select(c => c.GetType().Name), Is.EqualTo(new[] { "Sequential", "Linear" }));
    }

    [Test]
    public void Children_IsEmptyForALeafModule()
    {
        Assert.That(new Linear(2, 2).Children(), Is.Empty);
        Assert.That(new Linear(2, 2).NamedModules().Select(m => m.Name), Is.EqualTo(new[] { "" }));
    }

    [Test]
    public void Apply_VisitsChildrenFirst_ThenSelf_AndReturnsThis()
    {
        // PyTorch: order = []; net.apply(lambda m: order.append(type(m).__name__))
        var net = new Net();
        var order = new List<string>();
        var returned = net.Apply(m => order.Add(m.GetType().Name));
        Assert.That(returned, Is.SameAs(net));
        Assert.That(order, Is.EqualTo(new[] { "Linear", "ReLU", "Linear", "Block", "LayerNorm", "Sequential", "Linear", "Net" }));
    }

    [Test]
    public void Apply_VisitsASharedModuleUnderEachParent_AsPyTorch()
    {
        var shared = new ReLU();
        var net = new Sequential(new Sequential(shared), new Sequential(shared));
        int visits = 0;
        net.Apply(m => { if (ReferenceEquals(m, shared)) visits++; });
        Assert.That(visits, Is.EqualTo(2));
    }

    [Test]
    public void Apply_CanInitialiseEveryLinear()
    {
        var net = new Net();
        net.Apply(m => { if (m is Linear l) l.Weight.Copy_(Tensor.Ones(l.OutFeatures, l.InFeatures)); });
        Assert.That(net.Head.Weight.ToArray(), Is.All.EqualTo(1f));
        Assert.That(((Block)net.Body[0]).Fc2.Weight.ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void Apply_Throws_ForANullFunction() =>
        Assert.Throws<ArgumentNullException>(() => new Net().Apply(null!));

    [Test]
    public void RequiresGrad_FreezesAndUnfreezesEveryParameter_AndReturnsThis()
    {
        var net = new Net();
        Assert.That(net.Body.RequiresGrad_(false), Is.SameAs(net.Body));
        Assert.That(net.Body.Parameters().Select(p => p.RequiresGrad), Is.All.False);
        Assert.That(net.Head.Parameters().Select(p => p.RequiresGrad), Is.All.True);
        net.RequiresGrad_();
        Assert.That(net.Parameters().Select(p => p.RequiresGrad), Is.All.True);
    }

    [Test]
    public void RequiresGrad_False_LeavesFrozenParametersWithoutGradient_SoTheOptimizerSkipsThem()
    {
        var net = new Net();
        net.Body.RequiresGrad_(false);
        var optimizer = new SGD(net.Parameters(), lr: 0.1);
        var frozen = net.Body.Parameters().Select(p => p.ToArray()).ToArray();
        var head = net.Head.Weight.ToArray();
        net.Forward(Tensor.Randn([3, 4], seed: 6)).Sum().Backward();
        optimizer.Step();
        Assert.That(net.Body.Parameters().Select(p => p.Grad), Is.All.Null);
        Assert.That(net.Body.Parameters().Select(p => p.ToArray()), Is.EqualTo(frozen));
        Assert.That(net.Head.Weight.ToArray(), Is.Not.EqualTo(head));
    }

    [Test]
    public void RequiresGrad_LeavesBuffersAlone()
    {
        var bn = new BatchNorm1d(3);
        bn.RequiresGrad_(true);
        Assert.That(bn.NamedBuffers().Select(b => b.Buffer.RequiresGrad), Is.All.False);
        Assert.That(bn.Parameters().Count(), Is.EqualTo(2));
    }
}
