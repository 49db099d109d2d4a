namespace Autodiff.NN;

/// <summary>A multi-layer long short-term memory network over a sequence. Same as <c>torch.nn.LSTM</c>.</summary>
/// <remarks>
/// <para>Each step of a layer: <c>gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh</c> in PyTorch's order <c>[i | f | g | o]</c>,
/// <c>i, f, o = σ(·)</c>, <c>g = tanh(·)</c>, <c>c' = f⊙c + i⊙g</c>, <c>h' = o⊙tanh(c')</c>
/// (<see cref="Ops.LstmCell"/> is the same cell as an op). Parameters, initialisation, variable lengths, dropout and
/// how the layers run: <see cref="RNNBase"/>.</para>
/// </remarks>
/// <example><code>
/// var lstm = new LSTM(inputSize: 10, hiddenSize: 20, numLayers: 2, batchFirst: true);
/// var (output, (h, c)) = lstm.Forward(x, null);   // x [N, T, 10] -> output [N, T, 20], h and c [2, N, 20]
/// </code></example>
public sealed class LSTM : RNNBase
{
    /// <summary>Creates the layers and initialises them uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>.</summary>
    /// <param name="inputSize">Features of each input step.</param>
    /// <param name="hiddenSize">H, features of the hidden and cell state.</param>
    /// <param name="numLayers">Stacked layers, each reading the previous one's output.</param>
    /// <param name="bias">Whether the layers have <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="batchFirst">Input and output <c>[N, T, F]</c> instead of <c>[T, N, F]</c> (states stay <c>[layers·directions, N, H]</c>).</param>
    /// <param name="dropout">Dropout probability on the output of every layer but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also runs the sequence backwards.</param>
    /// <param name="generator">Where the initial weights are drawn from; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A size is not positive, or dropout is outside [0, 1].</exception>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, Generator? generator = null)
        : base("LSTM", 4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator) { }

    /// <summary>The output of the last layer for every step: <c>[T, N, H·directions]</c> (<c>[N, T, ...]</c> when batchFirst).</summary>
    /// <exception cref="ArgumentException">The input is not <c>[T, N, inputSize]</c> or unbatched <c>[T, inputSize]</c>.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>Runs the network from the initial state (zeros when null) and returns every step's output and the final
    /// state of every layer and direction.</summary>
    /// <param name="input"><c>[T, N, inputSize]</c> (<c>[N, T, inputSize]</c> when batchFirst), or unbatched <c>[T, inputSize]</c>.</param>
    /// <param name="state">(h0, c0), each <c>[numLayers·directions, N, H]</c> (<c>[numLayers·directions, H]</c> unbatched), or null for zeros.</param>
    /// <param name="lengths">The valid length of each sequence in the batch (1 to T), as PyTorch's packed sequences; null
    /// when all have length T. Outputs past a length are 0 and the final state is the one at the last valid step.</param>
    /// <returns>Output <c>[T, N, H·directions]</c> and the final (h, c), each <c>[numLayers·directions, N, H]</c>, with
    /// the directions of each layer adjacent (layer 0 forward, layer 0 reverse, layer 1 forward, ...), as PyTorch.</returns>
    /// <exception cref="ArgumentException">The input or a state has the wrong shape or dtype, or lengths has the wrong count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is outside 1..T.</exception>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input, (Tensor H, Tensor C)? state = null, int[]? lengths = null)
    {
        var (output, h, c) = Run(input, state?.H, state?.C, lengths, cell: true);
        return (output, (h, c!));
    }

    /// <summary>Runs a packed batch of variable-length sequences (<see cref="Utils.PackPaddedSequence"/>). Same as calling
    /// <c>torch.nn.LSTM</c> on a <c>PackedSequence</c>.</summary>
    /// <param name="input">The packed batch, of <c>inputSize</c> features.</param>
    /// <param name="state">(h0, c0), each <c>[numLayers·directions, N, H]</c> in the original batch order, or null for zeros.</param>
    /// <returns>The outputs packed the same way, and the final (h, c) of each sequence at its own last step, in the original order.</returns>
    /// <exception cref="ArgumentException">The features or a state have the wrong shape or dtype.</exception>
    public (PackedSequence Output, (Tensor H, Tensor C) State) Forward(PackedSequence input, (Tensor H, Tensor C)? state = null)
    {
        var (output, h, c) = RunPacked(input, state?.H, state?.C, cell: true);
        return (output, (h, c!));
    }

    private protected override Tensor RunDirection(Tensor x, int layer, bool reverse, Tensor? h0, Tensor? c0, int[]? lengths, int rows)
    {
        Tensor? bih = BiasIh(layer, reverse), bhh = BiasHh(layer, reverse), bias = bih is null ? null : bih + bhh!;
        var gx = Ops.Linear(x, WeightIh(layer, reverse), bias);                             // [T, N, 4H]: every step's x·W_ihᵀ + b_ih + b_hh
        return Ops.LstmLayer(gx, WeightHh(layer, reverse), h0 ?? ZeroState(x, rows), c0 ?? ZeroState(x, rows), lengths, reverse,
            inPlaceOf: new RecurrentProjection(x, WeightIh(layer, reverse), bias));
    }
}
