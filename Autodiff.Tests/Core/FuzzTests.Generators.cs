// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604
using System.Globalization;
using System.Text;

namespace Autodiff.Tests.Core;

// The fuzzer's shared pieces: random inputs (shapes, dims, data with NaN/±Inf, operands and partners) and the index arithmetic the references use.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
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


        private static bool ValidShape(int[] dims)
        {
            if (dims.Any(d => d < 0)) return false;
            var n = dims.Aggregate(System.Numerics.BigInteger.One, (a, d) => a * d);
            return n <= Array.MaxLength;                          // a 0 anywhere makes any other dim fine
        }
    }
}
