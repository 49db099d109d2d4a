using Autodiff.NN;
using OnnxFile = Autodiff.NN.Onnx;

namespace Autodiff.Tests.Onnx;

/// <summary>The typed ops of <see cref="OnnxExportContext"/> for custom modules: each in a tiny IOnnxExportable module run
/// by ONNX Runtime at batches 3 and 5 against the same ops of ours, and each refusing bad arguments with the op and the
/// shapes named.</summary>
public class OnnxExportOpsTests
{
    /// <summary>A module whose forward is <paramref name="forward"/> and whose export is <paramref name="export"/>.</summary>
    private sealed class OpModule(string name, Func<OnnxExportContext, OnnxValue, OnnxValue> export, Func<Tensor, Tensor> forward) : Module, IOnnxExportable
    {
        public override Tensor Forward(Tensor input) => forward(input);

        public string ExportOnnx(OnnxExportContext context, string input, Tensor sample) => export(context, new OnnxValue(input, sample)).Name;

        public override string Describe() => name;
    }

    private static readonly Tensor W = Tensor.Randn([6, 3], seed: 51), Row = Tensor.Randn([6], seed: 52), Table = Tensor.Randn([10, 6], seed: 53);
    private static readonly Tensor Mask = Tensor.Rand([4, 6], seed: 54) > 0.5, AttnMask = Tensor.Rand([4, 4], seed: 55) > 0.3;
    private static readonly Tensor FloatMask = Tensor.Randn([4, 4], seed: 56);

    private static TestCaseData Case(string name, Func<OnnxExportContext, OnnxValue, OnnxValue> export, Func<Tensor, Tensor> forward) =>
        new TestCaseData(new OpModule(name, export, forward)).SetArgDisplayNames(name);

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("MatMul", (c, x) => c.MatMul(x, c.Value(W)), x => Autodiff.Ops.MatMul(x, W));
        yield return Case("Add", (c, x) => c.Add(x, c.Value(Row)), x => x + Row);
        yield return Case("Sub_Exp", (c, x) => c.Sub(x, c.Exp(x)), x => x - Autodiff.Ops.Exp(x));
        yield return Case("Mul_Scalar", (c, x) => c.Mul(c.Add(x, 0.5), -2.0), x => (x + 0.5) * -2.0);
        yield return Case("Div", (c, x) => c.Div(x, c.Add(c.Mul(x, x), 1.0)), x => x / (x * x + 1));
        yield return Case("Div_Sub_Scalar", (c, x) => c.Sub(c.Div(x, 4.0), 1.0), x => x / 4.0 - 1);
        yield return Case("Pow", (c, x) => c.Pow(x, 3), x => Autodiff.Ops.Pow(x, 3));
        yield return Case("Neg", (c, x) => c.Neg(x), x => Autodiff.Ops.Neg(x));
        yield return Case("Log_Sqrt", (c, x) => c.Add(c.Log(c.Add(c.Mul(x, x), 1.0)), c.Sqrt(c.Add(c.Mul(x, x), 0.5))),
            x => Autodiff.Ops.Log(x * x + 1) + Autodiff.Ops.Sqrt(x * x + 0.5));
        yield return Case("Cat_Last", (c, x) => c.Cat([x, c.Neg(x)], -1), x => Autodiff.Ops.Cat([x, Autodiff.Ops.Neg(x)], -1));
        yield return Case("Cat_Dim1", (c, x) => c.Cat([x, x, c.Exp(x)], 1), x => Autodiff.Ops.Cat([x, x, Autodiff.Ops.Exp(x)], 1));
        yield return Case("Slice_Negative", (c, x) => c.Slice(x, -1, 1, -1), x => Autodiff.Ops.Slice(x, -1, 1, -1));
        yield return Case("Slice_Clamped", (c, x) => c.Slice(x, 1, 2, 100), x => Autodiff.Ops.Slice(x, 1, 2, 100));
        yield return Case("Narrow", (c, x) => c.Narrow(x, 2, 1, 3), x => Autodiff.Ops.Slice(x, 2, 1, 4));
        yield return Case("Narrow_NegativeStart", (c, x) => c.Narrow(x, -2, -3, 2), x => Autodiff.Ops.Slice(x, 1, 1, 3));
        yield return Case("Permute", (c, x) => c.Permute(x, 0, -1, 1), x => Autodiff.Ops.Permute(x, 0, 2, 1));
        yield return Case("Transpose", (c, x) => c.Transpose(x, -1, -2), x => Autodiff.Ops.Transpose(x, 2, 1));
        yield return Case("Reshape_KeepsBatch", (c, x) => c.Reshape(x, x.Sample.Shape[0], 2, 12), x => Autodiff.Ops.Reshape(x, x.Shape[0], 2, 12));
        yield return Case("View_Infer", (c, x) => c.View(x, x.Sample.Shape[0], 4, -1, 3), x => Autodiff.Ops.Reshape(x, x.Shape[0], 4, 2, 3));
        yield return Case("Unsqueeze_Squeeze", (c, x) => c.Squeeze(c.Unsqueeze(c.Exp(x), -1), 3), x => Autodiff.Ops.Exp(x));
        yield return Case("Unsqueeze_Middle", (c, x) => c.Unsqueeze(x, 1), x => Autodiff.Ops.Unsqueeze(x, 1));
        yield return Case("Squeeze_NotOne", (c, x) => c.Squeeze(x, 1), x => Autodiff.Ops.Squeeze(x, 1));
        yield return Case("Sum_Last", (c, x) => c.Sum(x, [-1]), x => Autodiff.Ops.Sum(x, -1));
        yield return Case("Sum_TwoDims_KeepDim", (c, x) => c.Sum(x, [2, 1], keepDim: true), x => Autodiff.Ops.Sum(Autodiff.Ops.Sum(x, 2, true), 1, true));
        yield return Case("Mean_Dim1", (c, x) => c.Mean(x, [1]), x => Autodiff.Ops.Mean(x, 1));
        yield return Case("Mean_TwoDims", (c, x) => c.Mean(x, [-1, 1]), x => Autodiff.Ops.Mean(Autodiff.Ops.Mean(x, 2), 1));
        yield return Case("Softmax", (c, x) => c.Softmax(x, 1), x => Autodiff.Ops.Softmax(x, 1));
        yield return Case("Where", (c, x) => c.Where(c.Value(Mask), x, c.Neg(x)), x => Autodiff.Ops.Where(Mask, x, Autodiff.Ops.Neg(x)));
        yield return Case("MaskedFill", (c, x) => c.MaskedFill(x, c.Value(Mask), -1.5), x => Autodiff.Ops.MaskedFill(x, Mask, -1.5));
        yield return Case("Sdpa", (c, x) => c.ScaledDotProductAttention(x, x, x), x => Autodiff.Ops.ScaledDotProductAttention(x, x, x));
        yield return Case("Sdpa_Causal", (c, x) => c.ScaledDotProductAttention(c.Exp(x), x, x, isCausal: true),
            x => Autodiff.Ops.ScaledDotProductAttention(Autodiff.Ops.Exp(x), x, x, isCausal: true));
        yield return Case("Sdpa_BoolMask_Scale", (c, x) => c.ScaledDotProductAttention(x, x, x, c.Value(AttnMask), scale: 0.3),
            x => Autodiff.Ops.ScaledDotProductAttention(x, x, x, AttnMask, scale: 0.3));
        yield return Case("Sdpa_FloatMask", (c, x) => c.ScaledDotProductAttention(x, x, x, c.Value(FloatMask)),
            x => Autodiff.Ops.ScaledDotProductAttention(x, x, x, FloatMask));
        yield return Case("Arange_IndexSelect", (c, x) => c.Add(x, c.IndexSelect(c.Value(Table), 0, c.Arange(x, 1))),
            x => x + Autodiff.Ops.IndexSelect(Table, 0, Tensor.Arange(4, DType.Int64)));
    }

    [TestCaseSource(nameof(Cases))]
    public void ContextOp_InACustomModule_MatchesOnnxRuntime(Module module) =>
        OnnxExportTests.AssertMatchesOnnxRuntime(module, batch => Tensor.Randn([batch, 4, 6], seed: 60 + batch));

    private static IEnumerable<TestCaseData> Refusals()
    {
        TestCaseData Refusal(string op, Func<OnnxExportContext, OnnxValue, OnnxValue> export, params string[] shapes) =>
            new TestCaseData(op, export, shapes).SetArgDisplayNames(op);
        yield return Refusal("MatMul", (c, x) => c.MatMul(x, c.Value(Tensor.Randn(5, 3))), "[2, 4, 6]", "[5, 3]");
        yield return Refusal("Add", (c, x) => c.Add(x, c.Value(Tensor.Randn(5))), "[2, 4, 6]", "[5]");
        yield return Refusal("Add", (c, x) => c.Add(c.Value(Tensor.FromArray(new long[] { 1 }, 1)), 2.0), "Int64");
        yield return Refusal("Cat", (c, x) => c.Cat([x, c.Value(Tensor.Randn(2, 3, 5))], 1), "[2, 4, 6]", "[2, 3, 5]");
        yield return Refusal("Slice", (c, x) => c.Slice(x, 3, 0, 1), "[2, 4, 6]");
        yield return Refusal("Narrow", (c, x) => c.Narrow(x, 2, 5, 3), "[2, 4, 6]");
        yield return Refusal("Permute", (c, x) => c.Permute(x, 0, 1), "[2, 4, 6]");
        yield return Refusal("Transpose", (c, x) => c.Transpose(x, 0, 3), "[2, 4, 6]");
        yield return Refusal("Reshape", (c, x) => c.Reshape(x, 5, 5), "[2, 4, 6]");
        yield return Refusal("Unsqueeze", (c, x) => c.Unsqueeze(x, 5), "[2, 4, 6]");
        yield return Refusal("Sum", (c, x) => c.Sum(x, [1, -2]), "[2, 4, 6]");
        yield return Refusal("Mean", (c, x) => c.Mean(x, [3]), "[2, 4, 6]");
        yield return Refusal("Softmax", (c, x) => c.Softmax(x, 3), "[2, 4, 6]");
        yield return Refusal("Where", (c, x) => c.Where(x, x, x), "[2, 4, 6]");
        yield return Refusal("MaskedFill", (c, x) => c.MaskedFill(x, x, 0), "[2, 4, 6]");
        yield return Refusal("ScaledDotProductAttention", (c, x) => c.ScaledDotProductAttention(x, x, x, c.Value(AttnMask), isCausal: true), "[2, 4, 6]", "[4, 4]");
        yield return Refusal("ScaledDotProductAttention", (c, x) => c.ScaledDotProductAttention(x, c.Value(Tensor.Randn(2, 4, 5)), x), "[2, 4, 5]");
        yield return Refusal("IndexSelect", (c, x) => c.IndexSelect(c.Value(Table), 0, x), "[10, 6]", "[2, 4, 6]");
        yield return Refusal("Arange", (c, x) => c.Arange(x, -4), "[2, 4, 6]");
    }

    [TestCaseSource(nameof(Refusals))]
    public void ContextOp_ThrowsForBadArguments_NamingTheOpAndShapes(string op, Func<OnnxExportContext, OnnxValue, OnnxValue> export, string[] shapes)
    {
        var module = new OpModule("Bad", export, x => x);
        var e = Assert.Throws<ArgumentException>(() => OnnxFile.ExportToBytes(module, Tensor.Randn(2, 4, 6)));
        Assert.That(e!.Message, Does.Contain(op).And.Contain("(root)"));
        foreach (var shape in shapes) Assert.That(e.Message, Does.Contain(shape));
    }

    private sealed class Unmapped : Module
    {
        public override Tensor Forward(Tensor input) => input * 2;
    }

    private sealed class Wrapper : Module, IOnnxExportable
    {
        private readonly Module _inner;

        public Wrapper(Module inner) => _inner = RegisterModule("inner", inner);

        public override Tensor Forward(Tensor input) => _inner.Forward(input);

        public string ExportOnnx(OnnxExportContext context, string input, Tensor sample) =>
            context.Exp(context.Module(_inner, new OnnxValue(input, sample))).Name;
    }

    [Test]
    public void Export_ThrowsNamingAnUnmappedModule_WithItsPath_WhereverItSits()
    {
        Assert.That(() => OnnxFile.ExportToBytes(new Sequential(new Linear(4, 4), new Sequential(new ReLU(), new Unmapped())), Tensor.Randn(2, 4)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'1.1'").And.Message.Contains("Unmapped").And.Message.Contains("no ONNX mapping"));
        Assert.That(() => OnnxFile.ExportToBytes(new Sequential(new Wrapper(new Unmapped())), Tensor.Randn(2, 4)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'0.inner'"));
        Assert.That(() => OnnxFile.ExportToBytes(new Unmapped(), new OnnxArguments().Input("x", Tensor.Randn(2, 4))),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'(root)'"));
        Assert.That(() => OnnxFile.ExportToBytes(new Sequential(new MultiheadAttention(4, 2)), Tensor.Randn(3, 4)),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("'0'").And.Message.Contains("unbatched"));
    }
}
