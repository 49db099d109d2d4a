// What this shows: sampling text from a character model as nanoGPT's generate does — logits of the next character,
// divided by the temperature, cut to the top k, softmax, one draw from the seeded generator — feeding each drawn
// character back through a decoder (with a key/value cache or recurrent state: one position of work per character).
namespace Autodiff.Examples.Gpt;

internal static class Sampler
{
    /// <summary>Draws <paramref name="count"/> tokens after <paramref name="prompt"/>; <paramref name="onToken"/> sees each
    /// as it comes. Temperature 0 picks the most likely token; <paramref name="topK"/> 0 keeps every token.</summary>
    public static int[] Generate(CharModel model, int[] prompt, int count, double temperature, int topK, Generator generator,
        bool cache = true, Action<int>? onToken = null)
    {
        if (prompt.Length == 0) throw new ArgumentException("Sampler: the prompt needs at least one token.");
        if (!(temperature >= 0)) throw new ArgumentException($"Sampler: temperature must be non-negative, got {temperature}.");
        if (topK < 0) throw new ArgumentException($"Sampler: topK must be non-negative (0 keeps all), got {topK}.");
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Tape.NoGrad();
            var decoder = model.NewDecoder(cache);
            var drawn = new int[count];
            var logits = decoder.Feed(prompt);
            for (int i = 0; i < count; i++)
            {
                int token = Draw(logits, temperature, topK, generator);
                drawn[i] = token;
                onToken?.Invoke(token);
                if (i + 1 < count) logits = decoder.Feed([token]);
            }
            return drawn;
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>One token from logits [V]: argmax at temperature 0, else a draw from softmax(top-k(logits) / temperature).</summary>
    public static int Draw(Tensor logits, double temperature, int topK, Generator generator)
    {
        if (temperature == 0) return (int)Ops.Argmax(logits, 0).ItemInt64();
        var scaled = logits / temperature;
        if (topK > 0 && topK < logits.Numel)
        {
            var (top, _) = Ops.TopK(scaled, topK);                                         // sorted, largest first
            var threshold = top.Slice(0, topK - 1, topK);                                  // the k-th largest
            scaled = Ops.MaskedFill(scaled, Ops.Lt(scaled, threshold), double.NegativeInfinity);
        }
        return (int)Ops.Multinomial(scaled.Softmax(0), 1, generator: generator).ItemInt64();
    }
}
