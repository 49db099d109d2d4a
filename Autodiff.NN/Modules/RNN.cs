namespace Autodiff.NN;

/// <summary>A multi-layer Elman recurrent network with a tanh or ReLU nonlinearity. Same as <c>torch.nn.RNN</c>.</summary>
/// <remarks>
/// <para>Each step of a layer: <c>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)</c>, act tanh or relu. Parameters,
/// initialisation, variable lengths, dropout and how the layers run: <see cref="RNNBase"/>.</para>
/// </remarks>
/// <example><code>
/// var rnn = new RNN(inputSize: 10, hiddenSize: 20, numLayers: 2);
/// var (output, h) = rnn.Forward(x, null);   // x [T, N, 10] -> output [T, N, 20], h [2, N, 20]
/// </code></example>
public sealed class RNN : SingleStateRNNBase
{
    /// <summary>Creates the layers and initialises them uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>.</summary>
    /// <param name="inputSize">Features of each input step.</param>
    /// <param name="hiddenSize">H, features of the hidden state.</param>
    /// <param name="numLayers">Stacked layers, each reading the previous one's output.</param>
    /// <param name="nonlinearity"><c>"tanh"</c> or <c>"relu"</c>.</param>
    /// <param name="bias">Whether the layers have <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="batchFirst">Input and output <c>[N, T, F]</c> instead of <c>[T, N, F]</c> (the state stays <c>[layers·directions, N, H]</c>).</param>
    /// <param name="dropout">Dropout probability on the output of every layer but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also runs the sequence backwards.</param>
    /// <param name="generator">Where the initial weights are drawn from; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A size is not positive, dropout is outside [0, 1], or the nonlinearity is not tanh or relu.</exception>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null)
        : base("RNN", 1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator) =>
        Nonlinearity = CheckNonlinearity("RNN", nonlinearity);

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    /// <summary>Checks an RNN nonlinearity's name (shared with <see cref="RNNCell"/>).</summary>
    /// <exception cref="ArgumentException">It is not tanh or relu.</exception>
    internal static string CheckNonlinearity(string module, string nonlinearity)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            Check.Fail(module, $"nonlinearity must be \"tanh\" or \"relu\", got \"{nonlinearity}\".", nameof(nonlinearity));
        return nonlinearity;
    }

    private protected override Tensor RunDirection(Tensor x, int layer, bool reverse, Tensor? h0, Tensor? c0, int[]? lengths, int rows)
    {
        Tensor? bih = BiasIh(layer, reverse), bhh = BiasHh(layer, reverse), bias = bih is null ? null : bih + bhh!;
        var gx = Ops.Linear(x, WeightIh(layer, reverse), bias);                             // [T, N, H]: every step's x·W_ihᵀ + b_ih + b_hh
        return Ops.RnnLayer(gx, WeightHh(layer, reverse), h0 ?? ZeroState(x, rows), lengths, reverse, relu: Nonlinearity == "relu",
            inPlaceOf: new RecurrentProjection(x, WeightIh(layer, reverse), bias));
    }

    private protected override IEnumerable<string> ExtraDescription() =>
        Nonlinearity == "tanh" ? [] : [$"nonlinearity: \"{Nonlinearity}\""];
}
