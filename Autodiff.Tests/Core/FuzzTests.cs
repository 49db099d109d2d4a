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
/// <remarks>This file holds the test and the harness (the program, calling and judging, backward). The cases live beside
/// it by what they fuzz: FuzzTests.Factories.cs, .Elementwise.cs, .MatMul.cs, .Reductions.cs, .Losses.cs, .Shapes.cs;
/// the random inputs and the reference index arithmetic they share are in FuzzTests.Generators.cs. One random stream
/// drives every case, so a program mixes ops from all of them.</remarks>
public partial class FuzzTests
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

    private sealed partial class Fuzzer(long seed, List<string> failures, Stats stats)
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
                if (t.IsFloatingPoint) _pool.Add(t);           // the programs are float ops; Argmax's Int64 indices end here
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
    }
}
