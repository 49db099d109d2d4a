// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604
using System.Globalization;
using System.Text;
using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.Core;

/// <summary>A seeded fuzzer over the public API: random short programs with random (often wrong) shapes, dims,
/// indices, labels, NaN/±Inf data, mixed dtypes, empty tensors and null arguments. Every call must either return
/// a result (checked against a float64 reference where one is written below) or throw an ArgumentException (or
/// subclass) whose message names the op. Any other exception, a wrong value, or a valid call rejected / an invalid
/// call accepted fails the test; the first 10 failures are reported with their seed and program.</summary>
public class FuzzTests
{
    private const int ProgramCount = 40_000;
    private const long BaseSeed = 20_260_000;

    [Test]
    public void RandomPrograms_MatchReferenceOrThrowArgumentExceptionNamingTheOp()
    {
        var failures = new List<string>();
        var stats = new Stats();
        for (int p = 0; p < ProgramCount; p++)
        {
            long seed = BaseSeed + p;
            Tape.Current.Clear();
            var fuzz = new Fuzzer(seed, failures, stats);
            try { fuzz.Run(); }
            catch (Exception e) { failures.Add($"seed {seed}: the harness itself threw {e}\nprogram:\n{fuzz.Log}"); }
        }
        Tape.Current.Clear();
        TestContext.Out.WriteLine($"{ProgramCount} programs, {stats.Calls} calls ({stats.Succeeded} returned, {stats.Rejected} rejected), " +
            $"{stats.ReferenceChecks} reference checks, {stats.Backwards} backward passes, {stats.GradChecks} gradient finiteness checks");
        Assert.That(failures, Is.Empty,
            $"{failures.Count} fuzz failures; the first {Math.Min(10, failures.Count)}:\n\n" + string.Join("\n\n", failures.Take(10)));
    }

    private sealed class Stats
    {
        public int Calls, Succeeded, Rejected, ReferenceChecks, Backwards, GradChecks;
    }

    private static readonly HashSet<string> SmoothOps =
    [
        "Add", "Sub", "Mul", "Maximum", "Minimum", "Where", "MatMul", "Sum", "Mean", "Max", "Min", "Softmax", "LogSoftmax",
        "SoftmaxCrossEntropy", "NllLoss", "BinaryCrossEntropyWithLogits", "Reshape", "Flatten", "Transpose", "Permute",
        "Unsqueeze", "Squeeze", "Expand", "Cat", "Stack", "Slice", "Select", "IndexSelect", "Clamp", "LeakyRelu",
        "Softplus", "Gelu", "Exp", "Abs", "Relu", "Sigmoid", "Tanh", "Neg", "To", "CrossEntropy", "MseLoss", "L1Loss",
        "BCEWithLogitsLoss", "Linear", "Argmax", "ArgmaxIndices", "Backward",
    ];

    private sealed class Fuzzer(long seed, List<string> failures, Stats stats)
    {
        private readonly Generator _rng = new(seed);
        private readonly StringBuilder _log = new();
        private readonly List<Tensor> _pool = [];
        private readonly List<Tensor> _leaves = [];
        private bool _smooth = true;

        public string Log => _log.ToString();

        // ---- the program ----------------------------------------------------------------------------------------

        public void Run()
        {
            _pool.Add(RandomTensor());
            int steps = 1 + Int(3);
            for (int s = 0; s < steps; s++) Step();
            if (Chance(60)) BackwardAndCheck();
        }

        private void Step()
        {
            switch (Int(26))
            {
                case 0: FromArrayCase(); break;
                case 1: FactoryCase(); break;
                case 2: ArangeCase(); break;
                case 3: case 4: BinaryCase(); break;
                case 5: WhereCase(); break;
                case 6: MatMulCase(); break;
                case 7: case 8: ReductionCase(); break;
                case 9: ArgmaxCase(); break;
                case 10: SoftmaxCase(); break;
                case 11: ClassLossCase(); break;
                case 12: BceCase(); break;
                case 13: ReshapeCase(); break;
                case 14: TransposePermuteCase(); break;
                case 15: SqueezeFlattenCase(); break;
                case 16: ExpandCase(); break;
                case 17: CatStackCase(); break;
                case 18: SliceSelectCase(); break;
                case 19: ParamUnaryCase(); break;
                case 20: case 21: UnaryCase(); break;
                case 22: ToCase(); break;
                case 23: FunctionalLossCase(); break;
                case 24: LinearCase(); break;
                default: SliceSelectCase(); break;
            }
        }

        // ---- calling and judging ------------------------------------------------------------------------------

        private T? Call<T>(string op, string args, Func<T> f, params string[] alsoNamed) where T : class
        {
            stats.Calls++;
            _log.Append("  ").Append(op).Append('(').Append(args).Append(')');
            T result;
            try
            {
                result = f();
            }
            catch (Exception e)
            {
                _log.Append(" -> ").Append(e.GetType().Name).Append(": ").AppendLine(e.Message);
                bool named = e.Message.Contains(op, StringComparison.Ordinal) || alsoNamed.Any(n => e.Message.Contains(n, StringComparison.Ordinal));
                if (e is ArgumentException && named) stats.Rejected++;
                else Fail(op, $"threw {e.GetType().FullName} (policy: ArgumentException naming the op): {e.Message}\n{Trim(e.StackTrace)}");
                return null;
            }
            stats.Succeeded++;
            if (result is null) { Fail(op, "returned null"); return null; }
            if (result is Tensor t)
            {
                _log.Append(" -> ").AppendLine(Describe(t));
                _pool.Add(t);
                if (!SmoothOps.Contains(op)) _smooth = false;
            }
            else _log.AppendLine(" -> ok");
            return result;
        }

        private static string Trim(string? stack) =>
            stack is null ? "" : string.Join("\n", stack.Split('\n').Take(6));

        private void Fail(string op, string message) =>
            failures.Add($"seed {seed}: {op}: {message}\nprogram:\n{_log}");

        /// <summary>The reference says the call is invalid (or valid): check the outcome agrees.</summary>
        private bool Agrees(string op, object? result, bool valid, string why)
        {
            if (valid && result is null) { Fail(op, $"rejected a valid call ({why})"); return false; }
            if (!valid && result is not null) { Fail(op, $"accepted an invalid call ({why})"); return false; }
            return valid;
        }

        private void Expect(string op, Tensor y, DType dtype, int[] shape, double[] expected)
        {
            stats.ReferenceChecks++;
            if (y.DType != dtype) { Fail(op, $"dtype {y.DType}, expected {dtype}"); return; }
            if (!y.Shape.ToArray().SequenceEqual(shape)) { Fail(op, $"shape {y.Shape}, expected {Fmt(shape)}"); return; }
            var actual = y.ToDoubleArray();
            double tol = dtype == DType.Float64 ? 1e-9 : 1e-5;
            for (int i = 0; i < expected.Length; i++)
            {
                double e = dtype == DType.Float32 ? (float)expected[i] : expected[i];
                if (!Close(e, actual[i], tol))
                {
                    Fail(op, $"value [{i}] = {actual[i].ToString("R", CultureInfo.InvariantCulture)}, reference {e.ToString("R", CultureInfo.InvariantCulture)}");
                    return;
                }
            }
        }

        private static bool Close(double e, double a, double tol) =>
            double.IsNaN(e) ? double.IsNaN(a)
            : double.IsInfinity(e) ? e == a
            : !double.IsNaN(a) && !double.IsInfinity(a) && Math.Abs(e - a) <= tol * Math.Max(1, Math.Abs(e));

        // ---- backward -------------------------------------------------------------------------------------------

        private void BackwardAndCheck()
        {
            var candidates = _pool.Where(t => t.RequiresGrad && !t.IsLeaf).ToList();
            if (candidates.Count == 0) return;
            var root = candidates[Int(candidates.Count)];
            var loss = Call("Sum", Describe(root), () => Autodiff.Ops.Sum(root));
            if (loss is null) return;
            stats.Backwards++;
            if (Call("Backward", "retainGraph: false", () => { loss.Backward(null, retainGraph: false); return loss; }) is null) return;
            foreach (var leaf in _leaves)
            {
                if (leaf.Grad is null) continue;
                if (leaf.Grad.Shape != leaf.Shape || leaf.Grad.DType != leaf.DType)
                    Fail("Backward", $"gradient {leaf.Grad.DType} {leaf.Grad.Shape} for leaf {leaf.DType} {leaf.Shape}");
            }
            bool finite = _smooth && _pool.All(AllFinite) && AllFinite(loss);
            if (!finite) return;
            foreach (var leaf in _leaves)
            {
                if (leaf.Grad is null) continue;
                stats.GradChecks++;
                if (!AllFinite(leaf.Grad)) Fail("Backward", $"non-finite gradient {leaf.Grad} for finite leaf {leaf} through smooth ops");
            }
        }

        private static bool AllFinite(Tensor t) => t.ToDoubleArray().All(double.IsFinite);

        // ---- random inputs --------------------------------------------------------------------------------------

        private int Int(int n) => _rng.NextInt(n);
        private bool Chance(int percent) => _rng.NextInt(100) < percent;
        private T Pick<T>(params T[] items) => items[Int(items.Length)];

        private int RandomDim() => Chance(3) ? Pick(int.MinValue, int.MaxValue, -100, 100) : Int(9) - 4;

        private int RandomSize() => Chance(12) ? 0 : 1 + Int(4);

        private int[] RandomShape(int maxRank = 4)
        {
            int rank = Chance(10) ? 0 : 1 + Int(maxRank);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++) dims[i] = RandomSize();
            return dims;
        }

        private DType RandomDType() => Chance(25) ? DType.Float32 : DType.Float64;

        private double[] RandomData(int n)
        {
            bool specials = Chance(25);
            var data = new double[n];
            for (int i = 0; i < n; i++)
                data[i] = specials && Chance(20)
                    ? Pick(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0)
                    : Math.Round(_rng.NextNormal() * 2, 3);
            return data;
        }

        private Tensor RandomTensor(int[]? shape = null, DType? dtype = null)
        {
            shape ??= RandomShape();
            var dt = dtype ?? RandomDType();
            int n = shape.Aggregate(1, (a, b) => a * b);
            var data = RandomData(n);
            var t = dt == DType.Float64 ? Tensor.FromArray(data, shape) : Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape);
            if (Chance(50)) t.RequiresGrad = true;
            _leaves.Add(t);
            _log.Append("  leaf ").AppendLine(Describe(t));
            return t;
        }

        /// <summary>A tensor from the pool, a fresh one, or (rarely) null.</summary>
        private Tensor Operand()
        {
            if (Chance(2)) { _log.AppendLine("  operand null"); return null!; }
            if (_pool.Count > 0 && Chance(60)) return _pool[Int(_pool.Count)];
            var t = RandomTensor();
            _pool.Add(t);
            return t;
        }

        /// <summary>A second operand: same shape, a broadcast partner, or any shape; usually the same dtype.</summary>
        private Tensor Partner(Tensor? a)
        {
            if (a is null || Chance(10)) return Operand();
            var dt = Chance(8) ? RandomDType() : a.DType;
            int[] shape = Int(3) switch
            {
                0 => a.Shape.ToArray(),
                1 => a.Shape.Skip(Int(a.Rank + 1)).Select(d => Chance(35) ? 1 : d).ToArray(),
                _ => RandomShape(),
            };
            var t = RandomTensor(shape, dt);
            _pool.Add(t);
            return t;
        }

        private static string Describe(Tensor? t)
        {
            if (t is null) return "null";
            var sb = new StringBuilder().Append(t.DType == DType.Float32 ? "f32" : "f64").Append(t.Shape);
            if (t.RequiresGrad) sb.Append(" rg");
            if (t.Numel <= 8) sb.Append(" {").Append(string.Join(", ", t.ToDoubleArray().Select(v => v.ToString("G4", CultureInfo.InvariantCulture)))).Append('}');
            return sb.ToString();
        }

        private static string Fmt(int[]? dims) => dims is null ? "null" : "[" + string.Join(", ", dims) + "]";

        // ---- reference helpers ----------------------------------------------------------------------------------

        private static int Numel(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

        private static int[] Unravel(int flat, int[] shape)
        {
            var idx = new int[shape.Length];
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
            return idx;
        }

        private static int Ravel(int[] idx, int[] shape)
        {
            int flat = 0;
            for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + idx[d];
            return flat;
        }

        private static int[]? BroadcastShape(int[] a, int[] b)
        {
            int rank = Math.Max(a.Length, b.Length);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
                int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
                if (da != db && da != 1 && db != 1) return null;
                dims[i] = da == 1 ? db : da;
            }
            return dims;
        }

        /// <summary>The element of <paramref name="src"/> (shape <paramref name="srcShape"/>) read at a broadcast index.</summary>
        private static double ReadBroadcast(double[] src, int[] srcShape, int[] idx)
        {
            int lead = idx.Length - srcShape.Length, flat = 0;
            for (int d = 0; d < srcShape.Length; d++) flat = flat * srcShape[d] + (srcShape[d] == 1 ? 0 : idx[lead + d]);
            return src[flat];
        }

        private static int? NormDim(int dim, int rank)
        {
            long d = dim < 0 ? (long)dim + rank : dim;
            return rank == 0 || d < 0 || d >= rank ? null : (int)d;
        }

        private static (int Outer, int Size, int Inner) Around(int[] shape, int d)
        {
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= shape[i];
            for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
            return (outer, shape[d], inner);
        }

        private static int[] ReduceShape(int[] shape, int d, bool keepDim)
        {
            var l = shape.ToList();
            if (keepDim) l[d] = 1; else l.RemoveAt(d);
            return [.. l];
        }

        private static double[] PermuteRef(double[] x, int[] shape, int[] perm, out int[] outShape)
        {
            outShape = perm.Select(p => shape[p]).ToArray();
            var y = new double[x.Length];
            for (int i = 0; i < y.Length; i++)
            {
                var oi = Unravel(i, outShape);
                var xi = new int[shape.Length];
                for (int k = 0; k < perm.Length; k++) xi[perm[k]] = oi[k];
                y[i] = x[Ravel(xi, shape)];
            }
            return y;
        }

        // ---- factories --------------------------------------------------------------------------------------------

        private int[] MaybeBadShape()
        {
            int rank = Int(4);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++) dims[i] = Chance(10) ? -1 - Int(3) : Chance(3) ? int.MaxValue : Int(5);
            return dims;
        }

        private static bool ValidShape(int[] dims)
        {
            if (dims.Any(d => d < 0)) return false;
            var n = dims.Aggregate(System.Numerics.BigInteger.One, (a, d) => a * d);
            return n <= Array.MaxLength;                          // a 0 anywhere makes any other dim fine
        }

        private void FromArrayCase()
        {
            var data = RandomData(Int(13));
            int[]? shape = Chance(15) ? [] : MaybeBadShape();
            if (Chance(30) && shape.Length > 0 && ValidShape(shape) && Numel(shape) <= 12) data = RandomData(Numel(shape));
            bool nullData = Chance(3);
            bool f32 = Chance(30);
            var y = Call("FromArray", $"{(nullData ? "null" : data.Length + " values")}, {Fmt(shape)}{(f32 ? ", f32" : "")}", () =>
                nullData ? Tensor.FromArray((double[])null!, shape)
                : f32 ? Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape) : Tensor.FromArray(data, shape));
            int[] expectedShape = shape.Length == 0 ? [data.Length] : shape;
            bool valid = !nullData && ValidShape(expectedShape) && Numel(expectedShape) == data.Length;
            if (Agrees("FromArray", y, valid, "data length vs shape"))
                Expect("FromArray", y!, f32 ? DType.Float32 : DType.Float64, expectedShape, data);
        }

        private void FactoryCase()
        {
            var shape = Chance(3) ? null : MaybeBadShape();
            var dt = RandomDType();
            double value = Pick(1.5, double.NaN, double.NegativeInfinity, -0.0);
            int which = Int(3);
            string op = which == 0 ? "Zeros" : which == 1 ? "Ones" : "Full";
            var y = Call(op, $"{Fmt(shape)}, {dt}" + (which == 2 ? $", {value}" : ""), () => which switch
            {
                0 => Tensor.Zeros(shape!, dt),
                1 => Tensor.Ones(shape!, dt),
                _ => Tensor.Full(shape!, value, dt),
            });
            bool valid = shape is not null && ValidShape(shape);
            if (Agrees(op, y, valid, "shape"))
            {
                double v = which == 0 ? 0 : which == 1 ? 1 : value;
                Expect(op, y!, dt, shape!, Enumerable.Repeat(v, Numel(shape!)).ToArray());
            }
        }

        private void ArangeCase()
        {
            double start = Chance(10) ? Pick(double.NaN, double.PositiveInfinity, double.NegativeInfinity) : Int(13) - 6;
            double end = Chance(10) ? Pick(double.NaN, double.PositiveInfinity, double.NegativeInfinity) : Int(13) - 6 + Pick(0, 0.5);
            double step = Pick(0, 1, -1, 0.5, -0.5, 2.5, -2.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity);
            var dt = RandomDType();
            var y = Call("Arange", $"{start}, {end}, {step}, {dt}", () => Tensor.Arange(start, end, step, dt));
            double count = Math.Ceiling((end - start) / step);
            bool valid = double.IsFinite(start) && double.IsFinite(end) && step != 0 && double.IsFinite(step) && (end - start) * step >= 0;
            if (Agrees("Arange", y, valid, "start/end/step"))
            {
                int n = (int)Math.Max(count, 0);
                Expect("Arange", y!, dt, [n], Enumerable.Range(0, n).Select(i => start + step * i).ToArray());
            }
        }

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
            else Expect(op, (Tensor)y!, x.DType, ReduceShape(xs, d.Value, keepDim), expected);
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

        // ---- losses ------------------------------------------------------------------------------------------------

        private (Tensor Scores, int[] Targets) ClassInputs()
        {
            Tensor scores = Chance(25) ? Operand() : RandomTensor([RandomSize(), RandomSize()]);
            if (!ReferenceEquals(scores, null) && !_pool.Contains(scores)) _pool.Add(scores);
            int n = scores is not null && scores.Rank >= 1 ? scores.Shape[0] : 2;
            int c = scores is not null && scores.Rank >= 2 ? scores.Shape[1] : 2;
            if (Chance(10)) n += Pick(-1, 1);
            var targets = new int[Math.Max(0, n)];
            for (int i = 0; i < targets.Length; i++) targets[i] = Chance(8) ? Pick(-1, c, c + 1, int.MinValue) : Int(Math.Max(c, 1));
            if (Chance(3)) targets = null!;
            return (scores!, targets);
        }

        private void ClassLossCase()
        {
            var (x, t) = ClassInputs();
            bool nll = Chance(50);
            string op = nll ? "NllLoss" : "SoftmaxCrossEntropy";
            var y = Call(op, $"{Describe(x)}, targets {Fmt(t)}", () => nll ? Autodiff.Ops.NllLoss(x, t) : Autodiff.Ops.SoftmaxCrossEntropy(x, t));
            bool valid = x is not null && t is not null && x.Rank == 2 && t.Length == x.Shape[0] && t.All(v => v >= 0 && v < x.Shape[1]);
            if (!Agrees(op, y, valid, "rank / target count / target range")) return;
            int c = x!.Shape[1];
            var xv = x.ToDoubleArray();
            var expected = new double[t!.Length];
            for (int r = 0; r < t.Length; r++)
            {
                var row = xv.Skip(r * c).Take(c).ToArray();
                if (nll) { expected[r] = -row[t[r]]; continue; }
                if (!row.All(double.IsFinite)) return;         // non-finite logits: no simple reference
                double m = row.Max();
                expected[r] = (m - row[t[r]]) + Math.Log(row.Sum(v => Math.Exp(v - m)));
            }
            Expect(op, y!, x.DType, [t.Length], expected);
        }

        private void BceCase()
        {
            var x = Operand();
            var t = Partner(x);
            var y = Call("BinaryCrossEntropyWithLogits", $"{Describe(x)}, {Describe(t)}", () => Autodiff.Ops.BinaryCrossEntropyWithLogits(x, t));
            bool valid = x is not null && t is not null && x.Shape == t.Shape && x.DType == t.DType;
            Agrees("BinaryCrossEntropyWithLogits", y, valid, "shape / dtype");
        }

        private void FunctionalLossCase()
        {
            var reduction = Chance(5) ? (Reduction)7 : Pick(Reduction.Mean, Reduction.Sum, Reduction.None);
            switch (Int(5))
            {
                case 0:
                {
                    var (x, t) = ClassInputs();
                    Call("CrossEntropy", $"{Describe(x)}, {Fmt(t)}, {reduction}", () => Functional.CrossEntropy(x, t, reduction), "SoftmaxCrossEntropy");
                    break;
                }
                case 1:
                {
                    var (x, t) = ClassInputs();
                    Call("NllLoss", $"{Describe(x)}, {Fmt(t)}, {reduction}", () => Functional.NllLoss(x, t, reduction));
                    break;
                }
                default:
                {
                    var a = Operand();
                    var b = Partner(a);
                    string op = Pick("MseLoss", "L1Loss", "BCEWithLogitsLoss");
                    var y = Call(op, $"{Describe(a)}, {Describe(b)}, {reduction}", () => op switch
                    {
                        "MseLoss" => Functional.MseLoss(a, b, reduction),
                        "L1Loss" => Functional.L1Loss(a, b, reduction),
                        _ => Functional.BCEWithLogitsLoss(a, b, reduction),
                    }, "BinaryCrossEntropyWithLogits");
                    bool valid = a is not null && b is not null && a.Shape == b.Shape && a.DType == b.DType && Enum.IsDefined(reduction);
                    Agrees(op, y, valid, "shape / dtype / reduction");
                    break;
                }
            }
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
