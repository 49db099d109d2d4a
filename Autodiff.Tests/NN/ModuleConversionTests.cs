using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>Float64 models (Autodiff.NN/Module.Conversion.cs): Module.To / Double / Float, loading states across dtypes,
/// optimizers built before a conversion, checkpoints, and a gradient check of a whole module.</summary>
public class ModuleConversionTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-conv-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    /// <summary>Linear-ReLU-Linear-LayerNorm, the module the gradient check runs over.</summary>
    private static Sequential Mlp(long seed = 1) =>
        new(new Linear(3, 5, generator: new Generator(seed)), new ReLU(), new Linear(5, 4, generator: new Generator(seed + 1)), new LayerNorm(4));

    /// <summary>Parameters held every way a module can hold them: explicit, in a field, in a ParameterList, with buffers.</summary>
    private sealed class Mixed : Module
    {
        public Linear Fc = new(4, 3, generator: new Generator(3));
        public Tensor Scale = Tensor.Full([3], 2.0).RequireGrad();
        public Tensor Frozen = Tensor.Full([3], 0.5).RequireGrad(false);
        public ParameterList Extra = new(Tensor.Ones(3));
        public BatchNorm1d Norm = new(3);
        public Tensor Mask = Tensor.Ones(3);                      // a plain tensor: not registered, not converted
        private readonly Tensor[] _shortcuts;                     // registered tensors held again: updated in place

        public Mixed() => _shortcuts = [Fc.Weight, Scale];

        public Tensor[] Shortcuts => _shortcuts;

        public override Tensor Forward(Tensor input) => Norm.Forward(Fc.Forward(input) * Scale + Frozen + Extra[0]);
    }

    // ---- To / Double / Float ----------------------------------------------------------------------------------------

    [Test]
    public void Double_ConvertsEveryParameterAndBuffer_KeepingNamesValuesAndOrder()
    {
        var model = new Mixed();
        var before = model.StateDict();
        Assert.That(model.Double(), Is.SameAs(model));
        var after = model.StateDict();
        Assert.That(after.Keys, Is.EqualTo(before.Keys));
        foreach (var (name, value) in after)
        {
            // BatchNorm's batch count is Int64 and stays so, as torch's module.double() leaves integer buffers alone
            Assert.That(value.DType, Is.EqualTo(name.EndsWith("num_batches_tracked") ? DType.Int64 : DType.Float64), name);
            Assert.That(value.ToDoubleArray(), Is.EqualTo(before[name].ToDoubleArray()), name);   // float -> double is exact
        }
        Assert.That(model.Parameters().Select(p => p.DType), Is.All.EqualTo(DType.Float64));
    }

    [Test]
    public void Double_KeepsRequiresGradAndFrozenState_AndLabels()
    {
        var model = new Mixed();
        model.Fc.Bias!.RequiresGrad = false;
        model.Double();
        Assert.That(model.Fc.Weight.RequiresGrad, Is.True);
        Assert.That(model.Fc.Bias!.RequiresGrad, Is.False);
        Assert.That(model.Frozen.RequiresGrad, Is.False);
        Assert.That(model.Scale.RequiresGrad, Is.True);
        Assert.That(model.Norm.RunningMean!.RequiresGrad, Is.False);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "Scale", "Frozen", "Fc.weight", "Fc.bias", "Extra.0", "Norm.weight", "Norm.bias" }));
        Assert.That(model.Fc.Weight.Label, Is.EqualTo("Fc.weight[3, 4]"));
        Assert.That(model.Parameters().All(p => p.IsLeaf), Is.True);
    }

    [Test]
    public void Double_ReplacesTheTensors_AndUpdatesFieldsAndListsHoldingThem()
    {
        var model = new Mixed();
        var (oldWeight, oldScale, oldExtra) = (model.Fc.Weight, model.Scale, model.Extra[0]);
        model.Double();
        Assert.That(model.Fc.Weight, Is.Not.SameAs(oldWeight));
        Assert.That(oldWeight.DType, Is.EqualTo(DType.Float32));                        // the old tensor is untouched
        Assert.That(model.Scale.DType, Is.EqualTo(DType.Float64));                       // a field parameter: the field is rewritten
        Assert.That(model.Scale, Is.Not.SameAs(oldScale));
        Assert.That(model.Extra[0].DType, Is.EqualTo(DType.Float64));                    // ParameterList's own list
        Assert.That(model.Extra[0], Is.SameAs(model.Extra.Parameters().Single()));
        Assert.That(model.Extra[0], Is.Not.SameAs(oldExtra));
        Assert.That(model.Shortcuts[0], Is.SameAs(model.Fc.Weight));                     // an array of registered tensors
        Assert.That(model.Shortcuts[1], Is.SameAs(model.Scale));
        Assert.That(model.Mask.DType, Is.EqualTo(DType.Float32));                        // unregistered: left alone, as PyTorch
    }

    [Test]
    public void Double_ThenForward_MatchesTheFloat32ModelToFloatPrecision()
    {
        var model = new Mixed();
        var x = Tensor.Randn([6, 4], seed: 4);
        var y32 = model.Forward(x).ToDoubleArray();
        var fresh = new Mixed();                         // same seeds, so same weights; its running stats are untouched
        fresh.Double();
        var y64 = fresh.Forward(x.To(DType.Float64));
        Assert.That(y64.DType, Is.EqualTo(DType.Float64));
        Assert.That(y64.ToDoubleArray(), Is.EqualTo(y32).Within(1e-5));
        Assert.That(fresh.Norm.NumBatchesTracked!.ItemDouble(), Is.EqualTo(1));
        Assert.That(fresh.Norm.RunningMean!.DType, Is.EqualTo(DType.Float64));
    }

    [Test]
    public void Float_AfterDouble_RestoresTheFloat32ValuesExactly()
    {
        var model = Mlp();
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        model.Double().Float();
        Assert.That(model.Parameters().Select(p => p.DType), Is.All.EqualTo(DType.Float32));
        Assert.That(model.Parameters().Select(p => p.ToArray()), Is.EqualTo(before));
    }

    [Test]
    public void To_TheCurrentDType_ChangesNothing_SoAnEarlierOptimizerStillWorks()
    {
        var model = Mlp();
        var parameters = model.Parameters().ToArray();
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        model.Float();
        model.To(DType.Float32);
        Assert.That(model.Parameters(), Is.EqualTo(parameters).Using<Tensor>(ReferenceEquals));
        model.Forward(Tensor.Randn([2, 3], seed: 5)).Sum().Backward();
        Assert.DoesNotThrow(() => optimizer.Step());
    }

    [Test]
    public void Double_KeepsTiedWeightsTied()
    {
        var a = new Linear(4, 4, generator: new Generator(6));
        var b = new Linear(4, 4, generator: new Generator(7)) { Weight = a.Weight };
        var model = new Sequential(a, b);
        model.Double();
        Assert.That(b.Weight, Is.SameAs(a.Weight));
        Assert.That(a.Weight.DType, Is.EqualTo(DType.Float64));
        Assert.That(model.Parameters().Count(), Is.EqualTo(3));
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias" }));
    }

    [Test]
    public void Double_ConvertsGradients_Too()
    {
        var model = Mlp();
        model.Forward(Tensor.Randn([2, 3], seed: 8)).Pow(2).Sum().Backward();
        var grad = model.Parameters().First().Grad!.ToDoubleArray();
        model.Double();
        var converted = model.Parameters().First().Grad!;
        Assert.That(converted.DType, Is.EqualTo(DType.Float64));
        Assert.That(converted.ToDoubleArray(), Is.EqualTo(grad));
    }

    [Test]
    public void BatchNorm_KeepsItsBatchCountInt64_AndResetsInEitherDType()
    {
        // torch: bn.double().num_batches_tracked.dtype -> torch.int64 (module.to(dtype) casts only floating-point tensors).
        var bn = new BatchNorm2d(2);
        bn.Forward(Tensor.Randn([2, 2, 3, 3], seed: 9));
        var count = bn.NumBatchesTracked!;
        bn.Float();
        Assert.That(bn.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
        bn.Double();
        Assert.That(bn.NumBatchesTracked, Is.SameAs(count));                 // left alone, not replaced by a converted copy
        Assert.That(bn.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
        bn.Forward(Tensor.Randn([2, 2, 3, 3], seed: 10, DType.Float64));
        Assert.That(bn.NumBatchesTracked!.ItemInt64(), Is.EqualTo(2));
        Assert.That(bn.RunningVar!.DType, Is.EqualTo(DType.Float64));
        bn.ResetRunningStats();
        Assert.That(bn.RunningMean!.ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(bn.RunningVar!.ToDoubleArray(), Is.All.EqualTo(1.0));
        Assert.That(bn.NumBatchesTracked!.ItemDouble(), Is.EqualTo(0));
        bn.Float();
        Assert.That(bn.RunningVar!.DType, Is.EqualTo(DType.Float32));
        Assert.That(bn.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void To_OnASubmodule_ConvertsOnlyItsSubtree()
    {
        var model = Mlp();
        ((Linear)model[2]).Double();
        Assert.That(model.NamedParameters().Select(p => $"{p.Name}:{p.Parameter.DType}"),
            Is.EqualTo(new[] { "0.weight:Float32", "0.bias:Float32", "2.weight:Float64", "2.bias:Float64", "3.weight:Float32", "3.bias:Float32" }));
    }

    [Test]
    public void Double_InsideADisposeScope_KeepsTheParametersAfterTheScope()
    {
        var model = Mlp();
        using (Tensor.NewDisposeScope()) model.Double();
        Assert.That(model.Parameters().Select(p => p.IsDisposed), Is.All.False);
        Assert.That(model.Forward(Tensor.Randn([2, 3], seed: 11, DType.Float64)).DType, Is.EqualTo(DType.Float64));
    }

    private sealed class TupleHolder : Module
    {
        public Linear Fc = new(2, 2, generator: new Generator(12));
        private readonly (Tensor Weight, Tensor? Bias) _pair;

        public TupleHolder() => _pair = (Fc.Weight, Fc.Bias);

        public override Tensor Forward(Tensor input) => Functional.Linear(input, _pair.Weight, _pair.Bias);
    }

    [Test]
    public void To_Throws_NamingAFieldThatCannotBeUpdated_AndConvertsNothing()
    {
        var model = new TupleHolder();
        var ex = Assert.Throws<InvalidOperationException>(() => model.Double())!;
        Assert.That(ex.Message, Does.StartWith("Module.To:").And.Contain("'_pair'").And.Contain("Fc.weight").And.Contain("nothing was converted"));
        Assert.That(model.Parameters().Select(p => p.DType), Is.All.EqualTo(DType.Float32));
    }

    [Test]
    public void To_Throws_ForANonFloatingDType() =>
        Assert.That(() => Mlp().To((DType)99), Throws.ArgumentException.With.Message.StartsWith("Module.To:"));

    // ---- optimizers -------------------------------------------------------------------------------------------------

    [Test]
    public void Optimizer_BuiltBeforeDouble_FailsAtStep_NamingTheConversion()
    {
        var model = Mlp();
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        model.Double();
        model.Forward(Tensor.Randn([2, 3], seed: 13, DType.Float64)).Sum().Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => optimizer.Step())!;
        Assert.That(ex.Message, Does.StartWith("Adam:").And.Contain("0.weight").And.Contain("Float64")
            .And.Contain("converted").And.Contain("Build the optimizer after converting"));
    }

    [Test]
    public void Optimizer_BuiltFromAListBeforeDouble_FailsToo()
    {
        var model = Mlp();
        var optimizer = new SGD(model.Parameters().Where(p => p.Rank == 2).ToList(), lr: 0.1);
        model.Double();
        Assert.That(() => optimizer.Step(), Throws.InvalidOperationException.With.Message.Contain("converted"));
    }

    [Test]
    public void Optimizer_BuiltAfterDouble_TrainsInFloat64()
    {
        var model = Mlp().Double();
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        var x = Tensor.Randn([8, 3], seed: 14, DType.Float64);
        var target = Tensor.Randn([8, 4], seed: 15, DType.Float64);
        double first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            optimizer.ZeroGrad();
            var loss = Functional.MseLoss(model.Forward(x), target);
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.ItemDouble();
            last = loss.ItemDouble();
        }
        Assert.That(last, Is.LessThan(first));
        Assert.That(model.Parameters().Select(p => p.DType), Is.All.EqualTo(DType.Float64));
    }

    // ---- state dicts and files --------------------------------------------------------------------------------------

    [Test]
    public void LoadStateDict_Float64StateIntoAFloat64Model_IsBitExact()
    {
        var source = Mlp(1).Double();
        using (Tape.NoGrad())
            foreach (var p in source.Parameters()) p.Copy_(p * 1.0000001);   // values a float could not hold
        var target = Mlp(9).Double();
        target.LoadStateDict(source.StateDict());
        Assert.That(target.Parameters().Select(p => p.ToDoubleArray()), Is.EqualTo(source.Parameters().Select(p => p.ToDoubleArray())));
    }

    [Test]
    public void LoadStateDict_ConvertsDTypes_AsPyTorchsCopy()
    {
        var model32 = Mlp(1);
        var model64 = Mlp(9).Double();
        model64.LoadStateDict(model32.StateDict());                      // float32 -> float64: exact
        Assert.That(model64.Parameters().Select(p => p.DType), Is.All.EqualTo(DType.Float64));
        Assert.That(model64.Parameters().Select(p => p.ToDoubleArray()), Is.EqualTo(model32.Parameters().Select(p => p.ToDoubleArray())));

        var state = model64.StateDict();
        state["0.weight"] = Tensor.Full([5, 3], 0.1, DType.Float64);
        var fresh32 = Mlp(5);
        var weight = fresh32.Parameters().First();
        fresh32.LoadStateDict(state);                                     // float64 -> float32: rounded, in place
        Assert.That(fresh32.Parameters().First(), Is.SameAs(weight));
        Assert.That(weight.DType, Is.EqualTo(DType.Float32));
        Assert.That(weight.ToArray(), Is.All.EqualTo(0.1f));
    }

    [Test]
    public void LoadStateDict_Throws_ForAShapeMismatch_NamingKeyShapesAndDTypes()
    {
        var model = Mlp().Double();
        var state = model.StateDict();
        state["2.bias"] = Tensor.Zeros(3);
        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state))!;
        Assert.That(ex.Message, Does.Contain("'2.bias'").And.Contain("Float64 [4]").And.Contain("Float32 [3]"));
    }

    [Test]
    public void Checkpoint_SaveThenLoad_OfAFloat64Model_RoundTripsBitExact()
    {
        var path = Path.Combine(_dir, "model64.ckpt");
        var model = new Mixed();
        model.Double();
        model.Forward(Tensor.Randn([4, 4], seed: 16, DType.Float64));   // running statistics in float64
        model.Save(path);
        var loaded = new Mixed();
        loaded.Double();
        loaded.Load(path);
        foreach (var ((name, a), (_, b)) in model.StateDict().Zip(loaded.StateDict()))
        {
            Assert.That(b.DType, Is.EqualTo(name.EndsWith("num_batches_tracked") ? DType.Int64 : DType.Float64), name);
            Assert.That(b.ToDoubleArray(), Is.EqualTo(a.ToDoubleArray()), name);
        }
    }

    [Test]
    public void Safetensors_SaveThenLoad_OfAFloat64Model_RoundTripsBitExact_AsF64()
    {
        var path = Path.Combine(_dir, "model64.safetensors");
        var model = Mlp(1).Double();
        using (Tape.NoGrad())
            foreach (var p in model.Parameters()) p.Copy_(p * 1.0000001);
        model.SaveSafetensors(path);
        Assert.That(Safetensors.Load(path).Values.Select(t => t.DType), Is.All.EqualTo(DType.Float64));   // stored as F64
        var loaded = Mlp(9).Double();
        loaded.LoadSafetensors(path);
        Assert.That(loaded.Parameters().Select(p => p.ToDoubleArray()), Is.EqualTo(model.Parameters().Select(p => p.ToDoubleArray())));
    }

    // ---- a gradient check of a whole module -------------------------------------------------------------------------

    [Test]
    public void GradCheck_OverAWholeFloat64Module_WithItsParametersAsInputs()
    {
        // PyTorch twin: torch.autograd.gradcheck(lambda x, *ps: model(x), (x, *model.parameters())) on model.double().
        var model = Mlp(21).Double();
        var x = Tensor.Randn([3, 3], seed: 22, DType.Float64).RequireGrad();
        Tensor[] inputs = [x, .. model.Parameters()];
        Assert.That(inputs.Length, Is.EqualTo(7));
        // The parameters are the model's own tensors: GradCheck perturbs them in place and the model reads them.
        GradCheck.Assert(xs => model.Forward(xs[0]), inputs, "Linear-ReLU-Linear-LayerNorm");
    }

    [Test]
    public void GradCheck_SecondOrder_OverAWholeFloat64Module()
    {
        // PyTorch twin: torch.autograd.gradgradcheck(lambda x, *ps: model(x).sum(), (x, *model.parameters())).
        var model = new Sequential(new Linear(2, 3, generator: new Generator(23)), new Tanh(), new Linear(3, 1, generator: new Generator(24))).Double();
        var x = Tensor.Randn([2, 2], seed: 25, DType.Float64).RequireGrad();
        GradCheck.AssertSecondOrder(xs => model.Forward(xs[0]).Sum(), [x, .. model.Parameters()], "Linear-Tanh-Linear");
    }

    [Test]
    public void GradCheck_OverAFloat32Module_NamesTheFix()
    {
        var model = Mlp(21);
        Tensor[] inputs = [Tensor.Randn([3, 3], seed: 22, DType.Float64), .. model.Parameters()];
        Assert.That(() => GradCheck.Assert(xs => model.Forward(xs[0]), inputs), Throws.ArgumentException.With.Message.Contain("Float64"));
    }
}
