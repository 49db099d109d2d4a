namespace Autodiff.NN;

/// <summary>Applies <c>max(x, 0)</c> element-wise. Same as <c>torch.nn.ReLU</c>.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Relu(input);
}

/// <summary>Applies the logistic sigmoid element-wise. Same as <c>torch.nn.Sigmoid</c>.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Sigmoid(input);
}

/// <summary>Applies tanh element-wise. Same as <c>torch.nn.Tanh</c>.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Tanh(input);
}

/// <summary>Applies leaky ReLU element-wise. Same as <c>torch.nn.LeakyReLU</c>.</summary>
/// <param name="negativeSlope">The slope for negative inputs.</param>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    public override string Describe() => $"LeakyReLU(negativeSlope: {NegativeSlope})";
}

/// <summary>Applies GELU element-wise (exact, or the tanh approximation). Same as <c>torch.nn.GELU</c>.</summary>
/// <param name="approximateTanh">Use the tanh approximation (PyTorch's <c>approximate='tanh'</c>).</param>
public sealed class GELU(bool approximateTanh = false) : Module
{
    /// <summary>Whether the tanh approximation is used.</summary>
    public bool ApproximateTanh { get; } = approximateTanh;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Gelu(input, ApproximateTanh);

    /// <inheritdoc/>
    public override string Describe() => ApproximateTanh ? "GELU(approximate: tanh)" : "GELU()";
}

/// <summary>Applies softmax along a dimension. Same as <c>torch.nn.Softmax</c>.</summary>
/// <param name="dim">The dimension whose entries sum to 1.</param>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dimension.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Softmax(input, Dim);

    /// <inheritdoc/>
    public override string Describe() => $"Softmax(dim: {Dim})";
}

/// <summary>Applies log-softmax along a dimension. Same as <c>torch.nn.LogSoftmax</c>.</summary>
/// <param name="dim">The dimension.</param>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dimension.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    public override string Describe() => $"LogSoftmax(dim: {Dim})";
}

/// <summary>Flattens dimensions startDim..endDim into one (by default all but the batch dim). Same as <c>torch.nn.Flatten</c>.</summary>
/// <param name="startDim">First dimension to flatten.</param>
/// <param name="endDim">Last dimension to flatten.</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dimension to flatten.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dimension to flatten.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Flatten(input, StartDim, EndDim);

    /// <inheritdoc/>
    public override string Describe() => $"Flatten(startDim: {StartDim}, endDim: {EndDim})";
}
