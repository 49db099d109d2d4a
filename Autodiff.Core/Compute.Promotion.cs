using Autodiff.Kernels;

namespace Autodiff;

/// <summary>The arithmetic ops whose operands <see cref="Compute.Promote(string, Arithmetic, ref Tensor, ref Tensor)"/> promotes.</summary>
internal enum Arithmetic
{
    Add,
    Sub,
    Mul,
    Div,
}

// PyTorch's type promotion for arithmetic, in one place. Each op (Add, Sub, Mul, Div, Neg, Sum) calls one of these at its
// entry; they return null when the op should go on as before (its float kernels, its tape record) and the result when
// the op was integer arithmetic, done here and never recorded:
//   Float op Float      unchanged (Float32 with Float64 is still refused by the op, naming both dtypes)
//   Int64/Bool op Float the integer side converted to the float dtype, then the float op: a float operand that requires
//                       grad gets its gradient through it (torch.tensor([1, 2]) * w)
//   Int64 op Int64/Bool Int64, wrapping on overflow; Div is true division in Float32 (torch.div's default dtype)
//   Bool op Bool        Add is logical or, Mul logical and (as torch), Sub is refused (as torch), Div is Float32
internal static partial class Compute
{
    /// <summary>The entry of Add, Sub, Mul and Div: promotes <paramref name="a"/> and <paramref name="b"/> as PyTorch does.
    /// Returns null when the op's float path should run, with <paramref name="a"/> and <paramref name="b"/> replaced by
    /// converted copies if one of them was Int64 or Bool; returns the (unrecorded) result when both are Int64 or Bool.</summary>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or two Bool tensors are subtracted.</exception>
    public static Tensor? Promote(string op, Arithmetic kind, ref Tensor a, ref Tensor b)
    {
        Check.NotNullAnyDType(op, a, nameof(a));
        Check.NotNullAnyDType(op, b, nameof(b));
        if (a.IsFloatingPoint && b.IsFloatingPoint) return null;                        // the common case: nothing to do
        var common = Promote(a.DType, b.DType);
        if (kind == Arithmetic.Div && !IsFloating(common)) common = DType.Float32;       // true division, as torch.div
        if (IsFloating(common))
        {
            a = ConvertTo(a, common);
            b = ConvertTo(b, common);
            return null;
        }
        var shape = Shape.TryBroadcast(a.Shape, b.Shape)
            ?? throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} cannot be broadcast together.");
        Tensor y;
        if (common == DType.Bool)
        {
            if (kind == Arithmetic.Sub)
                Check.Fail(op, $"subtracting two Bool tensors ({a.Label} - {b.Label}) is not supported, as in PyTorch; for " +
                    "exclusive or use Ne(a, b), or convert with To(DType.Int64) first.");
            y = Logical(op, a, b, and: kind == Arithmetic.Mul);                        // True + True = True, as torch
        }
        else
        {
            var x = ExpandAny(ConvertTo(a, DType.Int64), shape).I64;
            var z = ExpandAny(ConvertTo(b, DType.Int64), shape).I64;
            y = Empty(shape, DType.Int64);
            var d = y.I64;
            switch (kind)
            {
                case Arithmetic.Add: IntegerMath.Add(x, z, d); break;
                case Arithmetic.Sub: IntegerMath.Subtract(x, z, d); break;
                default: IntegerMath.Multiply(x, z, d); break;
            }
        }
        return Tape.RecordNotDifferentiable(op, y, [a, b]);
    }

    /// <summary>The entry of Neg: <c>-x</c> in Int64 for an Int64 tensor, null for a floating-point (or null) one, which
    /// the op handles.</summary>
    /// <exception cref="ArgumentException">The tensor is Bool (PyTorch refuses <c>-mask</c> too).</exception>
    public static Tensor? IntegerNeg(string op, Tensor? x)
    {
        if (x is null || x.IsFloatingPoint) return null;
        if (x.DType == DType.Bool)
            Check.Fail(op, $"negating a Bool tensor ({x.Label}) is not supported, as in PyTorch; to invert a mask use LogicalNot.", nameof(x));
        var y = Empty(x.Shape, DType.Int64);
        IntegerMath.Negate(x.I64, y.I64);
        return Tape.RecordNotDifferentiable(op, y, [x]);
    }

    /// <summary>The entry of Sum: the Int64 sum of an Int64 or Bool tensor (a Bool counts its true elements), as
    /// <c>torch.sum</c>; null for a floating-point (or null) one, which the op handles.</summary>
    public static Tensor? IntegerSum(string op, Tensor? x)
    {
        if (x is null || x.IsFloatingPoint) return null;
        var y = Empty(Shape.Scalar, DType.Int64);
        y.I64[0] = IntegerMath.Sum(ConvertTo(x, DType.Int64).I64);
        return Tape.RecordNotDifferentiable(op, y, [x]);
    }

    /// <summary>The entry of Sum along a dim: Int64 sums of an Int64 or Bool tensor; null for a floating-point one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor? IntegerSum(string op, Tensor? x, int dim, bool keepDim)
    {
        if (x is null || x.IsFloatingPoint) return null;
        int d = Check.Dim(op, dim, x.Shape);
        var (outer, size, inner) = x.Shape.Around(d);
        var y = Empty(x.Shape.Reduce(d, keepDim), DType.Int64);
        IntegerMath.SumDim(ConvertTo(x, DType.Int64).I64, outer, size, inner, y.I64);
        return Tape.RecordNotDifferentiable(op, y, [x]);
    }
}
