namespace Autodiff.NN;

/// <summary>How a loss combines its per-element values. Same as PyTorch's <c>reduction=</c> argument.</summary>
public enum Reduction
{
    /// <summary>The average over elements (or samples), a scalar. The default.</summary>
    Mean,

    /// <summary>The sum, a scalar.</summary>
    Sum,

    /// <summary>No reduction: one loss per element (or sample).</summary>
    None,
}
