// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604
using Autodiff.NN;

namespace Autodiff.Tests.Core;

// Fuzzing the losses: NllLoss, SoftmaxCrossEntropy, BinaryCrossEntropyWithLogits and the Functional losses with bad targets and reductions.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
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
    }
}
