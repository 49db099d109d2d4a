namespace Autodiff.NN;

/// <summary>What <see cref="RNN"/> and <see cref="GRU"/> share beyond <see cref="RNNBase"/>: a state that is one tensor,
/// the hidden state h (an <see cref="LSTM"/> carries h and c), so the same <c>Forward</c> overloads. PyTorch has no
/// such class; its RNN and GRU share these signatures by convention.</summary>
public abstract class SingleStateRNNBase : RNNBase
{
    /// <summary>Creates the layers and initialises them (see <see cref="RNNBase"/>).</summary>
    /// <exception cref="ArgumentException">A size is not positive, or dropout is outside [0, 1].</exception>
    private protected SingleStateRNNBase(string name, int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, Generator? generator)
        : base(name, gates, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator) { }

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
    /// <c>torch.nn.RNN</c> or <c>torch.nn.GRU</c> on a <c>PackedSequence</c>.</summary>
    /// <param name="input">The packed batch, of <c>inputSize</c> features.</param>
    /// <param name="h0"><c>[numLayers·directions, N, H]</c> in the original batch order, or null for zeros.</param>
    /// <returns>The outputs packed the same way, and the final h of each sequence at its own last step, in the original order.</returns>
    /// <exception cref="ArgumentException">The features or h0 have the wrong shape or dtype.</exception>
    public (PackedSequence Output, Tensor H) Forward(PackedSequence input, Tensor? h0 = null)
    {
        var (output, h, _) = RunPacked(input, h0, null, cell: false);
        return (output, h);
    }
}
