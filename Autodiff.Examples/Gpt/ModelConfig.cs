// What this shows: the shape of a character model, saved as JSON in the checkpoint so --sample and --resume rebuild it.
using System.Text.Json;

namespace Autodiff.Examples.Gpt;

/// <summary>A character model's architecture: <c>gpt</c> (a transformer) or <c>lstm</c>/<c>gru</c> (embedding, recurrent
/// layers of <see cref="Channels"/> units, linear head).</summary>
internal sealed record ModelConfig(string Model, int VocabSize, int Context, int Layers, int Heads, int Channels, double Dropout)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static ModelConfig FromJson(string json) =>
        JsonSerializer.Deserialize<ModelConfig>(json) ?? throw new InvalidDataException("ModelConfig: the config JSON is null.");

    public string Describe() => Model == "gpt"
        ? $"GPT: {Layers} layers, {Heads} heads, {Channels} channels, context {Context}, vocabulary {VocabSize}, dropout {Dropout}"
        : $"{Model.ToUpperInvariant()}: {Layers} layers of {Channels} units, vocabulary {VocabSize}, dropout {Dropout}";
}
