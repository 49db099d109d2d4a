// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604

namespace Autodiff.Tests.Core;

// Fuzzing the shape ops: Reshape, Transpose/Permute, Squeeze/Unsqueeze/Flatten, Expand, Cat/Stack, Slice/Select/IndexSelect.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
        // ---- shapes ------------------------------------------------------------------------------------------------

        private void ReshapeCase()
        {
            var x = Operand();
            int rank = Int(4);
            var shape = new int[rank];
            for (int i = 0; i < rank; i++) shape[i] = Chance(20) ? -1 : Chance(4) ? -2 : Chance(4) ? int.MaxValue : Int(5);
            if (x is not null && Chance(50) && rank > 0)
            {
                // Often a valid target: x's numel split as [numel] or [-1, ...].
                shape = Chance(50) ? [x.Numel] : [-1, .. shape.Skip(1).Select(s => s <= 0 ? 1 : s)];
                if (Chance(30) && x.Numel % 2 == 0 && x.Numel > 0) shape = [2, -1];
            }
            var y = Call("Reshape", $"{Describe(x)}, {Fmt(shape)}", () => Chance(50) ? Autodiff.Ops.Reshape(x, shape) : x is null ? Autodiff.Ops.Reshape(x, shape) : x.Reshape(shape));
            if (x is null) { Agrees("Reshape", y, false, "null operand"); return; }
            var dims = (int[])shape.Clone();
            bool valid = shape.Count(s => s == -1) <= 1 && shape.All(s => s >= -1);
            var known = shape.Where(s => s != -1).Aggregate(System.Numerics.BigInteger.One, (a, s) => a * s);
            int infer = Array.IndexOf(shape, -1);
            if (valid && infer >= 0)
            {
                valid = !known.IsZero && x.Numel % known == 0;
                if (valid) dims[infer] = (int)(x.Numel / known);
            }
            else if (valid) valid = known == x.Numel;
            if (Agrees("Reshape", y, valid, "element count / -1"))
                Expect("Reshape", y!, x.DType, dims, x.ToDoubleArray());
        }

        private void TransposePermuteCase()
        {
            var x = Operand();
            if (Chance(50))
            {
                int d0 = RandomDim(), d1 = RandomDim();
                var y = Call("Transpose", $"{Describe(x)}, {d0}, {d1}", () => x is null ? Autodiff.Ops.Transpose(x, d0, d1) : x.Transpose(d0, d1));
                if (x is null) { Agrees("Transpose", y, false, "null operand"); return; }
                int? n0 = NormDim(d0, x.Rank), n1 = NormDim(d1, x.Rank);
                if (!Agrees("Transpose", y, n0 is not null && n1 is not null, "dims")) return;
                var perm = Enumerable.Range(0, x.Rank).ToArray();
                (perm[n0!.Value], perm[n1!.Value]) = (perm[n1.Value], perm[n0.Value]);
                var expected = PermuteRef(x.ToDoubleArray(), x.Shape.ToArray(), perm, out var outShape);
                Expect("Transpose", y!, x.DType, outShape, expected);
            }
            else
            {
                int rank = x is null ? 2 : x.Rank;
                var dims = Enumerable.Range(0, rank).ToArray();
                _rng.Shuffle(dims.AsSpan());
                if (Chance(40)) dims = dims.Select(d => Chance(30) ? RandomDim() : d).ToArray();
                if (Chance(10)) dims = [.. dims, 0];
                var y = Call("Permute", $"{Describe(x)}, {Fmt(dims)}", () => Autodiff.Ops.Permute(x, dims));
                if (x is null) { Agrees("Permute", y, false, "null operand"); return; }
                var norm = dims.Select(d => NormDim(d, x.Rank)).ToArray();
                bool valid = dims.Length == x.Rank && norm.All(n => n is not null) && norm.Distinct().Count() == norm.Length;
                if (!Agrees("Permute", y, valid, "permutation")) return;
                var expected = PermuteRef(x.ToDoubleArray(), x.Shape.ToArray(), norm.Select(n => n!.Value).ToArray(), out var outShape);
                Expect("Permute", y!, x.DType, outShape, expected);
            }
        }

        private void SqueezeFlattenCase()
        {
            var x = Operand();
            int dim = RandomDim(), dim2 = RandomDim();
            switch (Int(4))
            {
                case 0:
                {
                    var y = Call("Unsqueeze", $"{Describe(x)}, {dim}", () => x is null ? Autodiff.Ops.Unsqueeze(x, dim) : x.Unsqueeze(dim));
                    if (x is null) { Agrees("Unsqueeze", y, false, "null"); return; }
                    int? d = NormDim(dim, x.Rank + 1);
                    if (Agrees("Unsqueeze", y, d is not null, "dim"))
                        Expect("Unsqueeze", y!, x.DType, [.. x.Shape.Take(d!.Value), 1, .. x.Shape.Skip(d.Value)], x.ToDoubleArray());
                    break;
                }
                case 1:
                {
                    var y = Call("Squeeze", $"{Describe(x)}, {dim}", () => Autodiff.Ops.Squeeze(x, dim));
                    if (x is null) { Agrees("Squeeze", y, false, "null"); return; }
                    int? d = NormDim(dim, x.Rank);
                    if (!Agrees("Squeeze", y, d is not null, "dim")) return;
                    // Documented PyTorch behaviour: a dim whose size is not 1 is left alone.
                    var shape = x.Shape[d!.Value] == 1 ? ReduceShape(x.Shape.ToArray(), d.Value, false) : x.Shape.ToArray();
                    Expect("Squeeze", y!, x.DType, shape, x.ToDoubleArray());
                    break;
                }
                case 2:
                {
                    var y = Call("Squeeze", Describe(x), () => x is null ? Autodiff.Ops.Squeeze(x) : x.Squeeze());
                    if (Agrees("Squeeze", y, x is not null, "null"))
                        Expect("Squeeze", y!, x.DType, x.Shape.Where(s => s != 1).ToArray(), x.ToDoubleArray());
                    break;
                }
                default:
                {
                    var y = Call("Flatten", $"{Describe(x)}, {dim}, {dim2}", () => x is null ? Autodiff.Ops.Flatten(x, dim, dim2) : x.Flatten(dim, dim2));
                    if (x is null) { Agrees("Flatten", y, false, "null"); return; }
                    if (x.Rank == 0) { if (y is not null) Expect("Flatten", y, x.DType, [1], x.ToDoubleArray()); return; }
                    int? s = NormDim(dim, x.Rank), e = NormDim(dim2, x.Rank);
                    if (!Agrees("Flatten", y, s is not null && e is not null && s <= e, "dims")) return;
                    var xs = x.Shape.ToArray();
                    int merged = xs[s!.Value..(e!.Value + 1)].Aggregate(1, (a, b) => a * b);
                    Expect("Flatten", y!, x.DType, [.. xs[..s.Value], merged, .. xs[(e.Value + 1)..]], x.ToDoubleArray());
                    break;
                }
            }
        }

        private void ExpandCase()
        {
            var x = Operand();
            int[] shape;
            if (x is null || Chance(25)) shape = Enumerable.Range(0, Int(4)).Select(_ => Chance(5) ? int.MaxValue : Int(6) - 1).ToArray();
            else
            {
                var lead = Enumerable.Range(0, Int(3)).Select(_ => Chance(10) ? -1 : Int(4)).ToArray();
                shape = [.. lead, .. x.Shape.Select(s => Chance(25) ? -1 : s == 1 && Chance(50) ? Int(4) : Chance(10) ? s + 1 : s)];
            }
            var y = Call("Expand", $"{Describe(x)}, {Fmt(shape)}", () => x is null ? Autodiff.Ops.Expand(x, shape) : x.Expand(shape));
            if (x is null) { Agrees("Expand", y, false, "null"); return; }
            var xs = x.Shape.ToArray();
            bool valid = shape.Length >= xs.Length;
            var dims = (int[])shape.Clone();
            int offset = shape.Length - xs.Length;
            for (int i = 0; valid && i < dims.Length; i++)
            {
                int own = i >= offset ? xs[i - offset] : 1;
                if (dims[i] == -1 && i >= offset) dims[i] = own;
                if (dims[i] < 0 || (own != 1 && own != dims[i])) valid = false;
            }
            if (valid && !ValidShape(dims)) valid = false;
            if (!Agrees("Expand", y, valid, "target shape")) return;
            var xv = x.ToDoubleArray();
            Expect("Expand", y!, x.DType, dims, Enumerable.Range(0, Numel(dims)).Select(i => ReadBroadcast(xv, xs, Unravel(i, dims))).ToArray());
        }

        private void CatStackCase()
        {
            var first = Operand();
            int count = Chance(5) ? 0 : 1 + Int(3);
            var list = new List<Tensor>();
            int dim = RandomDim();
            for (int i = 0; i < count; i++)
            {
                if (i == 0 || first is null) { list.Add(i == 0 ? first! : Operand()); continue; }
                var shape = first.Shape.ToArray();
                if (Chance(60) && shape.Length > 0 && NormDim(dim, shape.Length) is int d) shape[d] = RandomSize();
                if (Chance(10)) shape = RandomShape();
                var t = RandomTensor(shape, Chance(92) ? first.DType : RandomDType());
                _pool.Add(t);
                list.Add(t);
            }
            bool stack = Chance(40);
            string op = stack ? "Stack" : "Cat";
            string args = $"[{string.Join(", ", list.Select(Describe))}], dim {dim}";
            var y = Call(op, args, () => stack ? Autodiff.Ops.Stack(list, dim) : Autodiff.Ops.Cat(list, dim));
            bool valid = list.Count > 0 && list.All(t => t is not null) && list.All(t => t.DType == list[0].DType);
            if (!valid) { Agrees(op, y, false, "empty list / null / dtype"); return; }
            var shapes = list.Select(t => t.Shape.ToArray()).ToList();
            int r0 = shapes[0].Length;
            int[] outShape;
            if (stack)
            {
                int? d = NormDim(dim, r0 + 1);
                if (!Agrees(op, y, d is not null && shapes.All(s => s.SequenceEqual(shapes[0])), "shapes / dim")) return;
                outShape = [.. shapes[0].Take(d!.Value), list.Count, .. shapes[0].Skip(d.Value)];
                shapes = shapes.Select(s => (int[])[.. s.Take(d.Value), 1, .. s.Skip(d.Value)]).ToList();
                dim = d.Value;
            }
            else
            {
                int? d = NormDim(dim, r0);
                bool ok = d is not null && shapes.All(s => s.Length == r0 && Enumerable.Range(0, r0).All(i => i == d || s[i] == shapes[0][i]));
                if (!Agrees(op, y, ok, "shapes / dim")) return;
                dim = d!.Value;
                outShape = (int[])shapes[0].Clone();
                outShape[dim] = shapes.Sum(s => s[dim]);
            }
            var expected = new double[Numel(outShape)];
            int at = 0;
            for (int j = 0; j < list.Count; j++)
            {
                var v = list[j].ToDoubleArray();
                for (int i = 0; i < v.Length; i++)
                {
                    var idx = Unravel(i, shapes[j]);
                    idx[dim] += at;
                    expected[Ravel(idx, outShape)] = v[i];
                }
                at += shapes[j][dim];
            }
            Expect(op, y!, list[0].DType, outShape, expected);
        }

        private void SliceSelectCase()
        {
            var x = Operand();
            int dim = RandomDim();
            int size = x is not null && NormDim(dim, x.Rank) is int nd ? x.Shape[nd] : 3;
            int RandomIndex() => Chance(4) ? Pick(int.MinValue, int.MaxValue) : Int(2 * size + 5) - size - 2;
            switch (Int(3))
            {
                case 0:
                {
                    int start = RandomIndex(), end = RandomIndex(), step = Chance(10) ? Pick(0, -1, int.MaxValue, int.MinValue) : 1 + Int(3);
                    var y = Call("Slice", $"{Describe(x)}, dim {dim}, {start}:{end}:{step}", () => x is null ? Autodiff.Ops.Slice(x, dim, start, end, step) : x.Slice(dim, start, end, step));
                    if (x is null) { Agrees("Slice", y, false, "null"); return; }
                    int? d = NormDim(dim, x.Rank);
                    if (!Agrees("Slice", y, d is not null && step > 0, "dim / step")) return;
                    long s = Math.Clamp(start < 0 ? (long)start + size : start, 0, size);
                    long e = Math.Clamp(end < 0 ? (long)end + size : end, 0, size);
                    int count = e > s ? (int)((e - s + step - 1) / step) : 0;
                    var xs = x.Shape.ToArray();
                    var outShape = (int[])xs.Clone();
                    outShape[d!.Value] = count;
                    var xv = x.ToDoubleArray();
                    var expected = new double[Numel(outShape)];
                    for (int i = 0; i < expected.Length; i++)
                    {
                        var idx = Unravel(i, outShape);
                        idx[d.Value] = (int)(s + (long)idx[d.Value] * step);
                        expected[i] = xv[Ravel(idx, xs)];
                    }
                    Expect("Slice", y!, x.DType, outShape, expected);
                    break;
                }
                case 1:
                {
                    int index = RandomIndex();
                    var y = Call("Select", $"{Describe(x)}, dim {dim}, index {index}", () => Autodiff.Ops.Select(x, dim, index));
                    if (x is null) { Agrees("Select", y, false, "null"); return; }
                    int? d = NormDim(dim, x.Rank);
                    long i0 = index < 0 ? (long)index + size : index;
                    if (!Agrees("Select", y, d is not null && i0 >= 0 && i0 < size, "dim / index")) return;
                    var xs = x.Shape.ToArray();
                    var outShape = ReduceShape(xs, d!.Value, false);
                    var xv = x.ToDoubleArray();
                    var expected = Enumerable.Range(0, Numel(outShape)).Select(i =>
                    {
                        var idx = Unravel(i, outShape).ToList();
                        idx.Insert(d.Value, (int)i0);
                        return xv[Ravel([.. idx], xs)];
                    }).ToArray();
                    Expect("Select", y!, x.DType, outShape, expected);
                    break;
                }
                default:
                {
                    var indices = Chance(4) ? null! : Enumerable.Range(0, Int(4)).Select(_ => Chance(80) && size > 0 ? Int(size) : RandomIndex()).ToArray();
                    var y = Call("IndexSelect", $"{Describe(x)}, dim {dim}, {Fmt(indices)}", () => x is null ? Autodiff.Ops.IndexSelect(x, dim, indices) : x.IndexSelect(dim, indices));
                    if (x is null || indices is null) { Agrees("IndexSelect", y, false, "null"); return; }
                    int? d = NormDim(dim, x.Rank);
                    if (!Agrees("IndexSelect", y, d is not null && indices.All(i => i >= 0 && i < size), "dim / indices")) return;
                    var xs = x.Shape.ToArray();
                    var outShape = (int[])xs.Clone();
                    outShape[d!.Value] = indices.Length;
                    var xv = x.ToDoubleArray();
                    var expected = Enumerable.Range(0, Numel(outShape)).Select(i =>
                    {
                        var idx = Unravel(i, outShape);
                        idx[d.Value] = indices[idx[d.Value]];
                        return xv[Ravel(idx, xs)];
                    }).ToArray();
                    Expect("IndexSelect", y!, x.DType, outShape, expected);
                    break;
                }
            }
        }
    }
}
