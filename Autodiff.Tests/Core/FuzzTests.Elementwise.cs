// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604

namespace Autodiff.Tests.Core;

// Fuzzing the element-wise ops: binary ops with broadcasting, Where, unary and parameterised unary ops, To.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
        // ---- element-wise -----------------------------------------------------------------------------------------

        private void BinaryCase()
        {
            var a = Operand();
            var b = Partner(a);
            string op = Pick("Add", "Sub", "Mul", "Div", "Maximum", "Minimum");
            Func<double, double, double> f = op switch
            {
                "Add" => (x, z) => x + z,
                "Sub" => (x, z) => x - z,
                "Mul" => (x, z) => x * z,
                "Div" => (x, z) => x / z,
                "Maximum" => (x, z) => double.IsNaN(x) || double.IsNaN(z) ? double.NaN : Math.Max(x, z),
                _ => (x, z) => double.IsNaN(x) || double.IsNaN(z) ? double.NaN : Math.Min(x, z),
            };
            bool method = Chance(30);
            var y = Call(op, $"{Describe(a)}, {Describe(b)}", () => op switch
            {
                "Add" => method ? a + b : Autodiff.Ops.Add(a, b),
                "Sub" => method ? a - b : Autodiff.Ops.Sub(a, b),
                "Mul" => method ? a * b : Autodiff.Ops.Mul(a, b),
                "Div" => method ? a / b : Autodiff.Ops.Div(a, b),
                "Maximum" => Autodiff.Ops.Maximum(a, b),
                _ => Autodiff.Ops.Minimum(a, b),
            });
            if (a is null || b is null) { Agrees(op, y, false, "null operand"); return; }
            var shape = BroadcastShape(a.Shape.ToArray(), b.Shape.ToArray());
            if (!Agrees(op, y, shape is not null && a.DType == b.DType, "broadcast / dtype")) return;
            var (av, bv) = (a.ToDoubleArray(), b.ToDoubleArray());
            var expected = new double[Numel(shape!)];
            for (int i = 0; i < expected.Length; i++)
            {
                var idx = Unravel(i, shape!);
                expected[i] = f(ReadBroadcast(av, a.Shape.ToArray(), idx), ReadBroadcast(bv, b.Shape.ToArray(), idx));
            }
            Expect(op, y!, a.DType, shape!, expected);
        }

        private void WhereCase()
        {
            var a = Operand();
            var b = Partner(a);
            Tensor c;
            if (Chance(5)) c = null!;
            else
            {
                var shape = a is null || Chance(20) ? RandomShape() : a.Shape.Skip(Int(a.Rank + 1)).ToArray();
                var data = RandomData(Numel(shape)).Select(v => Chance(50) ? 0.0 : v).ToArray();
                var dt = a is not null && Chance(90) ? a.DType : RandomDType();
                c = dt == DType.Float64 ? Tensor.FromArray(data, shape) : Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape);
            }
            var y = Call("Where", $"{Describe(c)}, {Describe(a)}, {Describe(b)}", () => Autodiff.Ops.Where(c, a, b));
            if (a is null || b is null || c is null) { Agrees("Where", y, false, "null operand"); return; }
            var ab = BroadcastShape(a.Shape.ToArray(), b.Shape.ToArray());
            var shapeAll = ab is null ? null : BroadcastShape(c.Shape.ToArray(), ab);
            if (!Agrees("Where", y, shapeAll is not null && a.DType == b.DType && c.DType == a.DType, "broadcast / dtype")) return;
            var (av, bv, cv) = (a.ToDoubleArray(), b.ToDoubleArray(), c.ToDoubleArray());
            var expected = new double[Numel(shapeAll!)];
            for (int i = 0; i < expected.Length; i++)
            {
                var idx = Unravel(i, shapeAll!);
                expected[i] = ReadBroadcast(cv, c.Shape.ToArray(), idx) != 0
                    ? ReadBroadcast(av, a.Shape.ToArray(), idx) : ReadBroadcast(bv, b.Shape.ToArray(), idx);
            }
            Expect("Where", y!, a.DType, shapeAll!, expected);
        }

        private void UnaryCase()
        {
            var x = Operand();
            string op = Pick("Exp", "Log", "Log1p", "Sqrt", "Abs", "Relu", "Sigmoid", "Tanh", "Neg");
            var y = Call(op, Describe(x), () => op switch
            {
                "Exp" => Autodiff.Ops.Exp(x),
                "Log" => x is null ? Autodiff.Ops.Log(x) : x.Log(),
                "Log1p" => Autodiff.Ops.Log1p(x),
                "Sqrt" => Autodiff.Ops.Sqrt(x),
                "Abs" => Autodiff.Ops.Abs(x),
                "Relu" => Autodiff.Ops.Relu(x),
                "Sigmoid" => Autodiff.Ops.Sigmoid(x),
                "Tanh" => Autodiff.Ops.Tanh(x),
                _ => Chance(50) ? -x : Autodiff.Ops.Neg(x),
            });
            if (!Agrees(op, y, x is not null, "null operand")) return;
            Func<double, double> f = op switch
            {
                "Exp" => Math.Exp,
                "Log" => Math.Log,
                "Log1p" => v => double.IsNaN(v) ? v : v == double.PositiveInfinity ? v : Math.Log(1 + v),
                "Sqrt" => Math.Sqrt,
                "Abs" => Math.Abs,
                "Relu" => v => double.IsNaN(v) ? v : Math.Max(v, 0),
                "Sigmoid" => v => 1 / (1 + Math.Exp(-v)),
                "Tanh" => Math.Tanh,
                _ => v => -v,
            };
            if (op == "Log1p") return; // Log1p(x) loses accuracy as 1 + x for tiny x; no simple reference
            Expect(op, y!, x.DType, x.Shape.ToArray(), x.ToDoubleArray().Select(f).ToArray());
        }

        private void ParamUnaryCase()
        {
            var x = Operand();
            double p = Pick(0.0, 1.0, 2.0, 0.5, -1.0, 3.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.3);
            double q = Pick(0.0, 1.0, -1.0, 2.0, 20.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity);
            switch (Int(5))
            {
                case 0:
                    Call("Pow", $"{Describe(x)}, {p}", () => Chance(50) ? Autodiff.Ops.Pow(x, p) : Autodiff.Ops.Pow(x, (float)p));
                    break;
                case 1:
                {
                    var y = Call("Clamp", $"{Describe(x)}, {p}, {q}", () => Autodiff.Ops.Clamp(x, p, q));
                    Agrees("Clamp", y, x is not null && !double.IsNaN(p) && !double.IsNaN(q) && p <= q, "null / NaN or inverted bounds");
                    break;
                }
                case 2:
                    Call("LeakyRelu", $"{Describe(x)}, {p}", () => Autodiff.Ops.LeakyRelu(x, p));
                    break;
                case 3:
                    Call("Softplus", $"{Describe(x)}, beta {p}, threshold {q}", () => Autodiff.Ops.Softplus(x, p, q));
                    break;
                default:
                    bool tanh = Chance(50);
                    Call("Gelu", $"{Describe(x)}, tanh {tanh}", () => Autodiff.Ops.Gelu(x, tanh));
                    break;
            }
        }

        private void ToCase()
        {
            var x = Operand();
            var dt = RandomDType();
            var y = Call("To", $"{Describe(x)}, {dt}", () => Autodiff.Ops.To(x, dt));
            if (Agrees("To", y, x is not null, "null operand"))
                Expect("To", y!, dt, x.Shape.ToArray(), x.ToDoubleArray());
        }
    }
}
