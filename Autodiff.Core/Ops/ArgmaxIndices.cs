namespace Autodiff;

public static partial class Ops
{
    /// <summary>The indices of the largest value of each row along <paramref name="dim"/>, as integers (first on ties).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0.</exception>
    public static int[] ArgmaxIndices(Tensor x, int dim = -1)
    {
        var (values, indices, _) = Extremes("ArgmaxIndices", x, dim, keepDim: false, max: true);
        values.Dispose();                                                                 // only the indices are returned
        if (x.RequiresGrad) x.LastNonDifferentiableUse = "ArgmaxIndices";               // no gradient flows through an index
        return indices;
    }
}
