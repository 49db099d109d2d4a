using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Whether each element of <paramref name="input"/> is equal to <paramref name="other"/>'s, with broadcasting,
    /// as a <see cref="DType.Bool"/> tensor. Same as <c>torch.eq(input, other)</c>.</summary>
    /// <remarks>Forward <c>y = input == other</c>. Not differentiable: the result is Bool and nothing is recorded (as in
    /// PyTorch). Any dtypes: operands of different dtypes are compared in the promoted one (Bool &lt; Int64 &lt; Float32
    /// &lt; Float64, PyTorch's order), Bool as 1/0; NaN compares false, as in IEEE 754.</remarks>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together.</exception>
    public static Tensor Eq(Tensor input, Tensor other) =>
        Tape.RecordNotDifferentiable("Eq", Compute.Compare<EqComparison>("Eq", input, other), [input, other]);

    /// <summary>Whether each element of <paramref name="input"/> is equal to the number <paramref name="other"/>, as a
    /// <see cref="DType.Bool"/> tensor. Same as <c>torch.eq(input, other)</c> with a Python number.</summary>
    /// <remarks>Forward <c>y = input == other</c>, each element compared as a double (Bool as 1/0), so
    /// <c>Eq(ints, 0.5)</c> is exact. Not differentiable.</remarks>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> is NaN.</exception>
    public static Tensor Eq(Tensor input, double other) =>
        Tape.RecordNotDifferentiable("Eq", Compute.Compare<EqComparison>("Eq", input, other), [input]);

    private readonly struct EqComparison : IComparison
    {
        public bool Invoke<T>(T x, T y) where T : struct, INumber<T> => x == y;
    }
}
