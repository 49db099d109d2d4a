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
public sealed class RNN : RNNBase
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

    /// <summary>The output of the last layer for every step: <c>[T, N, H·directions]</c> (<c>[N, T, ...]</c> when batchFirst).</summary>
    /// <exception cref="ArgumentException">The input is not <c>[T, N, inputSize]</c> or unbatched <c>[T, inputSize]</c>.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>Runs the network from the initial hidden state (zeros when null) and returns every step's output and the
    /// final hidden state of every layer and direction.</summary>
    /// <param name="input"><c>[T, N, inputSize]</c> (<c>[N, T, inputSize]</c> when batchFirst), or unbatched <c>[T, inputSize]</c>.</param>
    /// <param name="h0"><c>[numLayers·directions, N, H]</c> (<c>[numLayers·directions, H]</c> unbatched), or null for zeros.</param>
    /// <param name="lengths">The valid length of each sequence in the batch (1 to T), as PyTorch's packed sequences; null
    /// when all have length T.</param>
    /// <returns>Output <c>[T, N, H·directions]</c> and the final h <c>[numLayers·directions, N, H]</c>, in PyTorch's order.</returns>
    /// <exception cref="ArgumentException">The input or h0 has the wrong shape or dtype, or lengths has the wrong count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is outside 1..T.</exception>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? h0 = null, int[]? lengths = null)
    {
        var (output, h, _) = Run(input, h0, null, lengths, cell: false);
        return (output, h);
    }

    /// <summary>Runs a packed batch of variable-length sequences (<see cref="Utils.PackPaddedSequence"/>). Same as calling
    /// <c>torch.nn.RNN</c> on a <c>PackedSequence</c>.</summary>
    /// <param name="input">The packed batch, of <c>inputSize</c> features.</param>
    /// <param name="h0"><c>[numLayers·directions, N, H]</c> in the original batch order, or null for zeros.</param>
    /// <returns>The outputs packed the same way, and the final h of each sequence at its own last step, in the original order.</returns>
    /// <exception cref="ArgumentException">The features or h0 have the wrong shape or dtype.</exception>
    public (PackedSequence Output, Tensor H) Forward(PackedSequence input, Tensor? h0 = null)
    {
        var (output, h, _) = RunPacked(input, h0, null, cell: false);
        return (output, h);
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
