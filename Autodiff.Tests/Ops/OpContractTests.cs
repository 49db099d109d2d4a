using Autodiff;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>The error contract every public op in <see cref="Ops"/> keeps, as two tables: a null tensor (or array)
/// argument throws <see cref="ArgumentNullException"/> naming the op and the argument, and tensors of different dtypes
/// throw <see cref="ArgumentException"/> naming the op and both dtypes. Op-specific errors (shapes, dims, values) stay
/// in each op's own tests.</summary>
/// <remarks>A new op adds one line per tensor argument to <see cref="NullArguments"/>, and one line per pair of tensor
/// arguments that must share a dtype to <see cref="MixedDTypes"/>. Every other argument of a call is valid, so the
/// contract is the only thing that can fail.</remarks>
public class OpContractTests
{
    private static Tensor F32(params int[] shape) => Tensor.Zeros(shape, DType.Float32);
    private static Tensor F64(params int[] shape) => Tensor.Zeros(shape, DType.Float64);

    /// <summary>(op, the argument that is null, the call as it reads, the call).</summary>
    private static TestCaseData Null(string op, string argument, string call, TestDelegate code) =>
        new TestCaseData(op, argument, code).SetArgDisplayNames(call);

    /// <summary>(op, the call as it reads, the call with one Float32 and one Float64 tensor).</summary>
    private static TestCaseData Mixed(string op, string call, TestDelegate code) =>
        new TestCaseData(op, code).SetArgDisplayNames(call);

    public static IEnumerable<TestCaseData> NullArguments() =>
    [
        // element-wise, one input
        Null("Abs", "x", "Abs(null)", () => Ops.Abs(null!)),
        Null("Erf", "x", "Erf(null)", () => Ops.Erf(null!)),
        Null("Exp", "x", "Exp(null)", () => Ops.Exp(null!)),
        Null("Bernoulli", "probabilities", "Bernoulli(null)", () => Ops.Bernoulli(null!)),
        Null("Log", "x", "Log(null)", () => Ops.Log(null!)),
        Null("Log1p", "x", "Log1p(null)", () => Ops.Log1p(null!)),
        Null("Neg", "x", "Neg(null)", () => Ops.Neg(null!)),
        Null("Sqrt", "x", "Sqrt(null)", () => Ops.Sqrt(null!)),
        Null("Relu", "x", "Relu(null)", () => Ops.Relu(null!)),
        Null("Sigmoid", "x", "Sigmoid(null)", () => Ops.Sigmoid(null!)),
        Null("Tanh", "x", "Tanh(null)", () => Ops.Tanh(null!)),
        Null("Gelu", "x", "Gelu(null)", () => Ops.Gelu(null!)),
        Null("LeakyRelu", "x", "LeakyRelu(null)", () => Ops.LeakyRelu(null!)),
        Null("Softplus", "x", "Softplus(null)", () => Ops.Softplus(null!)),
        Null("Clamp", "x", "Clamp(null, 0, 1)", () => Ops.Clamp(null!, 0, 1)),
        Null("Pow", "x", "Pow(null, 2)", () => Ops.Pow(null!, 2)),
        Null("To", "x", "To(null, Float64)", () => Ops.To(null!, DType.Float64)),
        Null("Sin", "x", "Sin(null)", () => Ops.Sin(null!)),
        Null("Cos", "x", "Cos(null)", () => Ops.Cos(null!)),
        Null("Square", "x", "Square(null)", () => Ops.Square(null!)),
        Null("Rsqrt", "x", "Rsqrt(null)", () => Ops.Rsqrt(null!)),
        Null("Silu", "x", "Silu(null)", () => Ops.Silu(null!)),
        Null("Mish", "x", "Mish(null)", () => Ops.Mish(null!)),
        Null("Tril", "x", "Tril(null)", () => Ops.Tril(null!)),
        Null("Triu", "x", "Triu(null)", () => Ops.Triu(null!)),
        Null("MaskedFill", "x", "MaskedFill(null, mask, 0)", () => Ops.MaskedFill(null!, F32(2), 0)),
        Null("MaskedFill", "mask", "MaskedFill(x, null, 0)", () => Ops.MaskedFill(F32(2), null!, 0)),
        Null("OneHot", "indices", "OneHot(null, 2)", () => Ops.OneHot(null!, 2)),

        // element-wise, two or three inputs
        Null("Add", "a", "Add(null, b)", () => Ops.Add(null!, F32(2))),
        Null("Add", "b", "Add(a, null)", () => Ops.Add(F32(2), null!)),
        Null("Sub", "a", "Sub(null, b)", () => Ops.Sub(null!, F32(2))),
        Null("Sub", "b", "Sub(a, null)", () => Ops.Sub(F32(2), null!)),
        Null("Mul", "a", "Mul(null, b)", () => Ops.Mul(null!, F32(2))),
        Null("Mul", "b", "Mul(a, null)", () => Ops.Mul(F32(2), null!)),
        Null("Div", "a", "Div(null, b)", () => Ops.Div(null!, F32(2))),
        Null("Div", "b", "Div(a, null)", () => Ops.Div(F32(2), null!)),
        Null("Maximum", "a", "Maximum(null, b)", () => Ops.Maximum(null!, F32(2))),
        Null("Maximum", "b", "Maximum(a, null)", () => Ops.Maximum(F32(2), null!)),
        Null("Minimum", "a", "Minimum(null, b)", () => Ops.Minimum(null!, F32(2))),
        Null("Minimum", "b", "Minimum(a, null)", () => Ops.Minimum(F32(2), null!)),
        Null("Where", "condition", "Where(null, a, b)", () => Ops.Where(null!, F32(2), F32(2))),
        Null("Where", "a", "Where(condition, null, b)", () => Ops.Where(F32(2), null!, F32(2))),
        Null("Where", "b", "Where(condition, a, null)", () => Ops.Where(F32(2), F32(2), null!)),

        // products
        Null("MatMul", "a", "MatMul(null, b)", () => Ops.MatMul(null!, F32(2, 2))),
        Null("MatMul", "b", "MatMul(a, null)", () => Ops.MatMul(F32(2, 2), null!)),
        Null("Linear", "x", "Linear(null, weight)", () => Ops.Linear(null!, F32(3, 4))),
        Null("Linear", "weight", "Linear(x, null)", () => Ops.Linear(F32(2, 4), null!)),
        Null("ScaledDotProductAttention", "query", "ScaledDotProductAttention(null, k, v)",
            () => Ops.ScaledDotProductAttention(null!, F32(3, 4), F32(3, 2))),
        Null("ScaledDotProductAttention", "key", "ScaledDotProductAttention(q, null, v)",
            () => Ops.ScaledDotProductAttention(F32(2, 4), null!, F32(3, 2))),
        Null("ScaledDotProductAttention", "value", "ScaledDotProductAttention(q, k, null)",
            () => Ops.ScaledDotProductAttention(F32(2, 4), F32(3, 4), null!)),
        Null("LstmCell", "gates", "LstmCell(null, c)", () => Ops.LstmCell(null!, F32(2, 3))),
        Null("LstmCell", "c", "LstmCell(gates, null)", () => Ops.LstmCell(F32(2, 12), null!)),
        Null("GruCell", "gi", "GruCell(null, gh, h)", () => Ops.GruCell(null!, F32(2, 9), F32(2, 3))),
        Null("GruCell", "gh", "GruCell(gi, null, h)", () => Ops.GruCell(F32(2, 9), null!, F32(2, 3))),
        Null("GruCell", "h", "GruCell(gi, gh, null)", () => Ops.GruCell(F32(2, 9), F32(2, 9), null!)),
        Null("Einsum", "equation", "Einsum(null, a)", () => Ops.Einsum(null!, F32(2))),
        Null("Einsum", "operands", "Einsum(\"i\", null)", () => Ops.Einsum("i", null!)),
        Null("Einsum", "operands[0]", "Einsum(\"i,i\", null, b)", () => Ops.Einsum("i,i", null!, F32(2))),
        Null("Einsum", "operands[1]", "Einsum(\"i,i\", a, null)", () => Ops.Einsum("i,i", F32(2), null!)),
        Null("Conv2d", "input", "Conv2d(null, weight)", () => Ops.Conv2d(null!, F32(1, 1, 2, 2))),
        Null("Conv2d", "weight", "Conv2d(input, null)", () => Ops.Conv2d(F32(1, 1, 3, 3), null!)),
        Null("Conv2d", "input", "Conv2d(null, weight, bias, (1, 1), (0, 0), (1, 1))",
            () => Ops.Conv2d(null!, F32(1, 1, 2, 2), null, (1, 1), (0, 0), (1, 1))),
        Null("Conv2d", "weight", "Conv2d(input, null, bias, (1, 1), (0, 0), (1, 1))",
            () => Ops.Conv2d(F32(1, 1, 3, 3), null!, null, (1, 1), (0, 0), (1, 1))),

        // reductions
        Null("Sum", "x", "Sum(null)", () => Ops.Sum(null!)),
        Null("Sum", "x", "Sum(null, 0)", () => Ops.Sum(null!, 0)),
        Null("Mean", "x", "Mean(null)", () => Ops.Mean(null!)),
        Null("Mean", "x", "Mean(null, 0)", () => Ops.Mean(null!, 0)),
        Null("Max", "x", "Max(null)", () => Ops.Max(null!)),
        Null("Max", "x", "Max(null, 0)", () => Ops.Max(null!, 0)),
        Null("Min", "x", "Min(null)", () => Ops.Min(null!)),
        Null("Min", "x", "Min(null, 0)", () => Ops.Min(null!, 0)),
        Null("Argmax", "x", "Argmax(null, 0)", () => Ops.Argmax(null!, 0)),
        Null("TopK", "x", "TopK(null, 1)", () => Ops.TopK(null!, 1)),
        Null("Sort", "x", "Sort(null)", () => Ops.Sort(null!)),
        Null("ArgSort", "x", "ArgSort(null)", () => Ops.ArgSort(null!)),
        Null("Multinomial", "probabilities", "Multinomial(null, 1)", () => Ops.Multinomial(null!, 1)),
        Null("ArgmaxIndices", "x", "ArgmaxIndices(null, 0)", () => Ops.ArgmaxIndices(null!, 0)),
        Null("Softmax", "x", "Softmax(null, 0)", () => Ops.Softmax(null!, 0)),
        Null("LogSoftmax", "x", "LogSoftmax(null, 0)", () => Ops.LogSoftmax(null!, 0)),
        Null("LogSumExp", "x", "LogSumExp(null, 0)", () => Ops.LogSumExp(null!, 0)),
        Null("Var", "x", "Var(null)", () => Ops.Var(null!)),
        Null("Std", "x", "Std(null, 0)", () => Ops.Std(null!, 0)),
        Null("Norm", "x", "Norm(null)", () => Ops.Norm(null!)),
        Null("CumSum", "x", "CumSum(null, 0)", () => Ops.CumSum(null!, 0)),
        Null("SumToSize", "x", "SumToSize(null, 1)", () => Ops.SumToSize(null!, 1)),
        Null("SumToSize", "size", "SumToSize(x, null)", () => Ops.SumToSize(F32(2), null!)),

        // shapes and indexing
        Null("Reshape", "x", "Reshape(null, 2)", () => Ops.Reshape(null!, 2)),
        Null("Reshape", "shape", "Reshape(x, null)", () => Ops.Reshape(F32(2), null!)),
        Null("Flatten", "x", "Flatten(null)", () => Ops.Flatten(null!)),
        Null("Unsqueeze", "x", "Unsqueeze(null, 0)", () => Ops.Unsqueeze(null!, 0)),
        Null("Squeeze", "x", "Squeeze(null)", () => Ops.Squeeze(null!)),
        Null("Squeeze", "x", "Squeeze(null, 0)", () => Ops.Squeeze(null!, 0)),
        Null("Expand", "x", "Expand(null, 2)", () => Ops.Expand(null!, 2)),
        Null("Expand", "shape", "Expand(x, null)", () => Ops.Expand(F32(1), null!)),
        Null("Transpose", "x", "Transpose(null, 0, 1)", () => Ops.Transpose(null!, 0, 1)),
        Null("Permute", "x", "Permute(null, 0)", () => Ops.Permute(null!, 0)),
        Null("Permute", "dims", "Permute(x, null)", () => Ops.Permute(F32(2), null!)),
        Null("Slice", "x", "Slice(null, 0, 0, 1)", () => Ops.Slice(null!, 0, 0, 1)),
        Null("Select", "x", "Select(null, 0, 0)", () => Ops.Select(null!, 0, 0)),
        Null("IndexSelect", "x", "IndexSelect(null, 0, [0])", () => Ops.IndexSelect(null!, 0, [0])),
        Null("IndexSelect", "indices", "IndexSelect(x, 0, (int[])null)", () => Ops.IndexSelect(F32(2), 0, (int[])null!)),
        Null("IndexSelect", "index", "IndexSelect(x, 0, (Tensor)null)", () => Ops.IndexSelect(F32(2), 0, (Tensor)null!)),
        Null("Gather", "x", "Gather(null, 0, index)", () => Ops.Gather(null!, 0, I64(2))),
        Null("Gather", "index", "Gather(x, 0, null)", () => Ops.Gather(F32(2), 0, null!)),
        Null("ScatterAdd", "x", "ScatterAdd(null, 0, index, src)", () => Ops.ScatterAdd(null!, 0, I64(2), F32(2))),
        Null("ScatterAdd", "index", "ScatterAdd(x, 0, null, src)", () => Ops.ScatterAdd(F32(2), 0, null!, F32(2))),
        Null("ScatterAdd", "src", "ScatterAdd(x, 0, index, null)", () => Ops.ScatterAdd(F32(2), 0, I64(2), null!)),
        Null("Scatter", "x", "Scatter(null, 0, index, src)", () => Ops.Scatter(null!, 0, I64(2), F32(2))),
        Null("Scatter", "index", "Scatter(x, 0, null, src)", () => Ops.Scatter(F32(2), 0, null!, F32(2))),
        Null("Scatter", "src", "Scatter(x, 0, index, null)", () => Ops.Scatter(F32(2), 0, I64(2), null!)),
        Null("Cat", "tensors", "Cat(null)", () => Ops.Cat(null!)),
        Null("Cat", "tensors[1]", "Cat([x, null])", () => Ops.Cat([F32(2), null!])),
        Null("Stack", "tensors", "Stack(null)", () => Ops.Stack(null!)),
        Null("Stack", "tensors[1]", "Stack([x, null])", () => Ops.Stack([F32(2), null!])),
        Null("Embedding", "indices", "Embedding(null, weight)", () => Ops.Embedding(null!, F32(3, 2))),
        Null("Embedding", "weight", "Embedding(indices, null)", () => Ops.Embedding([0], null!)),
        Null("Embedding", "shape", "Embedding(indices, null, weight)", () => Ops.Embedding([0], null!, F32(3, 2))),

        // comparisons and logic (Bool results)
        Null("Eq", "input", "Eq(null, other)", () => Ops.Eq(null!, F32(2))),
        Null("Eq", "other", "Eq(input, null)", () => Ops.Eq(F32(2), null!)),
        Null("Eq", "input", "Eq(null, 0.5)", () => Ops.Eq(null!, 0.5)),
        Null("Ne", "input", "Ne(null, other)", () => Ops.Ne(null!, F32(2))),
        Null("Ne", "other", "Ne(input, null)", () => Ops.Ne(F32(2), null!)),
        Null("Ne", "input", "Ne(null, 0.5)", () => Ops.Ne(null!, 0.5)),
        Null("Lt", "input", "Lt(null, other)", () => Ops.Lt(null!, F32(2))),
        Null("Lt", "other", "Lt(input, null)", () => Ops.Lt(F32(2), null!)),
        Null("Lt", "input", "Lt(null, 0.5)", () => Ops.Lt(null!, 0.5)),
        Null("Le", "input", "Le(null, other)", () => Ops.Le(null!, F32(2))),
        Null("Le", "other", "Le(input, null)", () => Ops.Le(F32(2), null!)),
        Null("Le", "input", "Le(null, 0.5)", () => Ops.Le(null!, 0.5)),
        Null("Gt", "input", "Gt(null, other)", () => Ops.Gt(null!, F32(2))),
        Null("Gt", "other", "Gt(input, null)", () => Ops.Gt(F32(2), null!)),
        Null("Gt", "input", "Gt(null, 0.5)", () => Ops.Gt(null!, 0.5)),
        Null("Ge", "input", "Ge(null, other)", () => Ops.Ge(null!, F32(2))),
        Null("Ge", "other", "Ge(input, null)", () => Ops.Ge(F32(2), null!)),
        Null("Ge", "input", "Ge(null, 0.5)", () => Ops.Ge(null!, 0.5)),
        Null("LogicalAnd", "input", "LogicalAnd(null, other)", () => Ops.LogicalAnd(null!, F32(2))),
        Null("LogicalAnd", "other", "LogicalAnd(input, null)", () => Ops.LogicalAnd(F32(2), null!)),
        Null("LogicalOr", "input", "LogicalOr(null, other)", () => Ops.LogicalOr(null!, F32(2))),
        Null("LogicalOr", "other", "LogicalOr(input, null)", () => Ops.LogicalOr(F32(2), null!)),
        Null("LogicalNot", "input", "LogicalNot(null)", () => Ops.LogicalNot(null!)),

        // pooling and normalization
        Null("MaxPool2d", "input", "MaxPool2d(null, 2)", () => Ops.MaxPool2d(null!, 2)),
        Null("AvgPool2d", "input", "AvgPool2d(null, 2)", () => Ops.AvgPool2d(null!, 2)),
        Null("AdaptiveAvgPool2d", "input", "AdaptiveAvgPool2d(null, 1)", () => Ops.AdaptiveAvgPool2d(null!, 1)),
        Null("AdaptiveAvgPool2d", "input", "AdaptiveAvgPool2d(null, (1, 1))", () => Ops.AdaptiveAvgPool2d(null!, (1, 1))),
        Null("BatchNorm", "input", "BatchNorm(null, runningMean, runningVar)", () => Ops.BatchNorm(null!, F32(3), F32(3))),
        Null("LayerNorm", "input", "LayerNorm(null, [3])", () => Ops.LayerNorm(null!, [3])),
        Null("LayerNorm", "normalizedShape", "LayerNorm(input, null)", () => Ops.LayerNorm(F32(2, 3), null!)),

        // losses
        Null("NllLoss", "logProbabilities", "NllLoss(null, targets)", () => Ops.NllLoss(null!, [0])),
        Null("NllLoss", "targets", "NllLoss(logProbabilities, null)", () => Ops.NllLoss(F32(1, 2), null!)),
        Null("SoftmaxCrossEntropy", "logits", "SoftmaxCrossEntropy(null, targets)", () => Ops.SoftmaxCrossEntropy(null!, [0])),
        Null("SoftmaxCrossEntropy", "targets", "SoftmaxCrossEntropy(logits, null)", () => Ops.SoftmaxCrossEntropy(F32(1, 2), null!)),
        Null("NllLoss", "logProbabilities", "NllLoss(null, targets, weight)", () => Ops.NllLoss(null!, [0], F32(2))),
        Null("SoftmaxCrossEntropy", "logits", "SoftmaxCrossEntropy(null, targets, weight)", () => Ops.SoftmaxCrossEntropy(null!, [0], F32(2))),
        Null("BinaryCrossEntropyWithLogits", "logits", "BinaryCrossEntropyWithLogits(null, targets)",
            () => Ops.BinaryCrossEntropyWithLogits(null!, F32(1))),
        Null("BinaryCrossEntropyWithLogits", "targets", "BinaryCrossEntropyWithLogits(logits, null)",
            () => Ops.BinaryCrossEntropyWithLogits(F32(1), null!)),
    ];

    public static IEnumerable<TestCaseData> MixedDTypes() =>
    [
        Mixed("Add", "Add(f32, f64)", () => Ops.Add(F32(2, 3), F64(2, 3))),
        Mixed("Sub", "Sub(f32, f64)", () => Ops.Sub(F32(3), F64(3))),
        Mixed("Mul", "Mul(f32, f64)", () => Ops.Mul(F32(3), F64(3))),
        Mixed("Div", "Div(f32, f64)", () => Ops.Div(F32(3), F64(3))),
        Mixed("Maximum", "Maximum(f32, f64)", () => Ops.Maximum(F32(3), F64(3))),
        Mixed("Minimum", "Minimum(f64, f32)", () => Ops.Minimum(F64(3), F32(3))),
        Mixed("ScatterAdd", "ScatterAdd(f32, 0, index, f64)", () => Ops.ScatterAdd(F32(2), 0, I64(2), F64(2))),
        Mixed("Scatter", "Scatter(f32, 0, index, f64)", () => Ops.Scatter(F32(2), 0, I64(2), F64(2))),
        Mixed("Where", "Where(f32, f32, f64)", () => Ops.Where(F32(3), F32(3), F64(3))),
        Mixed("Where", "Where(f64 condition, f32, f32)", () => Ops.Where(F64(3), F32(3), F32(3))),
        Mixed("MaskedFill", "MaskedFill(f32, f64 mask, 0)", () => Ops.MaskedFill(F32(3), F64(3), 0)),
        Mixed("MatMul", "MatMul(f32, f64)", () => Ops.MatMul(F32(2, 2), F64(2, 2))),
        Mixed("ScaledDotProductAttention", "ScaledDotProductAttention(f32, f64, f32)",
            () => Ops.ScaledDotProductAttention(F32(2, 4), F64(3, 4), F32(3, 2))),
        Mixed("ScaledDotProductAttention", "ScaledDotProductAttention(f32, f32, f64)",
            () => Ops.ScaledDotProductAttention(F32(2, 4), F32(3, 4), F64(3, 2))),
        Mixed("Einsum", "Einsum(\"ij,jk\", f32, f64)", () => Ops.Einsum("ij,jk", F32(2, 2), F64(2, 2))),
        Mixed("Linear", "Linear(f32, f64 weight)", () => Ops.Linear(F32(2, 4), F64(3, 4))),
        Mixed("Linear", "Linear(f32, f32, f64 bias)", () => Ops.Linear(F32(2, 4), F32(3, 4), F64(3))),
        Mixed("LstmCell", "LstmCell(f32, f64 c)", () => Ops.LstmCell(F32(2, 12), F64(2, 3))),
        Mixed("GruCell", "GruCell(f32, f32, f64 h)", () => Ops.GruCell(F32(2, 9), F32(2, 9), F64(2, 3))),
        Mixed("GruCell", "GruCell(f32, f64 gh, f32)", () => Ops.GruCell(F32(2, 9), F64(2, 9), F32(2, 3))),
        Mixed("Conv2d", "Conv2d(f32, f64 weight)", () => Ops.Conv2d(F32(1, 1, 3, 3), F64(1, 1, 2, 2))),
        Mixed("Conv2d", "Conv2d(f32, f32, f64 bias)", () => Ops.Conv2d(F32(1, 1, 3, 3), F32(1, 1, 2, 2), F64(1))),
        Mixed("BatchNorm", "BatchNorm(f32, f64 runningMean, f32)", () => Ops.BatchNorm(F32(2, 3), F64(3), F32(3))),
        Mixed("BatchNorm", "BatchNorm(f32, f32, f64 runningVar)", () => Ops.BatchNorm(F32(2, 3), F32(3), F64(3))),
        Mixed("BatchNorm", "BatchNorm(f32, f32, f32, f64 weight)", () => Ops.BatchNorm(F32(2, 3), F32(3), F32(3), weight: F64(3))),
        Mixed("BatchNorm", "BatchNorm(f32, f32, f32, f32, f64 bias)", () => Ops.BatchNorm(F32(2, 3), F32(3), F32(3), F32(3), F64(3))),
        Mixed("LayerNorm", "LayerNorm(f32, [3], f64 weight)", () => Ops.LayerNorm(F32(2, 3), [3], F64(3))),
        Mixed("LayerNorm", "LayerNorm(f32, [3], f32, f64 bias)", () => Ops.LayerNorm(F32(2, 3), [3], F32(3), F64(3))),
        Mixed("Cat", "Cat([f32, f64])", () => Ops.Cat([F32(2, 3), F64(2, 3)])),
        Mixed("Stack", "Stack([f32, f64])", () => Ops.Stack([F32(2, 3), F64(2, 3)])),
        Mixed("BinaryCrossEntropyWithLogits", "BinaryCrossEntropyWithLogits(f32, f64)",
            () => Ops.BinaryCrossEntropyWithLogits(F32(2), F64(2))),
    ];

    private static Tensor I64(params int[] shape) => Tensor.Zeros(shape, DType.Int64);
    private static Tensor B8(params int[] shape) => Tensor.Zeros(shape, DType.Bool);

    /// <summary>(op, the call as it reads, the call with an Int64 or Bool tensor where a floating-point one is needed).</summary>
    private static TestCaseData NonFloat(string op, string dtype, string call, TestDelegate code) =>
        new TestCaseData(op, dtype, code).SetArgDisplayNames(call);

    /// <summary>The floating-point ops refuse Int64 and Bool tensors, naming the op and the dtype: through the common checks
    /// (Check.NotNull for one input, Check.Broadcast for element-wise pairs, Check.SameDType for the rest).</summary>
    public static IEnumerable<TestCaseData> NonFloatingInputs() =>
    [
        NonFloat("Exp", "Int64", "Exp(i64)", () => Ops.Exp(I64(3))),
        NonFloat("Relu", "Bool", "Relu(bool)", () => Ops.Relu(B8(3))),
        NonFloat("Mean", "Int64", "Mean(i64)", () => Ops.Mean(I64(3))),
        NonFloat("Mean", "Bool", "Mean(bool, 0)", () => Ops.Mean(B8(3), 0)),
        NonFloat("Softmax", "Int64", "Softmax(i64, 0)", () => Ops.Softmax(I64(3), 0)),
        NonFloat("Var", "Int64", "Var(i64)", () => Ops.Var(I64(3))),
        NonFloat("Maximum", "Int64", "Maximum(f32, i64)", () => Ops.Maximum(F32(3), I64(3))),
        NonFloat("Pow", "Int64", "Pow(i64, 2)", () => Ops.Pow(I64(3), 2)),
        NonFloat("MatMul", "Int64", "MatMul(i64, i64)", () => Ops.MatMul(I64(2, 2), I64(2, 2))),
        NonFloat("ScaledDotProductAttention", "Bool", "ScaledDotProductAttention(f32, bool, f32)",
            () => Ops.ScaledDotProductAttention(F32(2, 4), B8(3, 4), F32(3, 2))),
        NonFloat("Linear", "Int64", "Linear(f32, i64 weight)", () => Ops.Linear(F32(2, 4), I64(3, 4))),
        NonFloat("Where", "Int64", "Where(bool, i64, i64)", () => Ops.Where(B8(3), I64(3), I64(3))),
        NonFloat("MaskedFill", "Int64", "MaskedFill(f32, i64 mask, 0)", () => Ops.MaskedFill(F32(3), I64(3), 0)),
        NonFloat("MaskedFill", "Bool", "MaskedFill(bool, bool mask, 0)", () => Ops.MaskedFill(B8(3), B8(3), 0)),
        NonFloat("Cat", "Int64", "Cat([i64, i64])", () => Ops.Cat([I64(2), I64(2)])),
        NonFloat("MaxPool2d", "Int64", "MaxPool2d(i64, 2)", () => Ops.MaxPool2d(I64(1, 1, 2, 2), 2)),
    ];

    /// <summary>(op, the call as it reads, the call, the dtype of its result): ops that take Int64 and Bool tensors as
    /// PyTorch does (Compute.Promotion.cs), with the promoted dtype of the result.</summary>
    private static TestCaseData Promoted(string call, Func<Tensor> code, DType expected) =>
        new TestCaseData(code, expected).SetArgDisplayNames(call);

    public static IEnumerable<TestCaseData> PromotedDTypes() =>
    [
        Promoted("Add(i64, i64)", () => Ops.Add(I64(3), I64(3)), DType.Int64),
        Promoted("Sub(i64, bool)", () => Ops.Sub(I64(3), B8(3)), DType.Int64),
        Promoted("Mul(bool, i64)", () => Ops.Mul(B8(3), I64(2, 3)), DType.Int64),
        Promoted("Div(i64, i64)", () => Ops.Div(I64(3), I64(3)), DType.Float32),
        Promoted("Add(f32, i64)", () => Ops.Add(F32(3), I64(3)), DType.Float32),
        Promoted("Sub(i64, f64)", () => Ops.Sub(I64(3), F64(3)), DType.Float64),
        Promoted("Mul(bool, f64)", () => Ops.Mul(B8(3), F64(3)), DType.Float64),
        Promoted("Div(f32, bool)", () => Ops.Div(F32(3), B8(3)), DType.Float32),
        Promoted("Add(bool, bool)", () => Ops.Add(B8(3), B8(3)), DType.Bool),
        Promoted("Mul(bool, bool)", () => Ops.Mul(B8(3), B8(3)), DType.Bool),
        Promoted("Div(bool, bool)", () => Ops.Div(B8(3), B8(3)), DType.Float32),
        Promoted("i64 + 1", () => I64(3) + 1, DType.Int64),
        Promoted("i64 + 1.0", () => I64(3) + 1.0, DType.Float32),
        Promoted("bool * 2", () => B8(3) * 2, DType.Int64),
        Promoted("i64 / 2", () => I64(3) / 2, DType.Float32),
        Promoted("Neg(i64)", () => Ops.Neg(I64(3)), DType.Int64),
        Promoted("Sum(i64)", () => Ops.Sum(I64(3)), DType.Int64),
        Promoted("Sum(bool, 0)", () => Ops.Sum(B8(3), 0), DType.Int64),
        Promoted("Max(i64)", () => Ops.Max(I64(3)), DType.Int64),
        Promoted("Min(i64, 0)", () => Ops.Min(I64(3), 0), DType.Int64),
        Promoted("Argmax(i64, 0)", () => Ops.Argmax(I64(3), 0), DType.Int64),
        Promoted("TopK(i64, 2).Values", () => Ops.TopK(I64(3), 2).Values, DType.Int64),
        Promoted("Sort(i64).Values", () => Ops.Sort(I64(3)).Values, DType.Int64),
        Promoted("ArgSort(i64)", () => Ops.ArgSort(I64(3)), DType.Int64),
    ];

    [TestCaseSource(nameof(PromotedDTypes))]
    public void IntegerAndBoolOperands_ArePromotedAsPyTorch(Func<Tensor> call, DType expected)
    {
        var y = call();
        Assert.That(y.DType, Is.EqualTo(expected));
        Assert.That(y.RequiresGrad, Is.False);
    }

    /// <summary>(op, the call as it reads, the call with a Bool tensor where a numeric one is needed).</summary>
    private static TestCaseData NonNumeric(string op, string call, TestDelegate code) =>
        new TestCaseData(op, code).SetArgDisplayNames(call);

    /// <summary>Ops that take Int64 but not Bool tensors, and Bool arithmetic PyTorch refuses: the message names the op and Bool.</summary>
    public static IEnumerable<TestCaseData> BoolInputs() =>
    [
        NonNumeric("Max", "Max(bool)", () => Ops.Max(B8(3))),
        NonNumeric("Min", "Min(bool, 0)", () => Ops.Min(B8(3), 0)),
        NonNumeric("Argmax", "Argmax(bool, 0)", () => Ops.Argmax(B8(3), 0)),
        NonNumeric("ArgmaxIndices", "ArgmaxIndices(bool, 0)", () => Ops.ArgmaxIndices(B8(3), 0)),
        NonNumeric("TopK", "TopK(bool, 1)", () => Ops.TopK(B8(3), 1)),
        NonNumeric("Sort", "Sort(bool)", () => Ops.Sort(B8(3))),
        NonNumeric("ArgSort", "ArgSort(bool)", () => Ops.ArgSort(B8(3))),
        NonNumeric("Neg", "Neg(bool)", () => Ops.Neg(B8(3))),
        NonNumeric("Sub", "Sub(bool, bool)", () => Ops.Sub(B8(3), B8(3))),
    ];

    [TestCaseSource(nameof(BoolInputs))]
    public void Throws_ForABoolTensor_NamingTheOpAndTheDType(string op, TestDelegate call)
    {
        var ex = Assert.Throws<ArgumentException>(call)!;
        Assert.That(ex.Message, Does.StartWith(op + ":").And.Contain("Bool"));
    }

    [TestCaseSource(nameof(NonFloatingInputs))]
    public void Throws_ForAnInt64OrBoolTensor_NamingTheOpAndTheDType(string op, string dtype, TestDelegate call)
    {
        var ex = Assert.Throws<ArgumentException>(call)!;
        Assert.That(ex.Message, Does.StartWith(op + ":").And.Contain($"is {dtype}").And.Contain("floating-point"));
    }

    [TestCaseSource(nameof(NullArguments))]
    public void Throws_WhenAnArgumentIsNull_NamingTheOpAndTheArgument(string op, string argument, TestDelegate call)
    {
        var ex = Assert.Throws<ArgumentNullException>(call)!;
        Assert.That(ex.Message, Does.StartWith(op + ":").And.Contain(argument));
        Assert.That(ex.ParamName, Is.EqualTo(argument));
    }

    [TestCaseSource(nameof(MixedDTypes))]
    public void Throws_WhenDTypesDiffer_NamingTheOpAndBothDTypes(string op, TestDelegate call)
    {
        var ex = Assert.Throws<ArgumentException>(call)!;
        Assert.That(ex.Message, Does.StartWith(op + ":").And.Contain("Float32").And.Contain("Float64"));
    }
}
