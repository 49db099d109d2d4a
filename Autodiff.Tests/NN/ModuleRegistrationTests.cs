using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>Submodules and parameters held in fields are registered (trained, saved, printed), or fail loudly.</summary>
public class ModuleRegistrationTests
{
    // ---- the residual module ---------------------------------------------------------------------------

    private sealed class Residual : Module
    {
        public Linear Hidden = new(3, 8, generator: new Generator(1));
        public Linear Out = new(8, 3, generator: new Generator(2));

        public override Tensor Forward(Tensor input) => input + Out.Forward(Hidden.Forward(input).Relu());
    }

    [Test]
    public void PublicFieldSubmodules_AreRegistered_InDeclarationOrder()
    {
        var names = new Residual().NamedParameters().Select(p => p.Name);
        Assert.That(names, Is.EqualTo(new[] { "Hidden.weight", "Hidden.bias", "Out.weight", "Out.bias" }));
    }

    [Test]
    public void PublicFieldSubmodules_AreTrained_ByAnOptimizerOverParameters()
    {
        var model = new Residual();
        var optimizer = new SGD(model.Parameters(), lr: 0.1f);
        var before = model.Hidden.Weight.ToDoubleArray();
        var x = Tensor.Randn([4, 3], seed: 5);
        ((model.Forward(x) - x * 2.0) * (model.Forward(x) - x * 2.0)).Mean().Backward();
        optimizer.Step();
        Assert.That(model.Hidden.Weight.ToDoubleArray(), Is.Not.EqualTo(before));
        Assert.That(model.Parameters().Count(), Is.EqualTo(4));
    }

    [Test]
    public void PublicFieldSubmodules_AreSavedAndLoaded()
    {
        var model = new Residual();
        var state = model.StateDict();
        Assert.That(state.Keys, Is.EqualTo(new[] { "Hidden.weight", "Hidden.bias", "Out.weight", "Out.bias" }));
        Assert.That(state["Hidden.weight"].Shape, Is.EqualTo(new Shape(8, 3)));
        var fresh = new Residual();
        fresh.Hidden.Weight = Tensor.Zeros(8, 3);
        fresh.LoadStateDict(state);
        Assert.That(fresh.Hidden.Weight.ToDoubleArray(), Is.EqualTo(model.Hidden.Weight.ToDoubleArray()));
    }

    [Test]
    public void PublicFieldSubmodules_ArePrinted_AndCounted()
    {
        var model = new Residual();
        Assert.That(model.ToString(), Does.Contain("(Hidden): Linear(inFeatures: 3, outFeatures: 8, bias: True)  [32 parameters]")
            .And.Contain("(Out): Linear(inFeatures: 8, outFeatures: 3, bias: True)"));
        Assert.That(model.ParameterCount(), Is.EqualTo(3 * 8 + 8 + 8 * 3 + 3));
    }

    [Test]
    public void Diagnose_SeesTheFieldSubmodules()
    {
        var model = new Residual();
        var x = Tensor.Randn([4, 3], seed: 5);
        var report = model.Forward(x).Sum().Backward(diagnose: model);
        Assert.That(report.Parameters.Select(p => p.Name), Is.EqualTo(new[] { "Hidden.weight", "Hidden.bias", "Out.weight", "Out.bias" }));
        Assert.That(report.NotParameters, Is.Empty);
    }

    [Test]
    public void TrainEvalAndZeroGrad_ReachFieldSubmodules()
    {
        var model = new Residual();
        model.Eval();
        Assert.That(model.Hidden.Training, Is.False);
        model.Train();
        Assert.That(model.Hidden.Training, Is.True);
        model.Forward(Tensor.Randn([2, 3], seed: 1)).Sum().Backward();
        Assert.That(model.Hidden.Weight.Grad, Is.Not.Null);
        model.ZeroGrad();
        Assert.That(model.Hidden.Weight.Grad, Is.Null);
    }

    // ---- private fields, properties, base classes, primary constructors, tensors ------------------------------

    private sealed class PrivateFields : Module
    {
        private readonly Linear _fc1 = new(2, 4);
        private readonly Linear _fc2 = new(4, 1);
        private readonly Tensor _scale = Tensor.Ones(1).RequireGrad();
        private readonly Tensor _constant = Tensor.Ones(1);              // does not require grad: a plain attribute

        public override Tensor Forward(Tensor input) => _fc2.Forward(_fc1.Forward(input)) * _scale + _constant;
    }

    [Test]
    public void PrivateFields_AreRegistered_WithTheLeadingUnderscoreDropped()
    {
        var names = new PrivateFields().StateDict().Keys;
        Assert.That(names, Is.EqualTo(new[] { "scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }));
    }

    private sealed class WithProperty : Module
    {
        public Linear Hidden { get; set; } = new(3, 8);

        public override Tensor Forward(Tensor input) => Hidden.Forward(input);
    }

    [Test]
    public void AutoProperty_IsRegistered_UnderThePropertyName()
    {
        Assert.That(new WithProperty().StateDict().Keys, Is.EqualTo(new[] { "Hidden.weight", "Hidden.bias" }));
    }

    private abstract class EncoderBase : Module
    {
        protected readonly Linear _encoder = new(4, 2);
    }

    private sealed class AutoEncoder : EncoderBase
    {
        private readonly Linear _decoder = new(2, 4);

        public override Tensor Forward(Tensor input) => _decoder.Forward(_encoder.Forward(input));
    }

    [Test]
    public void BaseClassFields_AreRegistered_BeforeDerivedOnes()
    {
        var names = new AutoEncoder().NamedChildren().Select(c => c.Name);
        Assert.That(names, Is.EqualTo(new[] { "encoder", "decoder" }));
    }

    private sealed class Wrapper(Linear inner) : Module
    {
        public override Tensor Forward(Tensor input) => inner.Forward(input);
    }

    [Test]
    public void CapturedPrimaryConstructorParameter_IsRegistered_UnderItsName()
    {
        Assert.That(new Wrapper(new Linear(2, 2)).StateDict().Keys, Is.EqualTo(new[] { "inner.weight", "inner.bias" }));
    }

    [Test]
    public void TensorField_RegisteredAsParameter_StaysOneWhenFrozen()
    {
        var model = new PrivateFields();
        var scale = model.NamedParameters().Single(p => p.Name == "scale").Parameter;
        scale.RequiresGrad = false;                                      // freezing, as in fine-tuning
        Assert.That(model.StateDict().Keys, Does.Contain("scale"));
    }

    // ---- reassignment ------------------------------------------------------------------------------------------

    private sealed class Reassignable : Module
    {
        public Linear Fc = new(3, 2);

        public override Tensor Forward(Tensor input) => Fc.Forward(input);
    }

    [Test]
    public void ReassignedField_ReplacesItsRegistration()
    {
        var model = new Reassignable();
        var old = model.Fc;
        Assert.That(model.Parameters(), Does.Contain(old.Weight));
        model.Fc = new Linear(3, 5);
        var parameters = model.Parameters().ToList();
        Assert.That(parameters, Does.Contain(model.Fc.Weight).And.Not.Contain(old.Weight));
        Assert.That(model.StateDict()["Fc.weight"].Shape, Is.EqualTo(new Shape(5, 3)));
        model.Fc = null!;
        Assert.That(model.Parameters(), Is.Empty);
    }

    private sealed class ExplicitAndField : Module
    {
        public Linear First;

        public ExplicitAndField() => First = RegisterModule("fc1", new Linear(2, 3));

        public override Tensor Forward(Tensor input) => First.Forward(input);
    }

    [Test]
    public void FieldHoldingAnExplicitRegistration_IsNotRegisteredTwice_AndItsReassignmentReplacesIt()
    {
        var model = new ExplicitAndField();
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[] { "fc1.weight", "fc1.bias" }));
        model.First = new Linear(2, 7);
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[] { "fc1.weight", "fc1.bias" }));
        Assert.That(model.StateDict()["fc1.weight"].Shape, Is.EqualTo(new Shape(7, 2)));
        Assert.That(model.Parameters(), Does.Contain(model.First.Weight));
    }

    private sealed class Shortcut : Module
    {
        public Sequential Body = new(new Linear(2, 3), new ReLU(), new Linear(3, 1));
        private readonly Linear _last;
        private readonly Tensor _lastWeight;

        public Shortcut() => (_last, _lastWeight) = ((Linear)Body[2], ((Linear)Body[2]).Weight);

        public override Tensor Forward(Tensor input) => _last.Forward(Body[..2].Forward(input)) + _lastWeight.Sum() * 0.0;
    }

    [Test]
    public void FieldHoldingAnObjectInsideAnotherRegistration_IsNotRegisteredTwice()
    {
        Assert.That(new Shortcut().StateDict().Keys, Is.EqualTo(new[] { "Body.0.weight", "Body.0.bias", "Body.2.weight", "Body.2.bias" }));
    }

    [Test]
    public void BuiltInModules_DoNotRegisterTheirOwnFieldsTwice()
    {
        var model = new Sequential(new Linear(2, 3), new BatchNorm1d(3), new Dropout(0.1), new Conv2d(1, 1, 1), new LayerNorm(3), new Embedding(4, 3));
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[]
        {
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.weight", "3.bias", "4.weight", "4.bias", "5.weight",
        }));
    }

    // ---- loud failures -----------------------------------------------------------------------------------------

    private sealed class LayersInAList : Module
    {
        private readonly List<Linear> _layers = [new Linear(2, 2), new Linear(2, 2)];

        public override Tensor Forward(Tensor input) => _layers.Aggregate(input, (x, layer) => layer.Forward(x));
    }

    [Test]
    public void ListOfModulesField_FailsAtFirstUse_NamingTheFieldAndTheFix()
    {
        var model = new LayersInAList();
        var ex = Assert.Throws<InvalidOperationException>(() => model.Parameters());
        Assert.That(ex!.Message, Does.Contain("LayersInAList").And.Contain("'_layers'").And.Contain("List<Linear>")
            .And.Contain("element 0").And.Contain("ModuleList"));
        Assert.Throws<InvalidOperationException>(() => model.StateDict());
        Assert.Throws<InvalidOperationException>(() => model.ToString());
    }

    private sealed class HeadsInADictionary : Module
    {
        public Dictionary<string, Module> Heads = new() { ["a"] = new Linear(2, 2) };

        public override Tensor Forward(Tensor input) => Heads["a"].Forward(input);
    }

    [Test]
    public void DictionaryOfModulesField_FailsAtFirstUse_NamingTheKeyAndModuleDict()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new HeadsInADictionary().Parameters());
        Assert.That(ex!.Message, Does.Contain("'Heads'").And.Contain("entry 'a'").And.Contain("ModuleDict"));
    }

    private sealed class TensorsInAnArray : Module
    {
        private readonly Tensor[] _weights = [Tensor.Ones(2).RequireGrad()];

        public override Tensor Forward(Tensor input) => input * _weights[0];
    }

    [Test]
    public void ArrayOfRequiresGradTensorsField_FailsAtFirstUse_NamingParameterList()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new TensorsInAnArray().Parameters());
        Assert.That(ex!.Message, Does.Contain("'_weights'").And.Contain("Tensor[]").And.Contain("ParameterList"));
    }

    private sealed class LazilyFilled : Module
    {
        public readonly List<Module> Layers = [];

        public override Tensor Forward(Tensor input) => input;
    }

    [Test]
    public void ListFilledAfterFirstUse_FailsAtTheNextUse()
    {
        var model = new LazilyFilled();
        Assert.That(model.Parameters(), Is.Empty);                       // empty: nothing lost yet
        model.Layers.Add(new Linear(2, 2));
        Assert.Throws<InvalidOperationException>(() => model.Parameters());
    }

    private sealed class Child : Module
    {
        public Module? Parent;
        public Linear Fc = new(2, 2);

        public override Tensor Forward(Tensor input) => Fc.Forward(input);
    }

    private sealed class Parent : Module
    {
        public Child Kid = new();

        public override Tensor Forward(Tensor input) => Kid.Forward(input);
    }

    [Test]
    public void FieldReferringToAParent_IsACycle_ReportedNamingTheField()
    {
        var model = new Parent();
        model.Kid.Parent = model;
        var ex = Assert.Throws<InvalidOperationException>(() => model.Parameters());
        Assert.That(ex!.Message, Does.Contain("field 'Parent'").And.Contain("cycle").And.Contain("[NotRegistered]"));
    }

    [Test]
    public void FieldReferringToItself_IsACycle()
    {
        var model = new Child();
        model.Parent = model;
        var ex = Assert.Throws<InvalidOperationException>(() => model.StateDict());
        Assert.That(ex!.Message, Does.Contain("field 'Parent'").And.Contain("this very module"));
    }

    private sealed class BackReference : Module
    {
        [NotRegistered] public Module? Owner;
        [NotRegistered] private readonly Linear _teacher = new(2, 2);
        public Linear Fc = new(2, 2);

        public override Tensor Forward(Tensor input) => Fc.Forward(input) + _teacher.Forward(input).Detach();
    }

    [Test]
    public void NotRegisteredFields_AreLeftAlone()
    {
        var model = new BackReference();
        var outer = new Sequential(model);
        model.Owner = outer;
        Assert.That(outer.StateDict().Keys, Is.EqualTo(new[] { "0.Fc.weight", "0.Fc.bias" }));
    }

    private sealed class SameName : Module
    {
        public Linear fc = new(2, 2);
        private readonly Linear _fc = new(2, 2);

        public override Tensor Forward(Tensor input) => _fc.Forward(fc.Forward(input));
    }

    [Test]
    public void TwoFieldsWithOneName_Fail_NamingBoth()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new SameName().Parameters());
        Assert.That(ex!.Message, Does.Contain("'fc'").And.Contain("'_fc'"));
    }

    [Test]
    public void RegisteringAModuleThatContainsThisOne_Fails()
    {
        var inner = new ModuleList(new Linear(2, 2));
        var outer = new ModuleList(new ReLU(), inner);
        var ex = Assert.Throws<ArgumentException>(() => inner.Add(outer));
        Assert.That(ex!.Message, Does.Contain("cycle"));
    }

    // ---- cost ----------------------------------------------------------------------------------------------------

    [Test]
    public void RereadingAnUnchangedModel_AllocatesNothing()
    {
        var model = new Sequential(new Residual(), new PrivateFields(), new ExplicitAndField(), new ReLU());
        _ = model.Parameters().Count();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) _ = model.Parameters();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    // ---- diagnose ------------------------------------------------------------------------------------------------

    private sealed class Weights
    {
        public Tensor Scale = Tensor.FromArray([2f, 3f]).RequireGrad();
    }

    private sealed class HiddenInAPlainObject : Module
    {
        public Linear Fc = new(2, 2, generator: new Generator(3));
        private readonly Weights _weights = new();                       // not a Module: its tensor is not registered

        public override Tensor Forward(Tensor input) => Fc.Forward(input) * _weights.Scale;
    }

    [Test]
    public void Diagnose_FlagsARequiresGradTensorThatFeedsTheLossButIsNotAParameter()
    {
        var model = new HiddenInAPlainObject();
        var report = model.Forward(Tensor.FromArray([1f, 2f], 1, 2)).Sum().Backward(diagnose: model);
        Assert.That(report.NotParameters, Has.Count.EqualTo(1));
        Assert.That(report.NotParameters[0].Status, Is.EqualTo(GradientStatus.NotAParameter));
        Assert.That(report.NotParameters[0].Shape, Is.EqualTo(new Shape(2)));
        Assert.That(report.Problems, Is.Not.Empty);
        string text = report.ToString();
        Assert.That(text, Does.Not.Contain("All 2 parameters received a non-zero gradient"));
        Assert.That(text, Does.Contain("1 tensor that requires grad and feeds the loss is not among the model's 2 parameters").And.Contain("[2]: NotAParameter").And.Contain("ParameterList"));
    }

    private sealed class TiedLanguageModel : Module
    {
        public Embedding Embed = new(10, 4);
        public Linear Head = new(4, 10, bias: false);

        public TiedLanguageModel() => Head.Weight = Embed.Weight;      // weight tying, as GPT-2 does

        public override Tensor Forward(Tensor input) => Head.Forward(input);
    }

    [Test]
    public void TiedWeights_AreOneParameter_ButKeepBothStateDictNames()
    {
        var model = new TiedLanguageModel();
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "Embed.weight" }), "as named_parameters()");
        Assert.That(model.Parameters().Count(), Is.EqualTo(1));
        Assert.That(model.ParameterCount(), Is.EqualTo(40));
        Assert.That(model.StateDict().Keys, Is.EquivalentTo(new[] { "Embed.weight", "Head.weight" }), "as state_dict()");

        var optimizer = new SGD(model.Parameters(), lr: 0.1);              // would refuse a tensor listed twice
        var before = model.Embed.Weight.ToArray();
        model.Forward(Tensor.Ones(2, 4)).Sum().Backward();
        optimizer.Step();
        Assert.That(model.Head.Weight, Is.SameAs(model.Embed.Weight));
        Assert.That(model.Embed.Weight.ToArray(), Is.Not.EqualTo(before), "trained once through the shared tensor");
    }
}
