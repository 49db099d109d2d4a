namespace Autodiff;

public static partial class Ops
{
    /// <summary>The softmax along one dimension: non-negative values that sum to 1 per row. Same as <c>torch.softmax</c>.</summary>
    /// <remarks>Composite: <c>Exp(LogSoftmax(x, dim))</c>, stable for any logits; its backward is
    /// <c>dx += y ⊙ (g - Σ g ⊙ y)</c> by the chain rule through the two entries.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Softmax(Tensor x, int dim)
    {
        Check.NotNull("Softmax", x, nameof(x));
        Check.Dim("Softmax", dim, x.Shape);                                              // errors name Softmax, not LogSoftmax
        return Exp(LogSoftmax(x, dim));
    }
}
