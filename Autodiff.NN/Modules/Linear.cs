namespace Autodiff.NN;

/// <summary>The notes' Affine layer: <c>y = x Wᵀ + b</c>. Same as <c>torch.nn.Linear</c>.</summary>
/// <remarks>Weight and bias start uniform in <c>[-1/√inFeatures, 1/√inFeatures]</c>, the bounds PyTorch's
/// Kaiming-uniform initialisation (a = √5) gives, drawn from the generator passed in, or from <see cref="Generator.Default"/> if none, so two
/// layers start different (seed it with <see cref="Generator.ManualSeed"/> for a reproducible model).</remarks>
/// <example><code>
/// var layer = new Linear(784, 100, generator: new Generator(42));
/// var y = layer.Forward(x);   // x [N, 784] -> y [N, 100]
/// </code></example>
public sealed class Linear : Module
{
    /// <summary>Creates the layer and initialises it.</summary>
    /// <exception cref="ArgumentException">A feature count is not positive.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            Check.Fail("Linear", $"feature counts must be positive, got inFeatures {inFeatures}, outFeatures {outFeatures}.", nameof(inFeatures));
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        RegisterParameter("bias", bias ? Tensor.Zeros(outFeatures) : null);
        ResetParameters(generator);
    }

    /// <summary>The number of input features.</summary>
    public int InFeatures { get; }

    /// <summary>The number of output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, shape [outFeatures, inFeatures]. Assign a tensor of that shape to replace it.</summary>
    /// <exception cref="ArgumentException">Assigned a tensor of another shape.</exception>
    public Tensor Weight
    {
        get => GetParameter("weight")!;
        set => SetParameter("weight", value ?? throw new ArgumentNullException(nameof(value)), new Shape(OutFeatures, InFeatures));
    }

    /// <summary>The bias, shape [outFeatures], or null when created with <c>bias: false</c>.</summary>
    /// <exception cref="ArgumentException">Assigned a tensor of another shape.</exception>
    public Tensor? Bias
    {
        get => GetParameter("bias");
        set => SetParameter("bias", value, new Shape(OutFeatures));
    }

    /// <summary>Redraws weight and bias uniformly in <c>[-1/√inFeatures, 1/√inFeatures]</c>, from
    /// <paramref name="generator"/> or, when it is null, from <see cref="Generator.Default"/>.</summary>
    /// <remarks>In place, as PyTorch's <c>reset_parameters()</c>: the tensors stay the same objects, so an optimizer built
    /// earlier keeps training them and a frozen weight stays frozen.</remarks>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1.0 / Math.Sqrt(InFeatures);
        Init.Uniform_(Weight, -bound, bound, generator);
        if (Bias is not null) Init.Uniform_(Bias, -bound, bound, generator);
    }

    /// <summary>Applies the layer to input of shape [..., inFeatures].</summary>
    /// <exception cref="ArgumentException">The input's last dimension is not inFeatures.</exception>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    public override string Describe() => $"Linear(inFeatures: {InFeatures}, outFeatures: {OutFeatures}, bias: {Bias is not null})";
}
