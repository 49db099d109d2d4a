using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>The ways a parameter held in a field could still vanish silently, found by review and a new-user trial:
/// each now works as in PyTorch or fails naming the field.</summary>
public class ModuleFieldTrapTests
{
    private sealed class WithScale : Module
    {
        public Tensor Scale = Tensor.Ones(3).RequireGrad();
        public Linear Fc = new(3, 3);

        public override Tensor Forward(Tensor input) => Fc.Forward(input * Scale);
    }

    [Test]
    public void TensorParameterField_ReassignedToAPlainTensor_StaysAParameter()
    {
        // Loading weights by hand: the parameter must not vanish (it did, and diagnose said all was well).
        var model = new WithScale();
        _ = model.Parameters();
        model.Scale = Tensor.FromArray([2f, 3f, 4f]);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "Scale", "Fc.weight", "Fc.bias" }));
        Assert.That(model.Scale.RequiresGrad, Is.True);
        model.Scale = null!;
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "Fc.weight", "Fc.bias" }), "null removes it, as PyTorch's None");
    }

    [Test]
    public void TensorParameterField_ReassignedToANonLeaf_FailsNamingTheField()
    {
        var model = new WithScale();
        _ = model.Parameters();
        model.Scale = model.Scale * 0.5f;
        var ex = Assert.Throws<InvalidOperationException>(() => model.Parameters())!;
        Assert.That(ex.Message, Does.StartWith("WithScale:").And.Contain("field 'Scale'").And.Contain("result of Mul").And.Contain("leaf"));
    }

    private sealed class FrozenInConstructor : Module
    {
        public Linear Fc = new(3, 3);
        public Tensor Positions = Tensor.Randn(3).RequireGrad(false);     // nn.Parameter(t, requires_grad=False)

        public override Tensor Forward(Tensor input) => Fc.Forward(input + Positions);
    }

    [Test]
    public void TensorFieldFrozenBeforeTheFirstRead_IsStillAParameter_AndSaved()
    {
        var model = new FrozenInConstructor();
        Assert.That(model.StateDict().Keys, Does.Contain("Positions"));
        Assert.That(model.Positions.RequiresGrad, Is.False, "stays frozen");

        var other = new WithScale();
        other.Scale.RequiresGrad = false;                                 // frozen before anything read the model
        Assert.That(other.StateDict().Keys, Does.Contain("Scale"));
    }

    [Test]
    public void PlainTensorField_NeverMarked_IsNotAParameter()
    {
        // A constant (a mask, a table) stays a plain field, as PyTorch's plain tensor attribute.
        Assert.That(new PlainConstant().StateDict().Keys, Is.EqualTo(new[] { "Fc.weight", "Fc.bias" }));
    }

    private sealed class PlainConstant : Module
    {
        public Linear Fc = new(3, 3);
        private readonly Tensor _mask = Tensor.Ones(3);

        public override Tensor Forward(Tensor input) => Fc.Forward(input * _mask);
    }

    private sealed class ScaledInit : Module
    {
        public Tensor W = Tensor.Randn(3, 2).RequireGrad() * 0.1f;       // the usual spelling of nn.Parameter(randn * 0.1)
        public Linear Fc = new(2, 2);

        public override Tensor Forward(Tensor input) => Fc.Forward(input.MatMul(W));
    }

    [Test]
    public void FieldHoldingANonLeafThatRequiresGrad_FailsAtTheFirstRead_NamingIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new Adam(new ScaledInit().Parameters()))!;
        Assert.That(ex.Message, Does.StartWith("ScaledInit:").And.Contain("field 'W'").And.Contain("result of Mul").And.Contain("leaf"));
    }

    private interface IEncoder
    {
        Tensor Encode(Tensor x);
    }

    private sealed class Encoder : Module, IEncoder
    {
        public Linear Fc = new(4, 4);

        public Tensor Encode(Tensor x) => Fc.Forward(x);

        public override Tensor Forward(Tensor input) => Encode(input);
    }

    private sealed class WithInterface(IEncoder encoder) : Module
    {
        private readonly IEncoder _encoder = encoder;
        public Linear Head = new(4, 1);

        public override Tensor Forward(Tensor input) => Head.Forward(_encoder.Encode(input));
    }

    [Test]
    public void InterfaceTypedField_HoldingAModule_IsRegistered()
    {
        var model = new WithInterface(new Encoder());
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "encoder.Fc.weight", "encoder.Fc.bias", "Head.weight", "Head.bias" }));
    }

    private sealed class WithTuple : Module
    {
        private readonly (Linear A, Linear B) _pair = (new(2, 2), new(2, 2));

        public override Tensor Forward(Tensor input) => _pair.B.Forward(_pair.A.Forward(input));
    }

    [Test]
    public void TupleOfModulesField_FailsAtFirstUse_NamingTheFieldAndTheFix()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new WithTuple().Parameters())!;
        Assert.That(ex.Message, Does.StartWith("WithTuple:").And.Contain("field '_pair'").And.Contain("item 1").And.Contain("ModuleList"));
    }

    private sealed class LazyArray : Module
    {
        public Tensor?[] Ws = new Tensor?[2];
        public Linear Fc = new(2, 2);

        public override Tensor Forward(Tensor input)
        {
            for (int i = 0; i < Ws.Length; i++) Ws[i] ??= Tensor.Randn(2).RequireGrad();
            return Fc.Forward(input * Ws[0]! * Ws[1]!);
        }
    }

    [Test]
    public void ArrayFilledAfterFirstUse_WithoutChangingItsLength_FailsAtTheNextUse()
    {
        var model = new LazyArray();
        Assert.That(model.Parameters().Count(), Is.EqualTo(2));
        model.Forward(Tensor.Ones(1, 2));
        var ex = Assert.Throws<InvalidOperationException>(() => model.Parameters())!;
        Assert.That(ex.Message, Does.Contain("field 'Ws'").And.Contain("element 0").And.Contain("ParameterList"));
    }

    private sealed class ListOfRegistered : Module
    {
        public Linear A = new(2, 2);
        public Linear B = new(2, 2);
        [NotRegistered] public Linear Spare = new(2, 2);
        public List<Linear> Order;

        public ListOfRegistered() => Order = [A, B];

        public override Tensor Forward(Tensor input) => Order.Aggregate(input, (x, m) => m.Forward(x));
    }

    [Test]
    public void ListElementReplaced_WithoutChangingItsCount_IsSeenAtTheNextUse()
    {
        var model = new ListOfRegistered();
        Assert.That(model.Parameters().Count(), Is.EqualTo(4), "a list of registered modules is fine");
        model.Order[1] = model.Spare;                                     // an unregistered module, same count
        var ex = Assert.Throws<InvalidOperationException>(() => model.Parameters())!;
        Assert.That(ex.Message, Does.Contain("field 'Order'").And.Contain("element 1").And.Contain("ModuleList"));
    }

    [Test]
    public void BuildingModulesElsewhere_DoesNotInvalidateAModelsCachedParameters()
    {
        // A slice made in Forward, or another thread building a model, used to make every model rebuild its state.
        var model = new Sequential(new Linear(3, 3), new ReLU(), new Linear(3, 1));
        var parameters = model.Parameters();
        _ = new Sequential(new Linear(2, 2), new ModuleList(new Linear(2, 2)));
        _ = model[..2];
        Assert.That(model.Parameters(), Is.SameAs(parameters));
    }

    [Test]
    public void TyingToANonLeaf_Fails_NamingTheParameterAndTheOp()
    {
        var encoder = new Linear(4, 3);
        var decoder = new Linear(3, 4);
        var ex = Assert.Throws<ArgumentException>(() => decoder.Weight = encoder.Weight.Transpose(0, 1))!;
        Assert.That(ex.Message, Does.StartWith("Linear.weight:").And.Contain("leaf").And.Contain("Transpose").And.Contain("b.Weight = a.Weight"));
    }

    [Test]
    public void TyingToAFrozenWeight_KeepsItFrozen()
    {
        var a = new Linear(3, 3);
        var b = new Linear(3, 3);
        a.Weight.RequiresGrad = false;
        b.Weight = a.Weight;
        Assert.That(a.Weight.RequiresGrad, Is.False, "as PyTorch's b.weight = a.weight");
        b.Weight = Tensor.Zeros(3, 3);
        Assert.That(b.Weight.RequiresGrad, Is.True, "a new plain tensor becomes a trainable parameter");
    }

    [Test]
    public void TensorParameterField_ReassignedBeforeTheFirstRead_StaysAParameter()
    {
        var model = new WithScale();                                      // Scale's initializer marked it a parameter
        model.Scale = Tensor.FromArray([2f, 3f, 4f]);                     // replaced before anything read the model
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "Scale", "Fc.weight", "Fc.bias" }));
        Assert.That(model.Scale.RequiresGrad, Is.True);
    }

    // ---- an optimizer holding what the model replaced ------------------------------------------------------------

    private static Tensor X => Tensor.Ones(4, 3);

    private static void TrainStep(Module model, Optimizer optimizer)
    {
        var loss = model.Forward(X).Sum();
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
    }

    [Test]
    public void Step_AfterAParameterWasReplaced_FailsNamingItAndCopy()
    {
        var layer = new Linear(3, 1);
        var model = new Sequential(layer);
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        layer.Weight = Tensor.Ones(1, 3);                                 // e.g. loading pretrained values
        var ex = Assert.Throws<InvalidOperationException>(() => TrainStep(model, optimizer))!;
        Assert.That(ex.Message, Does.StartWith("SGD: parameter 0 (0.weight[1, 3])").And.Contain("replaced").And.Contain("Copy_"));
    }

    [Test]
    public void Step_AfterAFieldModuleWasReplaced_Fails()
    {
        var model = new WithScale();
        var optimizer = new Adam(model.Parameters(), lr: 0.1);
        model.Fc = new Linear(3, 3);
        var ex = Assert.Throws<InvalidOperationException>(() => TrainStep(model, optimizer))!;
        Assert.That(ex.Message, Does.Contain("Fc.weight[3, 3]").And.Contain("no longer in the WithScale"));
    }

    [Test]
    public void Step_AfterAModuleWasRemovedFromAList_IsFine_AsInPyTorch()
    {
        // The removed layer's parameters get no gradient and are skipped; nothing the model uses goes untrained.
        var list = new ModuleList(new Linear(3, 3), new Linear(3, 3));
        var optimizer = new SGD(list.Parameters(), lr: 0.1);
        list.RemoveAt(0);
        list[0].Forward(X).Sum().Backward();
        Assert.DoesNotThrow(optimizer.Step);
    }

    [Test]
    public void CopyInPlace_KeepsTheOptimizersParameter_AndTrains()
    {
        var layer = new Linear(3, 1);
        var model = new Sequential(layer);
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        var weight = layer.Weight;
        layer.Weight.Copy_(Tensor.Ones(1, 3));
        TrainStep(model, optimizer);
        Assert.That(layer.Weight, Is.SameAs(weight));
        Assert.That(layer.Weight.ToArray(), Is.All.EqualTo(1f - 0.1f * 4f), "stepped from the copied values");
    }

    [Test]
    public void ReplacingThenBuildingTheOptimizer_IsFine_AndSwappedFieldsStayParameters()
    {
        var model = new WithScale();
        _ = new SGD(model.Parameters(), lr: 0.1);                          // an old optimizer, never stepped again
        model.Fc = new Linear(3, 3);
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        Assert.DoesNotThrow(() => TrainStep(model, optimizer));

        var pair = new Pair();
        var pairOptimizer = new SGD(pair.Parameters(), lr: 0.1);
        (pair.A, pair.B) = (pair.B, pair.A);                              // both still registered
        Assert.DoesNotThrow(() => TrainStep(pair, pairOptimizer));
    }

    private sealed class Pair : Module
    {
        public Linear A = new(3, 3);
        public Linear B = new(3, 3);

        public override Tensor Forward(Tensor input) => B.Forward(A.Forward(input));
    }

    private class BaseWithFc : Module
    {
        private readonly Linear _fc = new(3, 3);

        public override Tensor Forward(Tensor input) => _fc.Forward(input);
    }

    private sealed class DerivedWithFc : BaseWithFc
    {
        private readonly Linear _fc = new(3, 3);

        public override Tensor Forward(Tensor input) => _fc.Forward(base.Forward(input));
    }

    [Test]
    public void SameFieldNameInBaseAndDerived_FailsNamingBothClasses()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new DerivedWithFc().Parameters())!;
        Assert.That(ex.Message, Does.Contain("'_fc' (in BaseWithFc)").And.Contain("'_fc' (in DerivedWithFc)").And.Contain("'fc'"));
    }

    private sealed class CachesAnActivation : Module
    {
        public Linear Fc = new(3, 3);
        public Tensor? LastOutput;                                        // as PyTorch's self.attn_weights = w

        public override Tensor Forward(Tensor input) => LastOutput = Fc.Forward(input).Relu();
    }

    [Test]
    public void AnActivationCachedInAField_IsLeftAlone_EvenWhenForwardRanBeforeTheFirstRead()
    {
        var model = new CachesAnActivation();
        model.Forward(X);                                                 // a sanity-check forward before the optimizer
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "Fc.weight", "Fc.bias" }));
    }

    private sealed class PairedShortcuts : Module
    {
        public Linear A = new(3, 3);
        public Linear B = new(3, 3);
        private readonly (Linear First, Linear Second) _order;            // a struct: boxed anew by every reflection read

        public PairedShortcuts() => _order = (A, B);

        public override Tensor Forward(Tensor input) => _order.Second.Forward(_order.First.Forward(input));
    }

    [Test]
    public void ATupleField_DoesNotMakeEveryReadRebindTheModule()
    {
        var model = new PairedShortcuts();
        _ = model.Parameters().Count();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) _ = model.Parameters();
        long perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        Assert.That(perRead, Is.LessThan(100), "the tuple's box only, no rebinding (which allocated ~1.9 KB a read)");
    }

    [Test]
    public void Step_AfterAReplacement_FailsEvenWhenTheLoopZeroesTheModelsGradients()
    {
        // model.ZeroGrad() clears only the model's current parameters: the old tensor kept its last gradient and went on
        // being stepped while the new weight never trained.
        var model = new Sequential(new Linear(3, 3), new Linear(3, 1));
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        model.Forward(X).Sum().Backward();
        optimizer.Step();
        ((Linear)model[1]).Weight = Tensor.Ones(1, 3);
        model.ZeroGrad();
        model.Forward(X).Sum().Backward();
        var ex = Assert.Throws<InvalidOperationException>(optimizer.Step)!;
        Assert.That(ex.Message, Does.Contain("parameter 2 (1.weight[1, 3])"));
    }

    [Test]
    public void Step_DoesNotFail_ForParametersStillInTheModel_AfterReorderingSharingOrUntying()
    {
        // Frozen parameters get no gradient, which is when a check by gradient would have fired.
        var list = new ModuleList(new Linear(3, 3), new Linear(3, 3));
        foreach (var p in list.Parameters()) p.RequiresGrad = false;
        var listOptimizer = new SGD(list.Parameters(), lr: 0.1);
        var first = list[0];
        list.RemoveAt(0);
        list.Add(first);                                                  // reordered, still held
        Assert.DoesNotThrow(listOptimizer.Step);

        var shared = new Linear(3, 3);
        foreach (var p in shared.Parameters()) p.RequiresGrad = false;
        var m1 = new Sequential(shared, new Linear(3, 1));
        var m2 = new Sequential(new Sequential(shared), new Linear(3, 1), new Linear(1, 1));   // larger: it names shared's weight
        _ = m2.Parameters();
        var optimizer = new SGD(m1.Parameters(), lr: 0.1);
        ((Sequential)m2[0]).Append(new ReLU());
        m2 = new Sequential(new Linear(3, 3));                            // m2 lets go of shared; m1 still holds it
        m1.Forward(X).Sum().Backward();
        Assert.DoesNotThrow(optimizer.Step);

        var grow = new ModuleList(new Linear(3, 3));
        var growOptimizer = new SGD(grow.Parameters(), lr: 0.1);
        var extra = new Linear(3, 3);
        grow.Add(extra);                                                  // a new layer with an optimizer of its own
        var extraOptimizer = new SGD(extra.Parameters(), lr: 0.1);
        extra.Forward(grow[0].Forward(X)).Sum().Backward();
        Assert.DoesNotThrow(growOptimizer.Step);
        Assert.DoesNotThrow(extraOptimizer.Step);

        var encoder = new Linear(3, 3);
        var decoder = new Linear(3, 3);
        var autoencoder = new Sequential(encoder, decoder);
        var tieOptimizer = new SGD(autoencoder.Parameters(), lr: 0.1);
        decoder.Weight = encoder.Weight;                                  // tied after the optimizer: the shared one trains
        autoencoder.Forward(X).Sum().Backward();
        Assert.DoesNotThrow(tieOptimizer.Step);
    }
}
