// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604

namespace Autodiff.Tests.Core;

// Fuzzing the reductions along a dim or over all elements: Sum, Mean, Max, Min, Argmax, Softmax, LogSoftmax.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
        // ---- reductions --------------------------------------------------------------------------------------------

        private void ReductionCase()
        {
            var x = Operand();
            string op = Pick("Sum", "Mean", "Max", "Min");
            bool withDim = Chance(65), keepDim = Chance(40);
            int dim = RandomDim();
            var y = Call(op, $"{Describe(x)}" + (withDim ? $", dim {dim}, keepDim {keepDim}" : ""), () => (op, withDim) switch
            {
                ("Sum", true) => Autodiff.Ops.Sum(x, dim, keepDim),
                ("Sum", false) => x is null ? Autodiff.Ops.Sum(x) : x.Sum(),
                ("Mean", true) => x is null ? Autodiff.Ops.Mean(x, dim, keepDim) : x.Mean(dim, keepDim),
                ("Mean", false) => Autodiff.Ops.Mean(x),
                ("Max", true) => Autodiff.Ops.Max(x, dim, keepDim),
                ("Max", false) => Autodiff.Ops.Max(x),
                ("Min", true) => x is null ? Autodiff.Ops.Min(x, dim, keepDim) : x.Min(dim, keepDim),
                _ => Autodiff.Ops.Min(x),
            });
            if (x is null) { Agrees(op, y, false, "null operand"); return; }
            var xs = x.Shape.ToArray();
            var xv = x.ToDoubleArray();
            bool extreme = op is "Max" or "Min";
            if (!withDim)
            {
                if (!Agrees(op, y, !(extreme && x.Numel == 0), "empty tensor")) return;
                Expect(op, y!, x.DType, [], [Fold(op, xv, out _)]);
                return;
            }
            int? d = NormDim(dim, x.Rank);
            if (!Agrees(op, y, d is not null && !(extreme && xs[d.Value] == 0), "dim / empty dim")) return;
            var (outer, size, inner) = Around(xs, d!.Value);
            var expected = new double[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    expected[o * inner + i] = Fold(op, Enumerable.Range(0, size).Select(k => xv[(o * size + k) * inner + i]).ToArray(), out _);
            Expect(op, y!, x.DType, ReduceShape(xs, d.Value, keepDim), expected);
        }

        /// <summary>Sum, mean (NaN when empty, as PyTorch), or max/min where a NaN wins; <paramref name="index"/> is the
        /// first index attaining the result.</summary>
        private static double Fold(string op, double[] v, out int index)
        {
            index = 0;
            switch (op)
            {
                case "Sum": return v.Sum();
                case "Mean": return v.Sum() / v.Length;
                default:
                    bool max = op == "Max";
                    double best = v[0];
                    for (int k = 1; k < v.Length && !double.IsNaN(best); k++)
                        if (double.IsNaN(v[k]) || (max ? v[k] > best : v[k] < best)) { best = v[k]; index = k; }
                    return best;
            }
        }

        private void ArgmaxCase()
        {
            var x = Operand();
            int dim = RandomDim();
            bool keepDim = Chance(40), indices = Chance(50);
            string op = indices ? "ArgmaxIndices" : "Argmax";
            int[]? idx = null;
            object? y = indices
                ? Call(op, $"{Describe(x)}, dim {dim}", () => idx = Autodiff.Ops.ArgmaxIndices(x, dim))
                : Call(op, $"{Describe(x)}, dim {dim}, keepDim {keepDim}", () => x is null ? Autodiff.Ops.Argmax(x, dim, keepDim) : x.Argmax(dim, keepDim));
            if (x is null) { Agrees(op, y, false, "null operand"); return; }
            var xs = x.Shape.ToArray();
            int? d = NormDim(dim, x.Rank);
            if (!Agrees(op, y, d is not null && xs[d.Value] != 0, "dim / empty dim")) return;
            var xv = x.ToDoubleArray();
            var (outer, size, inner) = Around(xs, d!.Value);
            var expected = new double[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    Fold("Max", Enumerable.Range(0, size).Select(k => xv[(o * size + k) * inner + i]).ToArray(), out int at);
                    expected[o * inner + i] = at;
                }
            stats.ReferenceChecks++;
            if (indices)
            {
                if (!idx!.Select(v => (double)v).SequenceEqual(expected)) Fail(op, $"indices {Fmt(idx)}, reference {string.Join(", ", expected)}");
            }
            else Expect(op, (Tensor)y!, DType.Int64, ReduceShape(xs, d.Value, keepDim), expected);
        }

        private void SoftmaxCase()
        {
            var x = Operand();
            int dim = RandomDim();
            bool log = Chance(50);
            string op = log ? "LogSoftmax" : "Softmax";
            var y = Call(op, $"{Describe(x)}, dim {dim}", () => log ? Autodiff.Ops.LogSoftmax(x, dim) : x is null ? Autodiff.Ops.Softmax(x, dim) : x.Softmax(dim));
            if (x is null) { Agrees(op, y, false, "null operand"); return; }
            var xs = x.Shape.ToArray();
            int? d = NormDim(dim, x.Rank);
            if (!Agrees(op, y, d is not null, "dim")) return;
            var xv = x.ToDoubleArray();
            var (outer, size, inner) = Around(xs, d!.Value);
            var expected = new double[xv.Length];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    if (size == 0) continue;
                    var row = Enumerable.Range(0, size).Select(k => xv[(o * size + k) * inner + i]).ToArray();
                    double m = row.Any(double.IsNaN) ? double.NaN : row.Max();
                    if (double.IsInfinity(m)) m = 0;       // all -inf or a +inf: no shift, IEEE decides (NaN rows, as PyTorch)
                    double logSum = Math.Log(row.Sum(v => Math.Exp(v - m)));
                    for (int k = 0; k < size; k++)
                    {
                        double ls = (row[k] - m) - logSum;
                        expected[(o * size + k) * inner + i] = log ? ls : Math.Exp(ls);
                    }
                }
            Expect(op, y!, x.DType, xs, expected);
        }
    }
}
