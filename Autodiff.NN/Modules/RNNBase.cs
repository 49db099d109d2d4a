using System.Globalization;

namespace Autodiff.NN;

/// <summary>What <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> share: the stacked, optionally
/// bidirectional layers, their parameters under PyTorch's names, and the walk over the sequence. Same as
/// <c>torch.nn.RNNBase</c>.</summary>
/// <remarks>
/// <para>Parameters, per layer k and direction (suffix <c>_reverse</c> for the backward one), in PyTorch's order:
/// <c>weight_ih_l{k}</c> <c>[G·H, inputSize]</c> (layer 0) or <c>[G·H, H·directions]</c>, <c>weight_hh_l{k}</c>
/// <c>[G·H, H]</c>, <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> <c>[G·H]</c> (absent when <c>bias: false</c>), with G = 4
/// for LSTM, 3 for GRU, 1 for RNN. All start uniform in <c>[-1/√H, 1/√H]</c>, as PyTorch's <c>reset_parameters</c>.</para>
/// <para>How a layer runs (PyTorch's own plan): the input projection of the whole sequence is ONE matrix product
/// <c>x·W_ihᵀ + b</c> ([T·N, F] × [F, G·H]); then one fused op per direction walks the steps, each step one GEMM
/// <c>h·W_hhᵀ</c> into a buffer reused by every step and one fused cell kernel. Its backward accumulates
/// <c>dW_hh</c> for all steps as one GEMM and hands <c>dgates</c> back to the projection, whose backward gives
/// <c>dW_ih</c> and <c>dx</c> as one GEMM each.</para>
/// <para>Variable lengths (<c>lengths</c>, as PyTorch's <c>pack_padded_sequence</c> then <c>pad_packed_sequence</c>): a
/// position at or past its sequence's length outputs 0 and leaves the state unchanged, so the final state is the state
/// at the sequence's last valid step, and the reverse direction starts at that step. Lengths need not be sorted.</para>
/// <para>Dropout (probability <see cref="Dropout"/>) applies to the output of every layer but the last, in training mode
/// only, drawing from <see cref="Generator.Default"/>.</para>
/// <para>Gradients of gradients (<c>Backward(createGraph: true)</c>, <c>Autograd.Grad</c>) work through every layer, as
/// PyTorch's: a <c>createGraph</c> backward replays each layer as twice-differentiable ops (the cell op per step) and
/// differentiates that, while a plain backward keeps the fused kernel.</para>
/// </remarks>
public abstract class RNNBase : Module
{
    private readonly int _gates;

    /// <summary>Creates the layers and initialises them.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or dropout is outside [0, 1].</exception>
    private protected RNNBase(string name, int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, Generator? generator)
    {
        OpName = name;
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            Check.Fail(name, $"sizes must be positive, got inputSize {inputSize}, hiddenSize {hiddenSize}, numLayers {numLayers}.", nameof(inputSize));
        if (!(dropout >= 0 && dropout <= 1)) Check.Fail(name, $"dropout must be in [0, 1], got {dropout}.", nameof(dropout));
        (_gates, InputSize, HiddenSize, NumLayers, Bias, BatchFirst, Dropout, Bidirectional) =
            (gates, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional);
        for (int layer = 0; layer < numLayers; layer++)
            for (int direction = 0; direction < Directions; direction++)
            {
                string suffix = Suffix(layer, direction == 1);
                int layerInput = layer == 0 ? inputSize : hiddenSize * Directions;
                RegisterParameter("weight_ih" + suffix, Tensor.Zeros(gates * hiddenSize, layerInput));
                RegisterParameter("weight_hh" + suffix, Tensor.Zeros(gates * hiddenSize, hiddenSize));
                if (bias)
                {
                    RegisterParameter("bias_ih" + suffix, Tensor.Zeros(gates * hiddenSize));
                    RegisterParameter("bias_hh" + suffix, Tensor.Zeros(gates * hiddenSize));
                }
            }
        ResetParameters(generator);
    }

    /// <summary>The module's name in messages: RNN, LSTM or GRU.</summary>
    private protected string OpName { get; }

    /// <summary>The number of features of each input step.</summary>
    public int InputSize { get; }

    /// <summary>H, the number of features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>The number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have the biases <c>bias_ih</c> and <c>bias_hh</c>.</summary>
    public bool Bias { get; }

    /// <summary>Whether input and output are <c>[N, T, F]</c> rather than <c>[T, N, F]</c>.</summary>
    public bool BatchFirst { get; }

    /// <summary>The dropout probability applied between layers in training mode.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs the sequence backwards, its output concatenated on the last dim.</summary>
    public bool Bidirectional { get; }

    /// <summary>2 when bidirectional, else 1.</summary>
    private protected int Directions => Bidirectional ? 2 : 1;

    private static string Suffix(int layer, bool reverse) =>
        string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(reverse ? "_reverse" : "")}");

    /// <summary>The input-hidden weight of a layer, <c>[G·H, inputSize]</c> (layer 0) or <c>[G·H, H·directions]</c>.</summary>
    /// <exception cref="KeyNotFoundException">No such layer or direction.</exception>
    public Tensor WeightIh(int layer, bool reverse = false) => GetParameter("weight_ih" + Suffix(layer, reverse))!;

    /// <summary>The hidden-hidden weight of a layer, <c>[G·H, H]</c>.</summary>
    /// <exception cref="KeyNotFoundException">No such layer or direction.</exception>
    public Tensor WeightHh(int layer, bool reverse = false) => GetParameter("weight_hh" + Suffix(layer, reverse))!;

    /// <summary>The input-hidden bias of a layer, <c>[G·H]</c>, or null without biases.</summary>
    public Tensor? BiasIh(int layer, bool reverse = false) => Bias ? GetParameter("bias_ih" + Suffix(layer, reverse)) : null;

    /// <summary>The hidden-hidden bias of a layer, <c>[G·H]</c>, or null without biases.</summary>
    public Tensor? BiasHh(int layer, bool reverse = false) => Bias ? GetParameter("bias_hh" + Suffix(layer, reverse)) : null;

    /// <summary>Redraws every weight and bias uniformly in <c>[-1/√hiddenSize, 1/√hiddenSize]</c>, in registration order,
    /// from <paramref name="generator"/> or, when it is null, from <see cref="Generator.Default"/>.</summary>
    /// <remarks>In place, as PyTorch's <c>reset_parameters()</c>: the tensors stay the same objects.</remarks>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1.0 / Math.Sqrt(HiddenSize);
        foreach (var (_, p) in NamedParameters()) Init.Uniform_(p, -bound, bound, generator);
    }

    /// <summary>Runs every layer and direction over the input.</summary>
    /// <param name="input"><c>[T, N, inputSize]</c>, <c>[N, T, inputSize]</c> when batchFirst, or unbatched <c>[T, inputSize]</c>.</param>
    /// <param name="h0">Initial hidden states <c>[layers·directions, N, H]</c> (<c>[layers·directions, H]</c> unbatched), or null for zeros.</param>
    /// <param name="c0">Initial cell states (LSTM only), as h0.</param>
    /// <param name="lengths">The valid length of each of the N sequences, or null when all have length T.</param>
    /// <param name="cell">True for an LSTM: it has cell states too.</param>
    /// <returns>The last layer's outputs (shaped as the input, with <c>H·directions</c> features) and the final states.</returns>
    private protected (Tensor Output, Tensor H, Tensor? C) Run(Tensor input, Tensor? h0, Tensor? c0, int[]? lengths, bool cell)
    {
        Check.NotNull(OpName, input, nameof(input));
        if (input.Rank is not (2 or 3))
            Check.Fail(OpName, $"input must be [T, N, inputSize]{(BatchFirst ? " ([N, T, inputSize] with batchFirst)" : "")} or unbatched [T, inputSize], got {input.Shape} (rank {input.Rank}).", nameof(input));
        if (input.Shape[-1] != InputSize)
            Check.Fail(OpName, $"input's last dimension is {input.Shape[-1]}, expected inputSize {InputSize} (input {input.Shape}).", nameof(input));
        bool unbatched = input.Rank == 2;
        var x = unbatched ? Ops.Unsqueeze(input, 1) : BatchFirst ? Ops.Transpose(input, 0, 1) : input;   // [T, N, F]
        int steps = x.Shape[0], rows = x.Shape[1], layersTimesDirections = NumLayers * Directions;
        if (steps == 0) Check.Fail(OpName, $"the sequence is empty (input {input.Shape}); give at least one step.", nameof(input));
        CheckLengths(lengths, steps, rows, input);
        h0 = InitialState(h0, "h0", input, unbatched, rows);
        if (cell) c0 = InitialState(c0, "c0", input, unbatched, rows);

        var finalH = new Tensor[layersTimesDirections];
        var finalC = cell ? new Tensor[layersTimesDirections] : null;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outputs = new Tensor[Directions];
            for (int direction = 0; direction < Directions; direction++)
            {
                int k = layer * Directions + direction;
                bool reverse = direction == 1;
                var z = RunDirection(x, layer, reverse, h0 is null ? null : Ops.Select(h0, 0, k), c0 is null ? null : Ops.Select(c0, 0, k), lengths, rows);
                outputs[direction] = Ops.Slice(z, 0, 0, steps);                              // [T, N, H]
                finalH[k] = Ops.Select(z, 0, steps);
                if (finalC is not null) finalC[k] = Ops.Select(z, 0, steps + 1);
            }
            x = Directions == 1 ? outputs[0] : Ops.Cat(outputs, -1);                          // [T, N, H·directions]
            if (Dropout > 0 && Training && layer < NumLayers - 1) x = Functional.Dropout(x, Dropout, training: true);
        }

        var hN = Ops.Stack(finalH, 0);                                                        // [layers·directions, N, H]
        var cN = finalC is null ? null : Ops.Stack(finalC, 0);
        if (unbatched) return (Ops.Squeeze(x, 1), Ops.Squeeze(hN, 1), cN is null ? null : Ops.Squeeze(cN, 1));
        return (BatchFirst ? Ops.Transpose(x, 0, 1) : x, hN, cN);
    }

    /// <summary>Runs a packed batch: padded, run with its lengths, and packed again in the same order.</summary>
    private protected (PackedSequence Output, Tensor H, Tensor? C) RunPacked(PackedSequence input, Tensor? h0, Tensor? c0, bool cell)
    {
        Check.NotNullArg(OpName, input, nameof(input));
        var (padded, lengths) = Utils.PadPackedSequence(input, BatchFirst);
        var (output, h, c) = Run(padded, h0, c0, lengths, cell);
        return (input.WithData(Utils.PackPaddedSequence(output, lengths, BatchFirst, enforceSorted: false).Data), h, c);
    }

    /// <summary>One layer in one direction: the input projection (one GEMM for all steps) and the fused recurrence, giving
    /// <c>[T + 1 or T + 2, N, H]</c> (the outputs, then the final h, and the final c for an LSTM).</summary>
    private protected abstract Tensor RunDirection(Tensor x, int layer, bool reverse, Tensor? h0, Tensor? c0, int[]? lengths, int rows);

    /// <summary>Zeros <c>[N, H]</c> of the input's dtype, for a missing initial state.</summary>
    private protected Tensor ZeroState(Tensor x, int rows) => Tensor.Zeros([rows, HiddenSize], x.DType);

    private void CheckLengths(int[]? lengths, int steps, int rows, Tensor input)
    {
        if (lengths is null) return;
        if (lengths.Length != rows)
            Check.Fail(OpName, $"lengths has {lengths.Length} entries, expected one per sequence: {rows} (input {input.Shape}).", nameof(lengths));
        for (int i = 0; i < lengths.Length; i++)
            if (lengths[i] < 1 || lengths[i] > steps)
                Check.FailRange(OpName, $"lengths[{i}] is {lengths[i]}, expected 1 to the sequence length {steps} (input {input.Shape}).", nameof(lengths));
    }

    /// <summary>Checks an initial state's shape and brings it to <c>[layers·directions, N, H]</c>.</summary>
    private Tensor? InitialState(Tensor? state, string name, Tensor input, bool unbatched, int rows)
    {
        if (state is null) return null;
        Check.NotNull(OpName, state, name);
        if (state.DType != input.DType)
            Check.Fail(OpName, $"{name} is {state.DType} but input is {input.DType}; convert one with To(DType).", name);
        int ld = NumLayers * Directions;
        var expected = unbatched ? new Shape(ld, HiddenSize) : new Shape(ld, rows, HiddenSize);
        if (state.Shape != expected)
            Check.Fail(OpName, $"{name} has shape {state.Shape}, expected {expected} ({(unbatched ? "numLayers·directions, hiddenSize" : "numLayers·directions, batch, hiddenSize")}) for input {input.Shape}.", name);
        return unbatched ? Ops.Unsqueeze(state, 1) : state;
    }

    /// <inheritdoc/>
    public override string Describe()
    {
        var parts = new List<string> { $"inputSize: {InputSize}", $"hiddenSize: {HiddenSize}" };
        if (NumLayers != 1) parts.Add($"numLayers: {NumLayers}");
        parts.AddRange(ExtraDescription());
        if (!Bias) parts.Add("bias: False");
        if (BatchFirst) parts.Add("batchFirst: True");
        if (Dropout != 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"dropout: {Dropout}"));
        if (Bidirectional) parts.Add("bidirectional: True");
        return $"{OpName}({string.Join(", ", parts)})";
    }

    /// <summary>Module-specific settings for <see cref="Describe"/> (RNN's nonlinearity).</summary>
    private protected virtual IEnumerable<string> ExtraDescription() => [];
}
