namespace Autodiff;

public static partial class Ops
{
    /// <summary>Sums the product of the operands' elements over the subscripts that are not in the output, as the
    /// Einstein summation <paramref name="equation"/> says. Same as <c>torch.einsum</c>.</summary>
    /// <remarks>
    /// <para>The equation names each operand's dims with letters (<c>a-z</c>, <c>A-Z</c>), operands separated by commas,
    /// e.g. <c>"bhqd,bhkd->bhqk"</c>; spaces are ignored. After <c>-></c> come the output's subscripts (explicit mode);
    /// without it the output is every letter that appears exactly once, in alphabetical order (capitals first, as
    /// PyTorch and NumPy), so <c>"ij,jk"</c> is <c>"ij,jk->ik"</c> and <c>"ii"</c> is the trace. A letter repeated within
    /// one operand takes that operand's diagonal (<c>"ii->i"</c>). An ellipsis <c>...</c> stands for the dims not named,
    /// broadcast across operands from the right, and goes first in an implicit output (in an explicit output without
    /// <c>...</c>, those dims are summed). As in PyTorch, the dims a letter names in different operands must have the same
    /// size or size 1 (broadcast).</para>
    /// <para>Forward <c>y[out] = Σ_{letters not in out} Πₖ xₖ[subscriptsₖ]</c>. It is a composition of recorded ops, so
    /// it records nothing of its own: each operand's diagonal (IndexSelect), its letters found nowhere else summed away
    /// (Sum), then the operands folded left to right, each pair as one batched matrix product (Permute, Reshape, MatMul:
    /// batch letters, then the letters of one side, times the contracted letters), and a final Permute to the output order.
    /// Backward is that of those ops, e.g. for <c>"ij,jk->ik"</c> <c>dA = g·Bᵀ</c>, <c>dB = Aᵀ·g</c>; second order works.</para>
    /// </remarks>
    /// <param name="equation">The subscripts, e.g. <c>"bij,bjk->bik"</c>.</param>
    /// <param name="operands">The tensors, one per comma-separated term of the equation, all of one dtype.</param>
    /// <returns>A tensor whose dims follow the output subscripts.</returns>
    /// <exception cref="ArgumentNullException">The equation, the operand array or an operand is null.</exception>
    /// <exception cref="ArgumentException">The equation is malformed (a character other than a letter, comma, space,
    /// <c>-></c> or <c>...</c>), the operand count differs from the terms, an operand's rank differs from its subscripts,
    /// the dims one letter names have sizes that are neither equal nor 1 (or differ within one operand), an output letter
    /// is not in any input or is repeated, or the dtypes differ.</exception>
    public static Tensor Einsum(string equation, params Tensor[] operands)
    {
        const string op = "Einsum";
        Check.NotNullArg(op, equation, nameof(equation));
        Check.NotNullArg(op, operands, nameof(operands));
        for (int i = 0; i < operands.Length; i++) Check.NotNull(op, operands[i], $"{nameof(operands)}[{i}]");
        var problem = new EinsumProblem(equation, operands);
        for (int i = 1; i < operands.Length; i++)
            if (operands[i].DType != operands[0].DType)
                problem.Fail($"operands must share a dtype, got {operands[0].DType} and {operands[i].DType} (operand {i})");

        var (terms, output, sizes) = problem.Parse();
        var xs = new Tensor[operands.Length];
        for (int k = 0; k < operands.Length; k++)
            xs[k] = EinsumPrepare(operands[k], terms[k], sizes);                          // diagonals, size-1 broadcast dims dropped

        for (int k = 0; k < xs.Length; k++)                                              // letters found only in operand k: Σ now
        {
            var others = new HashSet<int>(output);
            for (int j = 0; j < xs.Length; j++) if (j != k) others.UnionWith(terms[j]);
            xs[k] = EinsumSumOut(xs[k], terms[k], others);
        }

        var (y, labels) = (xs[0], terms[0]);
        for (int k = 1; k < xs.Length; k++)                                              // fold left to right
        {
            var keep = new HashSet<int>(output);
            for (int j = k + 1; j < xs.Length; j++) keep.UnionWith(terms[j]);
            (y, labels) = EinsumContract(y, labels, xs[k], terms[k], keep);
        }

        y = EinsumSumOut(y, labels, [.. output]);
        var order = new int[output.Count];
        bool identity = true;
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = labels.IndexOf(output[i]);
            identity &= order[i] == i;
        }
        if (!identity) return Permute(y, order);
        return ReferenceEquals(y, operands[0]) ? Reshape(y, y.Shape.ToArray()) : y;      // "ij->ij" is a view, as in PyTorch
    }

    /// <summary>One operand made ready to contract: each letter it repeats replaced by its diagonal (the repeated dims
    /// moved last, merged, and every (n+1)-th element selected), and each size-1 dim whose letter is larger elsewhere
    /// dropped (its single element is the sum over it; the other operands carry the letter and the broadcast).
    /// <paramref name="labels"/> is updated to the dims that remain.</summary>
    private static Tensor EinsumPrepare(Tensor x, List<int> labels, Dictionary<int, int> sizes)
    {
        for (int p = 0; p < labels.Count; p++)
        {
            int q = labels.IndexOf(labels[p], p + 1);
            if (q < 0) continue;
            int n = x.Shape[p];                                                          // [.., n (p), .., n (q), ..]
            var perm = new List<int>();
            for (int d = 0; d < labels.Count; d++) if (d != p && d != q) perm.Add(d);
            perm.Add(p);
            perm.Add(q);
            var moved = Permute(x, [.. perm]);                                           // [.., n, n]
            var dims = moved.Shape.ToArray();
            var diagonal = new int[n];
            for (int i = 0; i < n; i++) diagonal[i] = i * (n + 1);
            x = IndexSelect(Reshape(moved, [.. dims[..^2], n * n]), -1, diagonal);        // [.., n]: x[.., i, .., i, ..]
            int label = labels[p];
            var rest = new List<int>();
            for (int d = 0; d < labels.Count; d++) if (d != p && d != q) rest.Add(labels[d]);
            rest.Add(label);
            labels.Clear();
            labels.AddRange(rest);
            p = -1;                                                                      // look again from the start
        }

        var kept = new List<int>();
        for (int d = 0; d < labels.Count; d++)
            if (x.Shape[d] != 1 || sizes[labels[d]] == 1) kept.Add(d);
        if (kept.Count == labels.Count) return x;
        var shape = new int[kept.Count];
        var keptLabels = new int[kept.Count];
        for (int i = 0; i < kept.Count; i++) (shape[i], keptLabels[i]) = (x.Shape[kept[i]], labels[kept[i]]);
        labels.Clear();
        labels.AddRange(keptLabels);
        return Reshape(x, shape);
    }

    /// <summary>x summed over the dims whose labels are not in <paramref name="keep"/>; <paramref name="labels"/> loses them.</summary>
    private static Tensor EinsumSumOut(Tensor x, List<int> labels, HashSet<int> keep)
    {
        for (int d = labels.Count - 1; d >= 0; d--)
        {
            if (keep.Contains(labels[d])) continue;
            x = Sum(x, d);
            labels.RemoveAt(d);
        }
        return x;
    }

    /// <summary>The product of two prepared operands summed over the letters they share that are not in
    /// <paramref name="keep"/>, as one batched matrix product: a read as <c>[batch, left, contracted]</c> (or
    /// <c>[batch, contracted, left]</c>, transposed in place), b as <c>[batch, contracted, right]</c> (or
    /// <c>[batch, right, contracted]</c>). Returns the product <c>[batch.., left.., right..]</c> and its labels.</summary>
    private static (Tensor Y, List<int> Labels) EinsumContract(Tensor a, List<int> aLabels, Tensor b, List<int> bLabels, HashSet<int> keep)
    {
        var aKeep = new HashSet<int>(keep);
        aKeep.UnionWith(bLabels);
        a = EinsumSumOut(a, aLabels, aKeep);
        var bKeep = new HashSet<int>(keep);
        bKeep.UnionWith(aLabels);
        b = EinsumSumOut(b, bLabels, bKeep);

        List<int> batch = [], contracted = [], left = [], right = [];
        foreach (int l in aLabels)
        {
            if (!bLabels.Contains(l)) left.Add(l);
            else if (keep.Contains(l)) batch.Add(l);
            else contracted.Add(l);
        }
        foreach (int l in bLabels) if (!aLabels.Contains(l)) right.Add(l);

        int Size(Tensor t, List<int> labels, List<int> group)
        {
            int n = 1;
            foreach (int l in group) n *= t.Shape[labels.IndexOf(l)];
            return n;
        }
        int batchSize = Size(a, aLabels, batch), m = Size(a, aLabels, left), k = Size(a, aLabels, contracted), n = Size(b, bLabels, right);

        bool transA = aLabels.SequenceEqual([.. batch, .. contracted, .. left]) && !aLabels.SequenceEqual([.. batch, .. left, .. contracted]);
        bool transB = bLabels.SequenceEqual([.. batch, .. right, .. contracted]) && !bLabels.SequenceEqual([.. batch, .. contracted, .. right]);
        var a3 = EinsumAsMatrices(a, aLabels, transA ? [.. batch, .. contracted, .. left] : [.. batch, .. left, .. contracted],
            batch.Count > 0, batchSize, transA ? k : m, transA ? m : k);
        var b3 = EinsumAsMatrices(b, bLabels, transB ? [.. batch, .. right, .. contracted] : [.. batch, .. contracted, .. right],
            batch.Count > 0, batchSize, transB ? n : k, transB ? k : n);
        var y = MatMulTransposed(a3, transA, b3, transB);                                 // [batch, m, n] = Σ_k a·b

        var dims = new List<int>();
        foreach (int l in batch) dims.Add(a.Shape[aLabels.IndexOf(l)]);
        foreach (int l in left) dims.Add(a.Shape[aLabels.IndexOf(l)]);
        foreach (int l in right) dims.Add(b.Shape[bLabels.IndexOf(l)]);
        return (Reshape(y, [.. dims]), [.. batch, .. left, .. right]);
    }

    /// <summary>x permuted to <paramref name="order"/> (when not already so) and read as <c>[batch, rows, cols]</c>, or
    /// <c>[rows, cols]</c> when there are no batch letters.</summary>
    private static Tensor EinsumAsMatrices(Tensor x, List<int> labels, List<int> order, bool batched, int batch, int rows, int cols)
    {
        if (!labels.SequenceEqual(order))
        {
            var perm = new int[order.Count];
            for (int i = 0; i < perm.Length; i++) perm[i] = labels.IndexOf(order[i]);
            x = Permute(x, perm);
        }
        return batched ? Reshape(x, batch, rows, cols) : Reshape(x, rows, cols);
    }

    /// <summary>The equation and operands of one Einsum call: parsing, validation, and its error messages (each naming
    /// Einsum, the equation and the operands' shapes).</summary>
    private sealed class EinsumProblem(string equation, Tensor[] operands)
    {
        private const int EllipsisLabel = -1;
        private const int FirstEllipsisDim = 52;                                         // labels 0..51 are A-Z, a-z

        /// <summary>Throws the ArgumentException of an invalid call.</summary>
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Fail(string what) =>
            Check.Fail("Einsum", $"equation \"{equation}\": {what} (operand shapes {string.Join(", ", operands.Select(t => t.Shape))}).", nameof(equation));

        /// <summary>Each operand's labels (ellipsis dims numbered from 52, right-aligned), the output's labels, and each
        /// label's size (the size other than 1 its dims have, else 1).</summary>
        public (List<int>[] Terms, List<int> Output, Dictionary<int, int> Sizes) Parse()
        {
            var text = string.Concat(equation.Where(c => !char.IsWhiteSpace(c)));
            int arrow = text.IndexOf("->", StringComparison.Ordinal);
            if (arrow >= 0 && text.IndexOf("->", arrow + 2, StringComparison.Ordinal) >= 0) Fail("'->' appears more than once");
            var lhs = arrow >= 0 ? text[..arrow] : text;
            var rawTerms = lhs.Split(',');
            if (operands.Length == 0) Fail("at least one operand is needed, got none");
            if (rawTerms.Length != operands.Length)
                Fail($"has {rawTerms.Length} operand term(s) but {operands.Length} operand(s) were given");

            var terms = new List<int>[operands.Length];
            int ellipsisRank = 0;
            for (int k = 0; k < terms.Length; k++)
            {
                terms[k] = Tokens(rawTerms[k], $"operand {k}");
                int letters = terms[k].Count(l => l != EllipsisLabel);
                bool hasEllipsis = terms[k].Contains(EllipsisLabel);
                int rank = operands[k].Rank;
                if (hasEllipsis ? rank < letters : rank != letters)
                    Fail($"operand {k} has {rank} dim(s) {operands[k].Shape} but subscripts \"{rawTerms[k]}\" name {letters}");
                if (hasEllipsis) ellipsisRank = Math.Max(ellipsisRank, rank - letters);
            }
            for (int k = 0; k < terms.Length; k++)                                       // "..." -> its dims' labels
            {
                int at = terms[k].IndexOf(EllipsisLabel);
                if (at < 0) continue;
                int covered = operands[k].Rank - (terms[k].Count - 1);
                terms[k].RemoveAt(at);
                terms[k].InsertRange(at, Enumerable.Range(FirstEllipsisDim + ellipsisRank - covered, covered));
            }

            var sizes = new Dictionary<int, int>();
            var counts = new Dictionary<int, int>();
            for (int k = 0; k < terms.Length; k++)
            {
                for (int d = 0; d < terms[k].Count; d++)
                {
                    int label = terms[k][d], size = operands[k].Shape[d];
                    counts[label] = counts.GetValueOrDefault(label) + 1;
                    int first = terms[k].IndexOf(label);
                    if (first < d && operands[k].Shape[first] != size)
                        Fail($"subscript {Name(label)} is repeated in operand {k} for dims of sizes {operands[k].Shape[first]} and {size}, which must match to take a diagonal");
                    if (!sizes.TryGetValue(label, out int known) || known == 1) sizes[label] = size;
                    else if (size != 1 && size != known)
                        Fail($"subscript {Name(label)} has size {size} in operand {k} but {known} elsewhere (sizes must match or be 1)");
                }
            }

            List<int> output;
            if (arrow >= 0)
            {
                output = Tokens(text[(arrow + 2)..], "the output");
                int at = output.IndexOf(EllipsisLabel);
                if (at >= 0)
                {
                    output.RemoveAt(at);
                    output.InsertRange(at, Enumerable.Range(FirstEllipsisDim, ellipsisRank));
                }
                for (int i = 0; i < output.Count; i++)
                {
                    if (!sizes.ContainsKey(output[i])) Fail($"output subscript {Name(output[i])} does not appear in any input");
                    if (output.IndexOf(output[i]) < i) Fail($"output subscript {Name(output[i])} appears more than once");
                }
            }
            else
            {
                output = [.. Enumerable.Range(FirstEllipsisDim, ellipsisRank)];            // ellipsis dims first, then
                for (int l = 0; l < FirstEllipsisDim; l++)                               // letters seen once, A-Z a-z
                    if (counts.GetValueOrDefault(l) == 1) output.Add(l);
            }
            return (terms, output, sizes);
        }

        /// <summary>The labels of one term: letters as 0..51 (A-Z, then a-z), "..." as <see cref="EllipsisLabel"/>.</summary>
        private List<int> Tokens(string term, string what)
        {
            var labels = new List<int>();
            for (int i = 0; i < term.Length; i++)
            {
                char c = term[i];
                if (c is >= 'A' and <= 'Z') labels.Add(c - 'A');
                else if (c is >= 'a' and <= 'z') labels.Add(26 + c - 'a');
                else if (c == '.')
                {
                    if (i + 2 >= term.Length || term[i + 1] != '.' || term[i + 2] != '.')
                        Fail($"'.' in {what} must be part of an ellipsis '...'");
                    if (labels.Contains(EllipsisLabel)) Fail($"{what} has more than one ellipsis '...'");
                    labels.Add(EllipsisLabel);
                    i += 2;
                }
                else Fail($"invalid character '{c}' in {what}; subscripts are letters a-z, A-Z");
            }
            return labels;
        }

        private static string Name(int label) => label switch
        {
            < 26 => $"'{(char)('A' + label)}'",
            < FirstEllipsisDim => $"'{(char)('a' + label - 26)}'",
            _ => $"'...' (dim {label - FirstEllipsisDim})",
        };
    }
}
