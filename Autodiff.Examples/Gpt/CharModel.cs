// What this shows: what the gpt example needs from a character model, whatever its kind: logits for a batch of windows
// (training), and a decoder that takes tokens one at a time and returns the next-character logits (sampling) — with a
// key/value cache for the transformer, with carried state for the recurrent models.
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

/// <summary>A model of the next character: token ids in, logits over the vocabulary out.</summary>
internal abstract class CharModel(ModelConfig config) : Module
{
    public ModelConfig Config { get; } = config;

    /// <summary>Logits [B, T, vocabulary] for token ids [B * T] (row-major [B, T]); position t sees tokens 0..t only.</summary>
    public abstract Tensor Logits(int[] tokens, int batch, int length);

    /// <summary>The model after its token embedding: embedded tokens [B, T, C] in, logits [B, T, vocabulary] out (what
    /// <see cref="CausalityCheck"/> differentiates, the token ids themselves having no gradient).</summary>
    public abstract Tensor FromEmbeddings(Tensor embedded);

    /// <summary>Token ids as an Int64 (or whole-number float) tensor [B, T] in, logits [B, T, vocabulary] out.</summary>
    public override Tensor Forward(Tensor tokens)
    {
        if (tokens.Rank != 2) throw new ArgumentException($"{GetType().Name}: tokens must be [B, T], got {tokens.Shape}.");
        var ids = tokens.ToDoubleArray().Select(v => (int)v).ToArray();
        return Logits(ids, tokens.Shape[0], tokens.Shape[1]);
    }

    /// <summary>A decoder for one sequence: with <paramref name="cache"/>, each token fed costs one position of work
    /// (a key/value cache, or the recurrent state); without, every call reruns the model on the last
    /// <see cref="ModelConfig.Context"/> tokens, as nanoGPT's generate does.</summary>
    public virtual IDecoder NewDecoder(bool cache = true) => new RecomputingDecoder(this);

    /// <summary>The parameters weight decay applies to (matrices and embeddings) and the others (biases, norms), as
    /// nanoGPT's configure_optimizers.</summary>
    public (Tensor[] Decay, Tensor[] NoDecay) ParameterGroups()
    {
        var all = NamedParameters().Select(p => p.Parameter).ToArray();
        return (all.Where(p => p.Rank >= 2).ToArray(), all.Where(p => p.Rank < 2).ToArray());
    }
}

/// <summary>Feeds one sequence to a model, a few tokens at a time.</summary>
internal interface IDecoder
{
    /// <summary>Appends <paramref name="tokens"/> (at least one) to the sequence and returns the logits [vocabulary] that
    /// predict the token after the last one.</summary>
    Tensor Feed(ReadOnlySpan<int> tokens);
}

/// <summary>The decoder without a cache: keeps the whole sequence and runs the full model on its last context tokens at
/// every call (nanoGPT's <c>idx[:, -block_size:]</c>).</summary>
internal sealed class RecomputingDecoder(CharModel model) : IDecoder
{
    private readonly List<int> _history = [];

    public Tensor Feed(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("Decoder: feed at least one token.");
        _history.AddRange(tokens);
        int length = Math.Min(_history.Count, model.Config.Context);
        var window = _history.GetRange(_history.Count - length, length).ToArray();
        var logits = model.Logits(window, 1, length);                        // [1, T, V]
        return logits.Select(1, length - 1).Reshape(model.Config.VocabSize);  // [V]
    }
}
