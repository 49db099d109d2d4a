using Autodiff;

namespace Autodiff.Tests.Ops;

/// <summary>Float64 inputs with fixed seeds for the element-wise op tests.</summary>
internal static class ElementwiseTestData
{
    /// <summary>Pairs of shapes a binary op must broadcast, in both directions, including scalars ([]).</summary>
    public static readonly object[] BroadcastShapes =
    [
        new object[] { new[] { 2, 3 }, new[] { 2, 3 } },
        new object[] { new[] { 2, 3 }, new[] { 3 } },
        new object[] { new[] { 3 }, new[] { 2, 3 } },
        new object[] { new[] { 2, 1 }, new[] { 1, 3 } },
        new object[] { new[] { 4, 1, 3 }, new[] { 2, 3 } },
        new object[] { new[] { 2, 3 }, new[] { 4, 1, 3 } },
        new object[] { new int[0], new[] { 2, 3 } },
        new object[] { new[] { 2, 3 }, new int[0] },
        new object[] { new[] { 4, 5 }, new[] { 4, 5 } },
    ];

    /// <summary>Standard normals of <paramref name="shape"/> that require grad.</summary>
    public static Tensor Randn(int[] shape, long seed) => Tensor.Randn(shape, seed: seed, DType.Float64).RequireGrad();

    /// <summary>Uniform samples in [low, high) that require grad (e.g. positive inputs for Log and Sqrt).</summary>
    public static Tensor Uniform(int[] shape, double low, double high, long seed) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64).RequireGrad();

    /// <summary>Standard normals moved at least <paramref name="margin"/> away from <paramref name="point"/> (a kink),
    /// keeping their side of it, that require grad.</summary>
    public static Tensor AwayFrom(double point, double margin, int[] shape, long seed)
    {
        var values = Tensor.Randn(shape, seed: seed, DType.Float64).ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
        {
            double offset = values[i] - point;
            values[i] = point + (offset >= 0 ? offset + margin : offset - margin);
        }
        return F64(values, shape).RequireGrad();
    }

    /// <summary>A 1-D float64 tensor.</summary>
    public static Tensor F64(params double[] values) => Tensor.FromArray(values);

    /// <summary>A float64 tensor of <paramref name="shape"/>; an empty shape gives a scalar.</summary>
    public static Tensor F64(double[] values, int[] shape) =>
        shape.Length == 0 ? Tensor.Scalar(values[0], DType.Float64) : Tensor.FromArray(values, shape);

    /// <summary>A 1-D float32 tensor.</summary>
    public static Tensor F32(params float[] values) => Tensor.FromArray(values);

    /// <summary>Backpropagates <c>Sum(y)</c>, so every element of y gets gradient 1.</summary>
    public static void BackwardOfSum(Tensor y) => Autodiff.Ops.Sum(y).Backward();
}
