// What this shows: the checkpoint of a character model. {model}.safetensors holds the weights, with the model config and
// the vocabulary (JSON) in the safetensors metadata, so one atomically written file is all --sample needs (and
// safetensors.torch.load_file reads the weights in Python). {model}-training.ckpt adds what --resume needs: the AdamW
// moments, the schedule's position and the loss history.
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Examples.Gpt;

internal static class ModelFile
{
    private const string ConfigKey = "autodiff.charlm.config", VocabularyKey = "autodiff.charlm.vocabulary";

    public static string WeightsPath(string directory, string model) => Path.Combine(directory, $"{model}.safetensors");

    public static string TrainingPath(string directory, string model) => Path.Combine(directory, $"{model}-training.ckpt");

    /// <summary>Builds an untrained model of <paramref name="config"/>.</summary>
    public static CharModel Create(ModelConfig config, Generator? generator = null) => config.Model switch
    {
        "gpt" => new Gpt(config, generator),
        "lstm" or "gru" => new RecurrentCharModel(config, generator),
        _ => throw new ArgumentException($"ModelFile: unknown model '{config.Model}' (gpt, lstm or gru)."),
    };

    /// <summary>Writes the weights, config and vocabulary to <paramref name="path"/> in one atomic write.</summary>
    public static void Save(string path, CharModel model, CharVocabulary vocabulary) =>
        model.SaveSafetensors(path, new Dictionary<string, string>
        {
            [ConfigKey] = model.Config.ToJson(),
            [VocabularyKey] = vocabulary.ToJson(),
        });

    /// <summary>The model (its weights loaded) and the vocabulary saved by <see cref="Save"/>.</summary>
    public static (CharModel Model, CharVocabulary Vocabulary) Load(string path)
    {
        var tensors = Safetensors.Load(path, out var metadata);
        if (!metadata.TryGetValue(ConfigKey, out var config) || !metadata.TryGetValue(VocabularyKey, out var vocabulary))
            throw new InvalidDataException($"ModelFile: {path} has no model config or vocabulary in its metadata; it was not written by the gpt example.");
        var model = Create(ModelConfig.FromJson(config));
        model.LoadStateDict(tensors);
        return (model, CharVocabulary.FromJson(vocabulary));
    }

    /// <summary>Writes the model, optimizer and scheduler state and the loss history (one atomic write).</summary>
    public static void SaveTraining(string path, CharModel model, Optimizer optimizer, LRScheduler scheduler, TrainingHistory history) =>
        Checkpoint.Save(path, model.StateDict().Select(p => KeyValuePair.Create("model." + p.Key, p.Value))
            .Concat(optimizer.StateDict().Select(p => KeyValuePair.Create("optimizer." + p.Key, p.Value)))
            .Concat(scheduler.StateDict().Select(p => KeyValuePair.Create("scheduler." + p.Key, p.Value)))
            .Concat(history.ToTensors().Select(p => KeyValuePair.Create("history." + p.Key, p.Value))));

    /// <summary>The loss history and planned step count saved by <see cref="SaveTraining"/>.</summary>
    public static TrainingHistory LoadHistory(string path) =>
        TrainingHistory.FromTensors(Checkpoint.Load(path).Where(e => e.Key.StartsWith("history.", StringComparison.Ordinal))
            .ToDictionary(e => e.Key["history.".Length..], e => e.Value));

    /// <summary>Restores what <see cref="SaveTraining"/> wrote into a model, optimizer and scheduler built alike.</summary>
    public static void LoadTraining(string path, CharModel model, Optimizer optimizer, LRScheduler scheduler) =>
        Checkpoint.LoadTraining(path, model, optimizer, scheduler);   // the history.* entries are not the model's
}

/// <summary>The losses logged so far: the mean training loss since the previous estimate and the validation loss, at
/// each evaluation step; and the steps the run plans in all (the cosine schedule's end).</summary>
internal sealed class TrainingHistory
{
    public int TotalSteps { get; set; }

    public List<double> Steps { get; } = [];
    public List<double> Train { get; } = [];
    public List<double> Validation { get; } = [];

    public void Add(int step, double train, double validation) { Steps.Add(step); Train.Add(train); Validation.Add(validation); }

    public Dictionary<string, Tensor> ToTensors() => new()
    {
        ["steps"] = Tensor.FromArray(Steps.ToArray(), Steps.Count),
        ["train"] = Tensor.FromArray(Train.ToArray(), Train.Count),
        ["validation"] = Tensor.FromArray(Validation.ToArray(), Validation.Count),
        ["total_steps"] = Tensor.Scalar(TotalSteps, DType.Float64),
    };

    public static TrainingHistory FromTensors(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var history = new TrainingHistory();
        if (tensors.TryGetValue("total_steps", out var total)) history.TotalSteps = (int)total.ItemDouble();
        if (tensors.TryGetValue("steps", out var steps))
        {
            history.Steps.AddRange(steps.ToDoubleArray());
            history.Train.AddRange(tensors["train"].ToDoubleArray());
            history.Validation.AddRange(tensors["validation"].ToDoubleArray());
        }
        return history;
    }
}
