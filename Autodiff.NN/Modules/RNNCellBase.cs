namespace Autodiff.NN;

/// <summary>What <see cref="RNNCell"/>, <see cref="LSTMCell"/> and <see cref="GRUCell"/> share: one step's parameters
/// under PyTorch's names and the checks of an input and a state. Same as <c>torch.nn.RNNCellBase</c>.</summary>
/// <remarks>Parameters <c>weight_ih</c> <c>[G·H, inputSize]</c>, <c>weight_hh</c> <c>[G·H, H]</c>, <c>bias_ih</c> and
/// <c>bias_hh</c> <c>[G·H]</c> (absent when <c>bias: false</c>), G = 4 for LSTM, 3 for GRU, 1 for RNN; all start uniform in
/// <c>[-1/√H, 1/√H]</c>, as PyTorch. Each cell's step is two <see cref="Ops.Linear"/> products and its fused cell op, so
/// gradients of gradients work through it.</remarks>
public abstract class RNNCellBase : Module
{
    /// <summary>Creates the parameters and initialises them.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    private protected RNNCellBase(string name, int gates, int inputSize, int hiddenSize, bool bias, Generator? generator)
    {
        OpName = name;
        if (inputSize <= 0 || hiddenSize <= 0)
            Check.Fail(name, $"sizes must be positive, got inputSize {inputSize}, hiddenSize {hiddenSize}.", nameof(inputSize));
        (InputSize, HiddenSize, Bias) = (inputSize, hiddenSize, bias);
        RegisterParameter("weight_ih", Tensor.Zeros(gates * hiddenSize, inputSize));
        RegisterParameter("weight_hh", Tensor.Zeros(gates * hiddenSize, hiddenSize));
        if (bias)
        {
            RegisterParameter("bias_ih", Tensor.Zeros(gates * hiddenSize));
            RegisterParameter("bias_hh", Tensor.Zeros(gates * hiddenSize));
        }
        ResetParameters(generator);
    }

    /// <summary>The module's name in messages.</summary>
    private protected string OpName { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize { get; }

    /// <summary>H, the number of features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Whether the cell has <c>bias_ih</c> and <c>bias_hh</c>.</summary>
    public bool Bias { get; }

    /// <summary>The input-hidden weight <c>[G·H, inputSize]</c>.</summary>
    public Tensor WeightIh => GetParameter("weight_ih")!;

    /// <summary>The hidden-hidden weight <c>[G·H, H]</c>.</summary>
    public Tensor WeightHh => GetParameter("weight_hh")!;

    /// <summary>The input-hidden bias <c>[G·H]</c>, or null without biases.</summary>
    public Tensor? BiasIh => Bias ? GetParameter("bias_ih") : null;

    /// <summary>The hidden-hidden bias <c>[G·H]</c>, or null without biases.</summary>
    public Tensor? BiasHh => Bias ? GetParameter("bias_hh") : null;

    /// <summary>Redraws every weight and bias uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>, from
    /// <paramref name="generator"/> or, when it is null, from <see cref="Generator.Default"/>.</summary>
    /// <remarks>In place, as PyTorch's <c>reset_parameters()</c>.</remarks>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1.0 / Math.Sqrt(HiddenSize);
        foreach (var (_, p) in NamedParameters()) Init.Uniform_(p, -bound, bound, generator);
    }

    /// <summary>Checks the input (<c>[N, inputSize]</c> or unbatched <c>[inputSize]</c>) and a state (<c>[N, H]</c> or
    /// <c>[H]</c>; zeros when null), and returns the state.</summary>
    private protected Tensor State(Tensor input, Tensor? state, string name)
    {
        Check.NotNull(OpName, input, nameof(input));
        if (input.Rank is not (1 or 2) || input.Shape[-1] != InputSize)
            Check.Fail(OpName, $"input must be [N, {InputSize}] or unbatched [{InputSize}] (inputSize {InputSize}), got {input.Shape}.", nameof(input));
        var expected = input.Rank == 2 ? new Shape(input.Shape[0], HiddenSize) : new Shape(HiddenSize);
        if (state is null) return Tensor.Zeros(expected.ToArray(), input.DType);
        Check.NotNull(OpName, state, name);
        if (state.DType != input.DType)
            Check.Fail(OpName, $"{name} is {state.DType} but input is {input.DType}; convert one with To(DType).", name);
        if (state.Shape != expected)
            Check.Fail(OpName, $"{name} has shape {state.Shape}, expected {expected} for input {input.Shape} (hiddenSize {HiddenSize}).", name);
        return state;
    }

    /// <inheritdoc/>
    public override string Describe() =>
        $"{OpName}(inputSize: {InputSize}, hiddenSize: {HiddenSize}{ExtraDescription()}{(Bias ? "" : ", bias: False")})";

    /// <summary>Module-specific settings for <see cref="Describe"/>, each starting with ", ".</summary>
    private protected virtual string ExtraDescription() => "";
}
