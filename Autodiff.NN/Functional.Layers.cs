namespace Autodiff.NN;

// The stateless forms of layers, named as torch.nn.functional's: the modules' Forward calls these.
public static partial class Functional
{
    /// <summary>In training, zeroes each element with probability p and scales the rest by <c>1/(1-p)</c>; otherwise the
    /// identity. Same as <c>torch.nn.functional.dropout(input, p, training)</c>.</summary>
    /// <remarks>Composite: <c>x ⊙ mask</c> with a constant mask (the <see cref="NN.Dropout"/> module's), so the backward is
    /// <c>dx = g ⊙ mask</c>. The mask is drawn from <paramref name="generator"/>, or <see cref="Generator.Default"/> when it
    /// is null, as PyTorch draws from the global generator. p = 1 gives zeros.</remarks>
    /// <param name="input">The input.</param>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <param name="training">False returns the input itself (PyTorch's default is true, as here).</param>
    /// <param name="generator">Where the mask is drawn from; null for <see cref="Generator.Default"/>.</param>
    /// <exception cref="ArgumentException">p is outside [0, 1].</exception>
    /// <example><code>var h = Functional.Dropout(x, 0.1, training: model.Training);</code></example>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        Check.NotNull("Dropout", input, nameof(input));
        NN.Dropout.CheckProbability(p);
        if (!training || p == 0) return input;
        return Ops.Mul(input, NN.Dropout.Mask(generator ?? Generator.Default, p, input.Shape, input.DType));
    }

    /// <summary>Layer normalization over the trailing <paramref name="normalizedShape"/> dims. Same as
    /// <c>torch.nn.functional.layer_norm(input, normalized_shape, weight, bias, eps)</c>.</summary>
    /// <remarks>See <see cref="Ops.LayerNorm"/>: <c>y = (x - μ)/√(σ² + eps) ⊙ w + b</c> per row, with the biased variance.</remarks>
    /// <param name="input">[..., *normalizedShape].</param>
    /// <param name="normalizedShape">The trailing dims to normalize over, e.g. <c>[C]</c>.</param>
    /// <param name="weight">Elementwise scale of shape normalizedShape, or null for 1.</param>
    /// <param name="bias">Elementwise shift of shape normalizedShape, or null for 0.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <exception cref="ArgumentException">normalizedShape is empty or is not the input's trailing dims; weight or bias does
    /// not have shape normalizedShape or has another dtype; eps is NaN.</exception>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Ops.LayerNorm(input, normalizedShape, weight, bias, eps);

    /// <summary>One row per index with a 1 in that index's column. Same as <c>torch.nn.functional.one_hot</c>, but Float32
    /// (an Int64 dtype comes later).</summary>
    /// <remarks>See <see cref="Ops.OneHot"/>. Not differentiable.</remarks>
    /// <param name="indices">Class indices, each in <c>[0, numClasses)</c>.</param>
    /// <param name="numClasses">The number of columns; -1 (the default, as PyTorch) takes the largest index + 1.</param>
    /// <returns>A Float32 tensor of shape <c>[indices.Length, numClasses]</c>.</returns>
    /// <exception cref="ArgumentNullException">indices is null.</exception>
    /// <exception cref="ArgumentException">numClasses is below -1, or is -1 with no indices to infer it from.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is negative or not below numClasses.</exception>
    public static Tensor OneHot(int[] indices, int numClasses = -1) => Ops.OneHot(indices, numClasses);
}
