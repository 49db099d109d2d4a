using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Draws 1 with probability <c>p[i]</c> and 0 otherwise, for every element, in the probabilities' shape and
    /// dtype. Same as <c>torch.bernoulli(p, generator=g)</c>.</summary>
    /// <remarks>A sample: nothing is recorded, and no gradient flows to <paramref name="probabilities"/> (as in PyTorch,
    /// the result has no grad_fn). Draws one uniform number per element from <paramref name="generator"/>, or from
    /// <see cref="Generator.Default"/>, so a seeded run repeats.</remarks>
    /// <param name="probabilities">The probability of a 1 for each element, in [0, 1].</param>
    /// <param name="generator">The random source; null for <see cref="Generator.Default"/>.</param>
    /// <returns>A tensor of 0s and 1s of the probabilities' shape and dtype.</returns>
    /// <exception cref="ArgumentException">A probability is outside [0, 1] or NaN.</exception>
    public static Tensor Bernoulli(Tensor probabilities, Generator? generator = null)
    {
        Check.NotNull("Bernoulli", probabilities, nameof(probabilities));
        var y = Compute.Empty(probabilities.Shape, probabilities.DType);
        (generator ?? Generator.Default).FillUniform(y, 0, 1);                            // u ~ U[0, 1)
        int[] firstBad = [-1];
        Compute.Run(y.DType, new BernoulliKernel(probabilities, y, firstBad));             // y = u < p ? 1 : 0
        if (firstBad[0] >= 0)
        {
            double p = probabilities.ToDoubleArray()[firstBad[0]];
            y.Dispose();
            Check.Fail("Bernoulli", $"probability {p} at element {firstBad[0]} of {probabilities.Shape} is outside [0, 1].", nameof(probabilities));
        }
        return y;
    }

    private readonly struct BernoulliKernel(Tensor probabilities, Tensor y, int[] firstBad) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            ReadOnlySpan<T> p = probabilities.Data<T>();
            var u = y.Data<T>();
            for (int i = 0; i < u.Length; i++)
            {
                if (!(p[i] >= T.Zero && p[i] <= T.One))
                {
                    firstBad[0] = i;
                    return;
                }
                u[i] = u[i] < p[i] ? T.One : T.Zero;
            }
        }
    }
}
