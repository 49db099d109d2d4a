namespace Autodiff.NN;

/// <summary>One LSTM step. Same as <c>torch.nn.LSTMCell</c>.</summary>
/// <remarks><c>gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh</c>, then <see cref="Ops.LstmCell"/>: <c>c' = f⊙c + i⊙g</c>,
/// <c>h' = o⊙tanh(c')</c>, gates in PyTorch's order <c>[i | f | g | o]</c>. Parameters and initialisation:
/// <see cref="RNNCellBase"/>.</remarks>
/// <example><code>
/// var cell = new LSTMCell(10, 20);
/// (Tensor H, Tensor C)? state = null;
/// foreach (var x in steps) state = cell.Forward(x, state);   // x [N, 10] -> h, c [N, 20]
/// </code></example>
public sealed class LSTMCell : RNNCellBase
{
    /// <summary>Creates the cell and initialises it uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
        : base("LSTMCell", 4, inputSize, hiddenSize, bias, generator) { }

    /// <summary>The new hidden state from zero initial states.</summary>
    /// <exception cref="ArgumentException">The input is not <c>[N, inputSize]</c> or <c>[inputSize]</c>.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>One step from the state (h, c) (zeros when null).</summary>
    /// <param name="input"><c>[N, inputSize]</c>, or unbatched <c>[inputSize]</c>.</param>
    /// <param name="state">(h, c), each <c>[N, H]</c> (<c>[H]</c> unbatched), or null for zeros.</param>
    /// <returns>The new (h', c').</returns>
    /// <exception cref="ArgumentException">The input or a state has the wrong shape or dtype.</exception>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        var h = State(input, state?.H, "h");
        var c = State(input, state?.C, "c");
        var gates = Ops.Linear(input, WeightIh, BiasIh) + Ops.Linear(h, WeightHh, BiasHh);     // [N, 4H]
        return Ops.LstmCell(gates, c);
    }
}
