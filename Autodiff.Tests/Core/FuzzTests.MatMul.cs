// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604
using Autodiff.NN;

namespace Autodiff.Tests.Core;

// Fuzzing the products: MatMul (checked against a reference for 2-D operands) and Functional.Linear.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
        // ---- matmul ------------------------------------------------------------------------------------------------

        private void MatMulCase()
        {
            var a = Chance(30) ? Operand() : RandomTensor(RandomShape(3));
            Tensor b;
            if (a is not null && a.Rank >= 1 && Chance(70))
            {
                int k = Chance(85) ? a.Shape[-1] : RandomSize();
                int[] shape = Int(4) switch
                {
                    0 => [k],
                    1 => [k, RandomSize()],
                    2 => [RandomSize(), k, RandomSize()],
                    _ => [.. a.Shape.Take(Math.Max(0, a.Rank - 2)), k, RandomSize()],
                };
                b = RandomTensor(shape, Chance(92) ? a.DType : RandomDType());
            }
            else b = Operand();
            if (!ReferenceEquals(a, null) && !_pool.Contains(a)) _pool.Add(a);
            var y = Call("MatMul", $"{Describe(a)}, {Describe(b)}", () => Chance(50) ? Autodiff.Ops.MatMul(a, b) : (a is null ? Autodiff.Ops.MatMul(a, b) : a.MatMul(b)));
            if (a is null || b is null) { Agrees("MatMul", y, false, "null operand"); return; }
            if (a.Rank == 2 && b.Rank == 2)
            {
                int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
                if (!Agrees("MatMul", y, k == b.Shape[0] && a.DType == b.DType, "inner dims / dtype")) return;
                var (av, bv) = (a.ToDoubleArray(), b.ToDoubleArray());
                var expected = new double[m * n];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
                        expected[i * n + j] = s;
                    }
                Expect("MatMul", y!, a.DType, [m, n], expected);
            }
            else if (a.Rank == 0 || b.Rank == 0 || a.DType != b.DType) Agrees("MatMul", y, false, "scalar operand / dtype");
        }


        private void LinearCase()
        {
            var x = Operand();
            int inF = x is not null && x.Rank > 0 && Chance(80) ? x.Shape[-1] : RandomSize();
            var w = RandomTensor(Chance(90) ? [RandomSize(), inF] : RandomShape(), x?.DType ?? DType.Float64);
            _pool.Add(w);
            Tensor? b = Chance(50) ? null : RandomTensor(Chance(85) && w.Rank == 2 ? [w.Shape[0]] : RandomShape(2), w.DType);
            Call("Linear", $"{Describe(x)}, {Describe(w)}, {Describe(b)}", () => Functional.Linear(x, w, b), "Add");
        }
    }
}
