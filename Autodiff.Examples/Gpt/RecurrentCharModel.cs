// What this shows: the same next-character task with a recurrent network: embedding → LSTM or GRU → Linear head.
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

/// <summary>Embedding, stacked LSTM or GRU layers, and a linear head over the vocabulary.</summary>
internal sealed class RecurrentCharModel : CharModel
{
    public RecurrentCharModel(ModelConfig config, Generator? generator = null) : base(config) =>
        throw new NotSupportedException($"RecurrentCharModel: --model {config.Model} needs the LSTM and GRU modules (issue 17, branch i17-rnn).");

    public override Tensor Logits(int[] tokens, int batch, int length) => throw new NotSupportedException();
}
