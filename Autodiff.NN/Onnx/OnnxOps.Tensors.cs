using Autodiff.NN.OnnxProto;

namespace Autodiff.NN;

// Shape and indexing nodes: Transpose, Reshape (constant or computed shape), Gather (any axis), Concat, Split, Slice,
// Unsqueeze/Squeeze, Shape, Constant, ConstantOfShape, Expand, Range, ReduceMean/Sum/Max/Min and Trilu.
//
// Shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape, as torch.onnx.export writes it) is evaluated eagerly,
// when the graph runs, on the tensors themselves: an Int64 value is lifted to Float64 for the data ops (exact for every
// integer below 2^53, far beyond any shape) and converted back, truncating toward zero (ONNX's integer Div) and saturating
// (Slice's INT64_MAX "to the end").
internal static partial class OnnxOps
{
    private static readonly HashSet<string> Liftable = new(StringComparer.Ordinal)
    {
        "Identity", "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Concat", "Gather", "Slice", "Unsqueeze", "Squeeze", "Reshape",
        "Transpose", "Expand", "ReduceSum",
    };

    /// <summary>Whether <paramref name="opType"/> runs on Int64 data by lifting it to Float64.</summary>
    private static bool IsLiftable(string opType) => Liftable.Contains(opType);

    /// <summary>Runs a data op on Int64 values (a shape computation): its data inputs lifted to Float64, the result
    /// converted back to Int64.</summary>
    private static Tensor RunOnIntegers(NodeProto node, Func<int, Tensor> input, Func<int, Tensor?> optional)
    {
        bool allData = node.OpType is "Add" or "Sub" or "Mul" or "Div" or "Concat";
        bool IsData(int i) => allData || (node.OpType == "Where" ? i > 0 : i == 0);
        static Tensor Lift(Tensor t) => t.DType == DType.Int64 ? t.To(DType.Float64) : t;
        Tensor Lifted(int i) => IsData(i) ? Lift(input(i)) : input(i);
        Tensor? LiftedOptional(int i) => optional(i) is { } t ? (IsData(i) ? Lift(t) : t) : null;
        return RunSingle(node, Lifted, LiftedOptional, training: false).To(DType.Int64);
    }

    /// <summary>Refuses, at import, attributes of the shape and indexing nodes that are not imported.</summary>
    private static void CheckTensorOp(NodeProto node)
    {
        switch (node.OpType)
        {
            case "Constant" when !node.Attribute.Any(a => a.Name is "value" or "value_float" or "value_floats" or "value_int" or "value_ints"):
                throw Refuse(node, $"holds a '{node.Attribute.FirstOrDefault()?.Name}' value; only value, value_float(s) and value_int(s) are imported");
            case "Constant" when Attribute(node, "value") is { } v:
                ToTensor(v.T);                                                          // refuses an element type now, not at run time
                break;
            case "ConstantOfShape" when Attribute(node, "value") is { } v:
                ToTensor(v.T);
                break;
        }
    }

    private static Tensor RunTensorOp(NodeProto node, Func<int, Tensor> input, Func<int, Tensor?> optional)
    {
        var x = input(0);
        switch (node.OpType)
        {
            case "Transpose":
                var perm = Ints(node, "perm");
                return Ops.Permute(x, perm.Length == 0 ? [.. Enumerable.Range(0, x.Rank).Reverse()] : [.. perm.Select(p => (int)p)]);
            case "Reshape": return Ops.Reshape(x, ReshapeTarget(node, x.Shape, input(1).ToInt64Array()));
            case "Gather": return RunGather(node, x, input(1));
            case "Concat":
            {
                var parts = Enumerable.Range(0, node.Input.Count).Select(optional).OfType<Tensor>().ToList();
                var nonEmpty = parts.Where(p => p.Numel > 0).ToList();                   // a [0] shape part adds nothing
                return Ops.Cat(nonEmpty.Count > 0 ? nonEmpty : parts, (int)Int(node, "axis", 0));
            }
            case "Slice": return RunSlice(node, x, input(1).ToInt64Array(), input(2).ToInt64Array(), optional(3)?.ToInt64Array(), optional(4)?.ToInt64Array());
            case "Unsqueeze":
            {
                var axes = optional(1)?.ToInt64Array() ?? Ints(node, "axes");
                int rank = x.Rank + axes.Length;
                foreach (int a in axes.Select(a => (int)(a < 0 ? a + rank : a)).Order()) x = Ops.Unsqueeze(x, a);
                return x;
            }
            case "Squeeze":
            {
                var axes = optional(1)?.ToInt64Array() ?? Ints(node, "axes");
                if (axes.Length == 0) return Ops.Squeeze(x);
                int rank = x.Rank;
                foreach (int a in axes.Select(a => (int)(a < 0 ? a + rank : a)).OrderDescending()) x = Ops.Squeeze(x, a);
                return x;
            }
            case "Shape":
            {
                int rank = x.Rank;
                int Clamp(long v) => (int)Math.Clamp(v < 0 ? v + rank : v, 0, rank);
                int start = Clamp(Int(node, "start", 0)), end = Clamp(Int(node, "end", rank));
                var dims = Enumerable.Range(start, Math.Max(end - start, 0)).Select(i => (long)x.Shape[i]).ToArray();
                return Tensor.FromArray(dims, dims.Length);
            }
            case "ConstantOfShape":
            {
                var shape = x.ToInt64Array().Select(d => checked((int)d)).ToArray();
                var fill = Attribute(node, "value") is { } v ? ToTensor(v.T) : Tensor.Scalar(0, DType.Float32);
                return Tensor.Full(shape, fill.Numel == 0 ? 0 : fill.Reshape(-1).ToDoubleArray()[0], fill.DType);
            }
            case "Expand":
            {
                var target = BroadcastShape(node, x.Shape, input(1).ToInt64Array());
                return target.SequenceEqual(x.Shape) ? x : Ops.Expand(x, target);
            }
            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin": return RunReduce(node, x, optional(1));
            case "Trilu":
            {
                int k = optional(1) is { } diagonal ? checked((int)diagonal.ItemInt64()) : 0;
                return Int(node, "upper", 1) != 0 ? Ops.Triu(x, k) : Ops.Tril(x, k);
            }
            default: throw Refuse(node, "has no Autodiff mapping");
        }
    }

    /// <summary>ONNX Reshape's target: 0 copies the input's dimension, -1 takes what is left.</summary>
    private static int[] ReshapeTarget(NodeProto node, Shape input, long[] target)
    {
        var dims = new int[target.Length];
        int known = 1, infer = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && i >= input.Rank) throw new ArgumentException($"Onnx.Import: node '{node.Name}' (Reshape) copies dimension {i} of an input {input} of rank {input.Rank}.");
            dims[i] = target[i] == 0 ? input[i] : checked((int)target[i]);
            if (dims[i] == -1) infer = i;
            else known *= dims[i];
        }
        if (infer >= 0) dims[infer] = known == 0 ? 0 : input.Numel / known;
        return dims;
    }

    /// <summary>ONNX Gather: <c>y = x</c> indexed along <c>axis</c> by every index, shape
    /// <c>x.shape[:axis] + indices.shape + x.shape[axis+1:]</c>; negative indices count from the end.</summary>
    private static Tensor RunGather(NodeProto node, Tensor x, Tensor indices)
    {
        int axis = (int)Int(node, "axis", 0);
        if (axis < 0) axis += x.Rank;
        if (axis < 0 || axis >= x.Rank) throw new ArgumentOutOfRangeException(nameof(node), $"Onnx.Import: node '{node.Name}' (Gather) has axis {Int(node, "axis", 0)} for an input {x.Shape}.");
        int size = x.Shape[axis];
        var flat = indices.ToInt64Array().Select(i => checked((int)(i < 0 ? i + size : i))).ToArray();
        if (axis == 0 && x.Rank == 2 && indices.Rank > 0 && x.IsFloatingPoint)
            return Ops.Embedding(flat, indices.Shape.ToArray(), x);                      // a lookup in a table: an embedding
        var picked = Ops.IndexSelect(x, axis, flat);
        return Ops.Reshape(picked, [.. x.Shape.Take(axis), .. indices.Shape, .. x.Shape.Skip(axis + 1)]);
    }

    /// <summary>ONNX Slice: per listed axis, <c>start</c> and <c>end</c> counted from the end when negative and clamped to
    /// the dimension (so INT64_MAX means "to the end"); positive steps only.</summary>
    private static Tensor RunSlice(NodeProto node, Tensor x, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = (int)(axes[i] < 0 ? axes[i] + x.Rank : axes[i]), dim = x.Shape[axis];
            long step = steps is null ? 1 : steps[i];
            if (step <= 0) throw Refuse(node, $"slices with step {step}; only positive steps are imported");
            int Clamp(long v) => (int)Math.Clamp(v < 0 ? v + dim : v, 0, dim);
            int start = Clamp(starts[i]), end = Math.Max(Clamp(ends[i]), start);
            if (start == 0 && end == dim && step == 1) continue;
            x = Ops.Slice(x, axis, start, end, (int)step);
        }
        return x;
    }

    /// <summary>ONNX Split along <c>axis</c>: the sizes from the <c>split</c> input (or attribute), else equal parts, one per
    /// output (the last one smaller when the dimension does not divide, as opset 18's num_outputs).</summary>
    private static Tensor[] RunSplit(NodeProto node, Tensor x, Tensor? split)
    {
        int axis = (int)Int(node, "axis", 0);
        if (axis < 0) axis += x.Rank;
        int dim = x.Shape[axis], count = (int)Int(node, "num_outputs", node.Output.Count);
        var sizes = split?.ToInt64Array() ?? Ints(node, "split");
        if (sizes.Length == 0)
        {
            long part = (dim + count - 1) / count;
            sizes = [.. Enumerable.Range(0, count).Select(i => Math.Min(part, dim - i * part))];
        }
        if (sizes.Sum() != dim) throw new ArgumentException($"Onnx.Import: node '{node.Name}' (Split) splits a dimension of {dim} into [{string.Join(", ", sizes)}] (input {x.Shape}).");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Ops.Slice(x, axis, start, start + (int)sizes[i]);
            start += (int)sizes[i];
        }
        return parts;
    }

    /// <summary>ReduceMean / ReduceSum / ReduceMax / ReduceMin over the axes (an input in ReduceSum since opset 13 and the
    /// others since 18, else the attribute); all axes when none are given, unless <c>noop_with_empty_axes</c>.</summary>
    private static Tensor RunReduce(NodeProto node, Tensor x, Tensor? axesInput)
    {
        var axes = axesInput?.ToInt64Array() ?? Ints(node, "axes");
        bool keep = Int(node, "keepdims", 1) != 0;
        if (axes.Length == 0)
        {
            if (Int(node, "noop_with_empty_axes", 0) != 0) return x;
            axes = [.. Enumerable.Range(0, x.Rank).Select(i => (long)i)];
        }
        int rank = x.Rank;
        var dims = axes.Select(a => (int)(a < 0 ? a + rank : a)).Distinct().OrderDescending().ToArray();
        foreach (int d in dims)
            x = node.OpType switch
            {
                "ReduceMean" => Ops.Mean(x, d, keepDim: true),
                "ReduceMax" => Ops.Max(x, d, keepDim: true),
                "ReduceMin" => Ops.Min(x, d, keepDim: true),
                _ => Ops.Sum(x, d, keepDim: true),
            };
        if (!keep) foreach (int d in dims) x = Ops.Squeeze(x, d);
        return x;
    }

    /// <summary>ONNX Range: <c>start, start + delta, ...</c> up to (not including) <c>limit</c>.</summary>
    private static Tensor RunRange(NodeProto node, Tensor start, Tensor limit, Tensor delta)
    {
        var (s, l, d) = (start.ItemDouble(), limit.ItemDouble(), delta.ItemDouble());
        if (d == 0) throw new ArgumentException($"Onnx.Import: node '{node.Name}' (Range) has delta 0.");
        int n = (int)Math.Max(Math.Ceiling((l - s) / d), 0);
        if (start.DType == DType.Int64) return Tensor.FromArray(Enumerable.Range(0, n).Select(i => start.ItemInt64() + i * delta.ItemInt64()).ToArray(), n);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(i => s + i * d).ToArray(), n).To(start.DType);
    }

    /// <summary>A Constant node's value.</summary>
    private static Tensor ConstantValue(NodeProto node)
    {
        var a = node.Attribute.First(a => a.Name is "value" or "value_float" or "value_floats" or "value_int" or "value_ints");
        return a.Name switch
        {
            "value" => ToTensor(a.T),
            "value_float" => Ops.Reshape(Tensor.FromArray(new[] { a.F })),
            "value_floats" => Tensor.FromArray(a.Floats.ToArray(), a.Floats.Count),
            "value_int" => Ops.Reshape(Tensor.FromArray(new[] { a.I })),
            _ => Tensor.FromArray(a.Ints.ToArray(), a.Ints.Count),
        };
    }

    /// <summary>The shape Expand reaches: <paramref name="shape"/> and the input's broadcast together, numpy-style.</summary>
    private static int[] BroadcastShape(NodeProto node, Shape input, long[] shape)
    {
        int rank = Math.Max(input.Rank, shape.Length);
        var result = new int[rank];
        for (int i = 1; i <= rank; i++)
        {
            int a = i <= input.Rank ? input[input.Rank - i] : 1, b = i <= shape.Length ? checked((int)shape[^i]) : 1;
            if (a != b && a != 1 && b != 1)
                throw new ArgumentException($"Onnx.Import: node '{node.Name}' (Expand) cannot broadcast {input} to [{string.Join(", ", shape)}].");
            result[rank - i] = a == 1 ? b : a;
        }
        return result;
    }
}
