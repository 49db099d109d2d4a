// What this shows: the same next-character task with a recurrent network, as PyTorch's word_language_model example:
// embedding → dropout → LSTM or GRU (batch first, dropout between layers) → dropout → Linear head. Sampling carries the
// recurrent state from one character to the next, so each character costs one step of the network.
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

/// <summary>Embedding, stacked LSTM or GRU layers of <see cref="ModelConfig.Channels"/> units, and a linear head.</summary>
internal sealed class RecurrentCharModel : CharModel
{
    private readonly Embedding _encoder;
    private readonly Dropout _drop;
    private readonly LSTM? _lstm;
    private readonly GRU? _gru;
    private readonly Linear _decoder;

    public RecurrentCharModel(ModelConfig config, Generator? generator = null) : base(config)
    {
        var g = generator ?? Generator.Default;
        int c = config.Channels;
        _encoder = RegisterModule("encoder", new Embedding(config.VocabSize, c, generator: g));
        _drop = RegisterModule("drop", new Dropout(config.Dropout));
        double between = config.Layers > 1 ? config.Dropout : 0;
        if (config.Model == "lstm") _lstm = RegisterModule("rnn", new LSTM(c, c, config.Layers, batchFirst: true, dropout: between, generator: g));
        else if (config.Model == "gru") _gru = RegisterModule("rnn", new GRU(c, c, config.Layers, batchFirst: true, dropout: between, generator: g));
        else throw new ArgumentException($"RecurrentCharModel: model must be lstm or gru, got '{config.Model}'.");
        _decoder = RegisterModule("decoder", new Linear(c, config.VocabSize, generator: g));
        Init.Uniform_(_encoder.Weight, -0.1, 0.1, g);                  // word_language_model's init_weights
        Init.Uniform_(_decoder.Weight, -0.1, 0.1, g);
        Init.Zeros_(_decoder.Bias!);
    }

    public override Tensor Logits(int[] tokens, int batch, int length) => Run(tokens, batch, length, null).Logits;

    public override IDecoder NewDecoder(bool cache = true) => cache ? new StatefulDecoder(this) : base.NewDecoder(cache);

    public override string Describe() => $"RecurrentCharModel({Config.Describe()})";

    /// <summary>Logits [B, T, V] from the state <paramref name="state"/> (zeros when null), and the state after the last token.</summary>
    private (Tensor Logits, object State) Run(int[] tokens, int batch, int length, object? state) =>
        Body(_encoder.Forward(tokens, [batch, length]), state);                  // tokens [B, T] -> [B, T, C]

    public override Tensor FromEmbeddings(Tensor embedded) => Body(embedded, null).Logits;

    private (Tensor Logits, object State) Body(Tensor embedded, object? state)
    {
        var x = _drop.Forward(embedded);
        Tensor output;
        object next;
        if (_lstm is not null)
        {
            var (o, s) = _lstm.Forward(x, ((Tensor, Tensor)?)state);
            (output, next) = (o, s);
        }
        else
        {
            var (o, h) = _gru!.Forward(x, (Tensor?)state);
            (output, next) = (o, h);
        }
        return (_decoder.Forward(_drop.Forward(output)), next);                // [B, T, V]
    }

    /// <summary>Feeds tokens through the network from the state the previous ones left.</summary>
    private sealed class StatefulDecoder(RecurrentCharModel model) : IDecoder
    {
        private object? _state;

        public Tensor Feed(ReadOnlySpan<int> tokens)
        {
            if (tokens.IsEmpty) throw new ArgumentException("Decoder: feed at least one token.");
            var (logits, state) = model.Run(tokens.ToArray(), 1, tokens.Length, _state);
            _state = state;
            return logits.Select(1, tokens.Length - 1).Reshape(model.Config.VocabSize);
        }
    }
}
