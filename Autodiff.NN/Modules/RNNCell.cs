namespace Autodiff.NN;

/// <summary>One Elman RNN step with a tanh or ReLU nonlinearity. Same as <c>torch.nn.RNNCell</c>.</summary>
/// <remarks><c>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)</c>. Parameters and initialisation: <see cref="RNNCellBase"/>.</remarks>
/// <example><code>
/// var cell = new RNNCell(10, 20, nonlinearity: "relu");
/// Tensor? h = null;
/// foreach (var x in steps) h = cell.Forward(x, h);   // x [N, 10] -> h [N, 20]
/// </code></example>
public sealed class RNNCell : RNNCellBase
{
    /// <summary>Creates the cell and initialises it uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the nonlinearity is not tanh or relu.</exception>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null)
        : base("RNNCell", 1, inputSize, hiddenSize, bias, generator) =>
        Nonlinearity = RNN.CheckNonlinearity("RNNCell", nonlinearity);

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    /// <summary>The new hidden state from a zero initial state.</summary>
    /// <exception cref="ArgumentException">The input is not <c>[N, inputSize]</c> or <c>[inputSize]</c>.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from the hidden state h (zeros when null).</summary>
    /// <param name="input"><c>[N, inputSize]</c>, or unbatched <c>[inputSize]</c>.</param>
    /// <param name="h"><c>[N, H]</c> (<c>[H]</c> unbatched), or null for zeros.</param>
    /// <returns>The new h'.</returns>
    /// <exception cref="ArgumentException">The input or h has the wrong shape or dtype.</exception>
    public Tensor Forward(Tensor input, Tensor? h)
    {
        var state = State(input, h, "h");
        var pre = Ops.Linear(input, WeightIh, BiasIh) + Ops.Linear(state, WeightHh, BiasHh);
        return Nonlinearity == "relu" ? Ops.Relu(pre) : Ops.Tanh(pre);
    }

    private protected override string ExtraDescription() => Nonlinearity == "tanh" ? "" : $", nonlinearity: \"{Nonlinearity}\"";
}
