namespace Autodiff.NN;

/// <summary>A multi-layer gated recurrent unit network over a sequence. Same as <c>torch.nn.GRU</c>.</summary>
/// <remarks>
/// <para>Each step of a layer, with <c>gi = x·W_ihᵀ + b_ih</c> and <c>gh = h·W_hhᵀ + b_hh</c> in PyTorch's order
/// <c>[r | z | n]</c>: <c>r = σ(gi_r + gh_r)</c>, <c>z = σ(gi_z + gh_z)</c>, <c>n = tanh(gi_n + r⊙gh_n)</c>,
/// <c>h' = (1 - z)⊙n + z⊙h</c> (<see cref="Ops.GruCell"/> is the same cell as an op). Parameters, initialisation,
/// variable lengths, dropout and how the layers run: <see cref="RNNBase"/>.</para>
/// </remarks>
/// <example><code>
/// var gru = new GRU(inputSize: 10, hiddenSize: 20, bidirectional: true);
/// var (output, h) = gru.Forward(x, null);   // x [T, N, 10] -> output [T, N, 40], h [2, N, 20]
/// </code></example>
public sealed class GRU : SingleStateRNNBase
{
    /// <summary>Creates the layers and initialises them uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>.</summary>
    /// <param name="inputSize">Features of each input step.</param>
    /// <param name="hiddenSize">H, features of the hidden state.</param>
    /// <param name="numLayers">Stacked layers, each reading the previous one's output.</param>
    /// <param name="bias">Whether the layers have <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="batchFirst">Input and output <c>[N, T, F]</c> instead of <c>[T, N, F]</c> (the state stays <c>[layers·directions, N, H]</c>).</param>
    /// <param name="dropout">Dropout probability on the output of every layer but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also runs the sequence backwards.</param>
    /// <param name="generator">Where the initial weights are drawn from; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A size is not positive, or dropout is outside [0, 1].</exception>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, Generator? generator = null)
        : base("GRU", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator) { }

    private protected override Tensor RunDirection(Tensor x, int layer, bool reverse, Tensor? h0, Tensor? c0, int[]? lengths, int rows)
    {
        var gi = Ops.Linear(x, WeightIh(layer, reverse), BiasIh(layer, reverse));          // [T, N, 3H]: every step's x·W_ihᵀ + b_ih
        return Ops.GruLayer(gi, WeightHh(layer, reverse), BiasHh(layer, reverse), h0 ?? ZeroState(x, rows), lengths, reverse);
    }
}
