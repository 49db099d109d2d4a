namespace Autodiff.NN;

/// <summary>One GRU step. Same as <c>torch.nn.GRUCell</c>.</summary>
/// <remarks><c>gi = x·W_ihᵀ + b_ih</c>, <c>gh = h·W_hhᵀ + b_hh</c>, then <see cref="Ops.GruCell"/>:
/// <c>h' = (1 - z)⊙n + z⊙h</c>, gates in PyTorch's order <c>[r | z | n]</c>. Parameters and initialisation:
/// <see cref="RNNCellBase"/>.</remarks>
/// <example><code>
/// var cell = new GRUCell(10, 20);
/// Tensor? h = null;
/// foreach (var x in steps) h = cell.Forward(x, h);   // x [N, 10] -> h [N, 20]
/// </code></example>
public sealed class GRUCell : RNNCellBase
{
    /// <summary>Creates the cell and initialises it uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
        : base("GRUCell", 3, inputSize, hiddenSize, bias, generator) { }

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
        return Ops.GruCell(Ops.Linear(input, WeightIh, BiasIh), Ops.Linear(state, WeightHh, BiasHh), state);
    }
}
