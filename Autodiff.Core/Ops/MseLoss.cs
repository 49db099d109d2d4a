using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The squared error of two tensors of one shape, summed or averaged into a scalar, in one fused op: what
    /// <c>Functional.MseLoss</c> computes for the Mean and Sum reductions (<c>torch.nn.functional.mse_loss</c>).</summary>
    /// <remarks>Forward <c>L = c/2 · Σ (x - y)²</c> as one vectorized pass (no <c>(x - y)²</c> tensor), with <c>c = 2/n</c>
    /// for the mean and <c>c = 2</c> for the sum; the mean of nothing is 0/0 = NaN, as PyTorch. Backward
    /// <c>dx += c·g·(x - y)</c>, <c>dy += c·g·(y - x)</c>, one pass each, through the op <c>MseLossBackward</c>. The caller
    /// checks that the shapes and dtypes match.</remarks>
    internal static Tensor MseLoss(Tensor input, Tensor target, bool mean)
    {
        var loss = Compute.Empty(Shape.Scalar, input.DType);
        Compute.Run(input.DType, new MseLossKernel(input, target, mean, loss));            // L = Σ (x - y)² (/ n)
        double c = mean ? 2.0 / input.Numel : 2.0;

        return Tape.Record("MseLoss", loss, [input, target], mean ? "dx += 2(x - y)/n·g, dy += 2(y - x)/n·g" : "dx += 2(x - y)·g, dy += 2(y - x)·g",
            [(g, e) => MseLossBackward(g, e.Inputs[0], e.Inputs[1], c),                  // dx = c·g·(x - y)
             (g, e) => MseLossBackward(g, e.Inputs[1], e.Inputs[0], c)]);               // dy = c·g·(y - x): the same op, swapped
    }

    /// <summary>The backward of MseLoss as an op: <c>dx = c·g·(x - y)</c> for the scalar loss gradient <paramref name="g"/>.</summary>
    /// <remarks>Its own derivative, against the gradient G of dx: <c>d(g) = c·Σ G ⊙ (x - y)</c>, <c>dx = c·g·G</c>,
    /// <c>dy = -c·g·G</c>, so gradients of any order go through it.</remarks>
    private static Tensor MseLossBackward(Tensor g, Tensor x, Tensor y, double c)
    {
        var dx = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new MseLossBackwardKernel(g, x, y, c, dx));                  // dx = c·g·(x - y)

        return Tape.Record("MseLossBackward", dx, [g, x, y], "d(g) += c·Σ G·(x - y), dx += c·g·G, dy -= c·g·G",
            [(G, e) => Sum(G * (e.Inputs[1] - e.Inputs[2])) * c,
             (G, e) => G * (e.Inputs[0] * c),
             (G, e) => G * (e.Inputs[0] * -c)]);
    }

    /// <summary><c>loss = Σ (x - y)²</c>, divided by n for the mean.</summary>
    private readonly struct MseLossKernel(Tensor x, Tensor y, bool mean, Tensor loss) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            double sum = Losses.SquaredErrorSum<T>(x.Data<T>(), y.Data<T>());
            loss.Data<T>()[0] = T.CreateTruncating(mean ? sum / x.Numel : sum);
        }
    }

    /// <summary><c>dx = (c·g)·(x - y)</c>.</summary>
    private readonly struct MseLossBackwardKernel(Tensor g, Tensor x, Tensor y, double c, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Losses.ScaledDifference<T>(x.Data<T>(), y.Data<T>(), T.CreateTruncating(c) * g.Data<T>()[0], dx.Data<T>());
    }
}
