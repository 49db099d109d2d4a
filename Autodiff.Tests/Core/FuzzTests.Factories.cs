// The fuzzer passes null on purpose (rarely) to check that ops reject it with an ArgumentNullException naming the op.
#pragma warning disable CS8602, CS8604

namespace Autodiff.Tests.Core;

// Fuzzing the factories: FromArray, Zeros/Ones/Full and Arange with bad shapes and non-finite bounds.
public partial class FuzzTests
{
    private sealed partial class Fuzzer
    {
        // ---- factories --------------------------------------------------------------------------------------------

        private int[] MaybeBadShape()
        {
            int rank = Int(4);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++) dims[i] = Chance(10) ? -1 - Int(3) : Chance(3) ? int.MaxValue : Int(5);
            return dims;
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
    }
}
