using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Whether each element of <paramref name="input"/> is not equal to <paramref name="other"/>'s, with broadcasting,
    /// as a <see cref="DType.Bool"/> tensor. Same as <c>torch.ne(input, other)</c>.</summary>
    /// <remarks>Forward <c>y = input != other</c>. Not differentiable: the result is Bool and nothing is recorded (as in
    /// PyTorch). Any dtypes: operands of different dtypes are compared in the promoted one (Bool &lt; Int64 &lt; Float32
    /// &lt; Float64, PyTorch's order), Bool as 1/0; NaN compares unequal to everything, as in IEEE 754.</remarks>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together.</exception>
    public static Tensor Ne(Tensor input, Tensor other) =>
        Tape.RecordNotDifferentiable("Ne", Compute.Compare<NeComparison>("Ne", input, other), [input, other]);

    /// <summary>Whether each element of <paramref name="input"/> is not equal to the number <paramref name="other"/>, as a
    /// <see cref="DType.Bool"/> tensor. Same as <c>torch.ne(input, other)</c> with a Python number.</summary>
    /// <remarks>Forward <c>y = input != other</c>, each element compared as a double (Bool as 1/0), so
    /// <c>Ne(ints, 0.5)</c> is exact. Not differentiable.</remarks>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> is NaN.</exception>
    public static Tensor Ne(Tensor input, double other) =>
        Tape.RecordNotDifferentiable("Ne", Compute.Compare<NeComparison>("Ne", input, other), [input]);

    private readonly struct NeComparison : IComparison
    {
        public bool Invoke<T>(T x, T y) where T : struct, INumber<T> => x != y;
    }
}
