using Autodiff.NN.OnnxProto;
using static Autodiff.NN.OnnxGraph;

namespace Autodiff.NN;

// Typed ops for IOnnxExportable modules, with PyTorch's semantics and our op names: each runs our op on the samples first
// (so a bad argument is refused by the op, named with the shapes, before a node is written), then writes the ONNX nodes.
// Sizes are never baked where the graph can read them: Reshape copies a dim it keeps (0), Arange reads the length.
public sealed partial class OnnxExportContext
{
    /// <summary>A constant (a table, a mask fixed at export time) as a value: an initializer, named by its state-dict key
    /// when it is a parameter or buffer of the model.</summary>
    public OnnxValue Value(Tensor constant) => new(Initializer(constant), constant);

    /// <summary>Matrix product with broadcasting. Same as <c>torch.matmul</c> (ONNX MatMul).</summary>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names the op and the shapes.</exception>
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Op("MatMul", [a, b], () => Ops.MatMul(a.Sample, b.Sample), "MatMul", [a.Name, b.Name]);

    /// <summary><c>a + b</c> with broadcasting (ONNX Add).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Op("Add", [a, b], () => Ops.Add(a.Sample, b.Sample), "Add", [a.Name, b.Name]);

    /// <summary><c>a - b</c> with broadcasting (ONNX Sub).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
    public OnnxValue Sub(OnnxValue a, OnnxValue b) => Op("Sub", [a, b], () => Ops.Sub(a.Sample, b.Sample), "Sub", [a.Name, b.Name]);

    /// <summary><c>a ⊙ b</c> with broadcasting (ONNX Mul).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
    public OnnxValue Mul(OnnxValue a, OnnxValue b) => Op("Mul", [a, b], () => Ops.Mul(a.Sample, b.Sample), "Mul", [a.Name, b.Name]);

    /// <summary><c>a / b</c> with broadcasting (ONNX Div).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
    public OnnxValue Div(OnnxValue a, OnnxValue b) => Op("Div", [a, b], () => Ops.Div(a.Sample, b.Sample), "Div", [a.Name, b.Name]);

    /// <summary><c>a + b</c> for a number <paramref name="b"/> (a scalar constant of a's dtype).</summary>
    /// <exception cref="ArgumentException">a is not floating-point.</exception>
    public OnnxValue Add(OnnxValue a, double b) => Add(a, Scalar("Add", a, b));

    /// <summary><c>a - b</c> for a number <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">a is not floating-point.</exception>
    public OnnxValue Sub(OnnxValue a, double b) => Sub(a, Scalar("Sub", a, b));

    /// <summary><c>a · b</c> for a number <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">a is not floating-point.</exception>
    public OnnxValue Mul(OnnxValue a, double b) => Mul(a, Scalar("Mul", a, b));

    /// <summary><c>a / b</c> for a number <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">a is not floating-point.</exception>
    public OnnxValue Div(OnnxValue a, double b) => Div(a, Scalar("Div", a, b));

    /// <summary><c>x ^ exponent</c> element-wise. Same as <c>torch.pow(x, exponent)</c> (ONNX Pow).</summary>
    /// <exception cref="ArgumentException">x is not floating-point.</exception>
    public OnnxValue Pow(OnnxValue x, double exponent)
    {
        var e = Scalar("Pow", x, exponent);
        return Op("Pow", [x], () => Ops.Pow(x.Sample, exponent), "Pow", [x.Name, e.Name]);
    }

    /// <summary><c>-x</c> (ONNX Neg).</summary>
    public OnnxValue Neg(OnnxValue x) => Op("Neg", [x], () => Ops.Neg(x.Sample), "Neg", [x.Name]);

    /// <summary><c>eˣ</c> (ONNX Exp).</summary>
    public OnnxValue Exp(OnnxValue x) => Op("Exp", [x], () => Ops.Exp(x.Sample), "Exp", [x.Name]);

    /// <summary><c>ln x</c> (ONNX Log).</summary>
    public OnnxValue Log(OnnxValue x) => Op("Log", [x], () => Ops.Log(x.Sample), "Log", [x.Name]);

    /// <summary><c>√x</c> (ONNX Sqrt).</summary>
    public OnnxValue Sqrt(OnnxValue x) => Op("Sqrt", [x], () => Ops.Sqrt(x.Sample), "Sqrt", [x.Name]);

    /// <summary>Concatenates along <paramref name="dim"/> (negative counts from the end). Same as <c>torch.cat</c> (ONNX Concat).</summary>
    /// <exception cref="ArgumentException">No values, or shapes that differ outside dim.</exception>
    public OnnxValue Cat(IReadOnlyList<OnnxValue> values, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException($"Onnx.Export: Cat in '{ScopeName}' needs at least one value.", nameof(values));
        return Op("Cat", values, () => Ops.Cat([.. values.Select(v => v.Sample)], dim), "Concat", [.. values.Select(v => v.Name)],
            OnnxGraph.Int("axis", Resolve("Cat", values, dim, values[0].Sample.Rank)));
    }

    /// <summary><c>x[..., start:end]</c> along <paramref name="dim"/>, with Python's rules (negative start and end count from
    /// the end, both clamped), read against the size in the graph. Same as <see cref="Ops.Slice"/> (ONNX Slice).</summary>
    /// <exception cref="ArgumentException">The dim is out of range.</exception>
    public OnnxValue Slice(OnnxValue x, int dim, int start, int end)
    {
        int d = Resolve("Slice", [x], dim, x.Sample.Rank);
        return Op("Slice", [x], () => Ops.Slice(x.Sample, dim, start, end), "Slice", [x.Name, Int64Constant([start]), Int64Constant([end]), Int64Constant([d])]);
    }

    /// <summary><paramref name="length"/> elements from <paramref name="start"/> along <paramref name="dim"/>. Same as
    /// <c>torch.narrow</c> (ONNX Slice).</summary>
    /// <exception cref="ArgumentException">The dim is out of range, or [start, start + length) does not fit in the dim.</exception>
    public OnnxValue Narrow(OnnxValue x, int dim, int start, int length)
    {
        int d = Resolve("Narrow", [x], dim, x.Sample.Rank), size = x.Sample.Shape[d];
        int s = start < 0 ? start + size : start;
        if (s < 0 || length < 0 || s + length > size)
            throw new ArgumentException($"Onnx.Export: Narrow of {x.Sample.Shape} in '{ScopeName}': start {start} and length {length} do not fit in dim {dim} of size {size}.", nameof(start));
        return Slice(x, d, s, s + length);
    }

    /// <summary>Reorders the dims (negative count from the end). Same as <c>torch.permute</c> (ONNX Transpose).</summary>
    /// <exception cref="ArgumentException">dims is not a permutation of the input's dims.</exception>
    public OnnxValue Permute(OnnxValue x, params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var y = Sample("Permute", [x], () => Ops.Permute(x.Sample, dims));
        return new(_graph.Node("Transpose", Scope, [x.Name], Ints("perm", [.. dims.Select(d => (long)(d < 0 ? d + x.Sample.Rank : d))])), y);
    }

    /// <summary>Swaps two dims. Same as <c>torch.transpose</c> (ONNX Transpose).</summary>
    /// <exception cref="ArgumentException">A dim is out of range.</exception>
    public OnnxValue Transpose(OnnxValue x, int dim0, int dim1)
    {
        var y = Sample("Transpose", [x], () => Ops.Transpose(x.Sample, dim0, dim1));
        int rank = x.Sample.Rank, a = dim0 < 0 ? dim0 + rank : dim0, b = dim1 < 0 ? dim1 + rank : dim1;
        var perm = Enumerable.Range(0, rank).Select(i => (long)(i == a ? b : i == b ? a : i)).ToArray();
        return new(_graph.Node("Transpose", Scope, [x.Name], Ints("perm", perm)), y);
    }

    /// <summary>The same elements in another shape. Same as <c>torch.reshape</c> (ONNX Reshape): -1 infers one size, and a
    /// size equal to the input's at the same position is copied from the graph (ONNX's 0), so a dynamic batch or length
    /// flows through (<c>[B, T, C] → [B, T, H, C/H]</c> becomes <c>[0, 0, H, C/H]</c>).</summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one -1.</exception>
    public OnnxValue Reshape(OnnxValue x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var y = Sample("Reshape", [x], () => Ops.Reshape(x.Sample, shape));
        var target = shape.Select((s, i) => i < x.Sample.Rank && s != -1 && s == x.Sample.Shape[i] ? 0L : s).ToArray();
        return new(_graph.Node("Reshape", Scope, [x.Name, Int64Constant(target)]), y);
    }

    /// <summary>Same as <see cref="Reshape"/> (<c>torch.Tensor.view</c>).</summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one -1.</exception>
    public OnnxValue View(OnnxValue x, params int[] shape) => Reshape(x, shape);

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/> (negative counts from the end of the result). Same as
    /// <c>torch.unsqueeze</c> (ONNX Unsqueeze).</summary>
    /// <exception cref="ArgumentException">The dim is out of range.</exception>
    public OnnxValue Unsqueeze(OnnxValue x, int dim)
    {
        var y = Sample("Unsqueeze", [x], () => Ops.Unsqueeze(x.Sample, dim));
        return new(_graph.Node("Unsqueeze", Scope, [x.Name, Int64Constant([dim < 0 ? dim + x.Sample.Rank + 1 : dim])]), y);
    }

    /// <summary>Removes <paramref name="dim"/> when its size is 1 (otherwise returns x as it is). Same as
    /// <c>torch.squeeze(x, dim)</c> (ONNX Squeeze).</summary>
    /// <exception cref="ArgumentException">The dim is out of range.</exception>
    public OnnxValue Squeeze(OnnxValue x, int dim)
    {
        var y = Sample("Squeeze", [x], () => Ops.Squeeze(x.Sample, dim));
        int d = dim < 0 ? dim + x.Sample.Rank : dim;
        return y.Rank == x.Sample.Rank ? new(_graph.Node("Identity", Scope, [x.Name]), y)
            : new(_graph.Node("Squeeze", Scope, [x.Name, Int64Constant([d])]), y);
    }

    /// <summary>Sums over <paramref name="dims"/> (negative count from the end). Same as <c>torch.sum(x, dims, keepdim)</c>
    /// (ONNX ReduceSum).</summary>
    /// <exception cref="ArgumentException">No dims, a dim out of range or given twice.</exception>
    public OnnxValue Sum(OnnxValue x, int[] dims, bool keepDim = false) => Reduction("Sum", "ReduceSum", x, dims, keepDim, Ops.Sum);

    /// <summary>Averages over <paramref name="dims"/>. Same as <c>torch.mean(x, dims, keepdim)</c> (ONNX ReduceMean).</summary>
    /// <exception cref="ArgumentException">No dims, a dim out of range or given twice.</exception>
    public OnnxValue Mean(OnnxValue x, int[] dims, bool keepDim = false) => Reduction("Mean", "ReduceMean", x, dims, keepDim, Ops.Mean);

    /// <summary>Softmax along <paramref name="dim"/>. Same as <c>torch.softmax</c> (ONNX Softmax, opset 13 semantics).</summary>
    /// <exception cref="ArgumentException">The dim is out of range.</exception>
    public OnnxValue Softmax(OnnxValue x, int dim) => Op("Softmax", [x], () => Ops.Softmax(x.Sample, dim), "Softmax", [x.Name], OnnxGraph.Int("axis", dim));

    /// <summary><paramref name="a"/> where <paramref name="condition"/> is true, else <paramref name="b"/>, with broadcasting.
    /// Same as <c>torch.where</c> (ONNX Where).</summary>
    /// <exception cref="ArgumentException">The condition is not Bool, the shapes do not broadcast or a and b differ in dtype.</exception>
    public OnnxValue Where(OnnxValue condition, OnnxValue a, OnnxValue b) =>
        RequireBool("Where", condition, [condition, a, b]).Op("Where", [condition, a, b], () => Ops.Where(condition.Sample, a.Sample, b.Sample), "Where", [condition.Name, a.Name, b.Name]);

    /// <summary><paramref name="value"/> where <paramref name="mask"/> is true, else x. Same as <c>torch.masked_fill</c>
    /// (ONNX Where with a scalar).</summary>
    /// <exception cref="ArgumentException">The mask is not Bool or does not broadcast to x; x is not floating-point.</exception>
    public OnnxValue MaskedFill(OnnxValue x, OnnxValue mask, double value)
    {
        RequireBool("MaskedFill", mask, [x, mask]);
        var fill = Scalar("MaskedFill", x, value);
        return Op("MaskedFill", [x, mask], () => Ops.MaskedFill(x.Sample, mask.Sample, value), "Where", [mask.Name, fill.Name, x.Name]);
    }

    /// <summary><c>[0, 1, ..., n - 1]</c> (Int64) for n the size of <paramref name="x"/>'s dim <paramref name="dim"/>, read in the
    /// graph, so positions follow a dynamic length. Same as <c>torch.arange(x.size(dim))</c> (ONNX Shape, Range).</summary>
    /// <exception cref="ArgumentException">The dim is out of range.</exception>
    public OnnxValue Arange(OnnxValue x, int dim)
    {
        int d = Resolve("Arange", [x], dim, x.Sample.Rank);
        var size = _graph.Node("Squeeze", Scope, [_exporter.ShapeOf(Scope, x.Name, d, d + 1), Int64Constant([0])]);
        var range = _graph.Node("Range", Scope, [Int64Constant([0], []), size, Int64Constant([1], [])]);
        return new(range, Tensor.Arange(x.Sample.Shape[d], DType.Int64));
    }

    /// <summary>The entries of <paramref name="x"/> at <paramref name="index"/> (Int64) along <paramref name="dim"/>. Same as
    /// <c>torch.index_select</c> (ONNX Gather): with dim 0, an embedding lookup.</summary>
    /// <exception cref="ArgumentException">The index is not a 1-D Int64 tensor, or the dim is out of range.</exception>
    public OnnxValue IndexSelect(OnnxValue x, int dim, OnnxValue index) =>
        Op("IndexSelect", [x, index], () => Ops.IndexSelect(x.Sample, dim, index.Sample), "Gather", [x.Name, index.Name],
            OnnxGraph.Int("axis", Resolve("IndexSelect", [x, index], dim, x.Sample.Rank)));

    private string ScopeName => Scope.Length == 0 ? "(root)" : Scope;

    private OnnxValue Op(string op, IReadOnlyList<OnnxValue> inputs, Func<Tensor> sample, string onnxOp, string[] names, params AttributeProto[] attributes)
    {
        var y = Sample(op, inputs, sample);
        return new(_graph.Node(onnxOp, Scope, names, attributes), y);
    }

    /// <summary>Runs our op on the samples: its result is the output's sample, and its refusal (with the shapes) is ours.</summary>
    private Tensor Sample(string op, IReadOnlyList<OnnxValue> inputs, Func<Tensor> sample)
    {
        foreach (var v in inputs)
            if (v.Name is null || v.Sample is null) throw new ArgumentException($"Onnx.Export: {op} in '{ScopeName}' got an empty OnnxValue.", nameof(inputs));
        try
        {
            return sample();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Onnx.Export: {op} of {string.Join(", ", inputs.Select(v => v.Sample.Shape.ToString()))} in '{ScopeName}' is refused: {e.Message}", e);
        }
    }

    private OnnxExportContext RequireBool(string op, OnnxValue mask, IReadOnlyList<OnnxValue> inputs)
    {
        if (mask.Sample is { DType: not DType.Bool })
            throw new ArgumentException($"Onnx.Export: {op} of {string.Join(", ", inputs.Select(v => v.Sample?.Shape.ToString()))} in '{ScopeName}' is refused: " +
                $"the condition is {mask.Sample.DType}; ONNX Where takes a Bool condition (a comparison's result or a Bool constant).", nameof(mask));
        return this;
    }

    private int Resolve(string op, IReadOnlyList<OnnxValue> inputs, int dim, int rank)
    {
        if (dim < -rank || dim >= rank)
            throw new ArgumentException($"Onnx.Export: {op} of {string.Join(", ", inputs.Select(v => v.Sample.Shape.ToString()))} in '{ScopeName}' is refused: " +
                $"dim {dim} is out of range for rank {rank}.", nameof(dim));
        return dim < 0 ? dim + rank : dim;
    }

    private OnnxValue Scalar(string op, OnnxValue like, double value)
    {
        if (like.Sample is null || !like.Sample.IsFloatingPoint)
            throw new ArgumentException($"Onnx.Export: {op} in '{ScopeName}' with a number needs a floating-point value, got {like.Sample?.DType.ToString() ?? "an empty OnnxValue"}.", nameof(like));
        return new(_graph.ScalarConstant(Scope.Length == 0 ? "scalar" : Scope + "/scalar", value, like.Sample.DType), Tensor.Full([], value, like.Sample.DType));
    }

    private OnnxValue Reduction(string op, string onnxOp, OnnxValue x, int[] dims, bool keepDim, Func<Tensor, int, bool, Tensor> reduce)
    {
        ArgumentNullException.ThrowIfNull(dims);
        int rank = x.Sample?.Rank ?? 0;
        var resolved = dims.Select(d => Resolve(op, [x], d, rank)).ToArray();
        if (resolved.Length == 0 || resolved.Distinct().Count() != resolved.Length)
            throw new ArgumentException($"Onnx.Export: {op} of {x.Sample!.Shape} in '{ScopeName}' is refused: dims [{string.Join(", ", dims)}] must be distinct and not empty.", nameof(dims));
        var y = Sample(op, [x], () =>
        {
            var r = x.Sample!;
            foreach (var d in resolved.OrderDescending()) r = reduce(r, d, keepDim);          // from the last, so the others keep their index
            return r;
        });
        return new(_exporter.Reduce(onnxOp, Scope, x.Name, [.. resolved.Select(d => (long)d)], keepDim), y);
    }
}
