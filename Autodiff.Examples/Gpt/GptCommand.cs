// What this shows: the gpt command — train a character-level language model on any UTF-8 text (by default the Debian
// word list, so the model learns to invent English-looking words) and sample from it, as nanoGPT's train.py and
// sample.py do: AdamW with weight decay on matrices only, linear warm-up then cosine decay, gradient clipping, dropout,
// a validation estimate every few steps, a live progress line with tokens/s, a loss curve (PNG), a checkpoint that
// --resume continues and --sample reads, and sampling with temperature and top-k through a key/value cache.
using System.CommandLine;
using System.Diagnostics;
using Autodiff.NN;
using Autodiff.Optim;
using Spectre.Console;

namespace Autodiff.Examples.Gpt;

/// <summary>Everything the gpt command takes.</summary>
internal sealed record GptOptions
{
    public string? Text { get; init; }
    public string WordList { get; init; } = TextCorpus.DefaultWordList;
    public string Model { get; init; } = "gpt";
    public int? Steps { get; init; }
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int Channels { get; init; } = 128;
    public int Context { get; init; } = 64;
    public int Batch { get; init; } = 32;
    public double Lr { get; init; } = 3e-3;
    public double Dropout { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.1;
    public double GradClip { get; init; } = 1.0;
    public int Warmup { get; init; } = 100;
    public int EvalInterval { get; init; } = 100;
    public int EvalBatches { get; init; } = 10;
    public int Seed { get; init; }
    public int? Sample { get; init; }
    public bool Resume { get; init; }
    public double Temperature { get; init; } = 0.8;
    public int TopK { get; init; } = 0;
    public string Prompt { get; init; } = "\n";
    public bool Cache { get; init; } = true;
    public int SampleAfterTraining { get; init; } = 400;
    public string Output { get; init; } = "gpt-output";
    public string? ExportOnnx { get; init; }
}

internal static class GptCommand
{
    public const int DefaultSteps = 2000;

    public static Command Create()
    {
        var text = new Option<string?>("--text") { Description = "UTF-8 text to train on (default: the word list " + TextCorpus.DefaultWordList + ")" };
        var model = new Option<string>("--model") { Description = "gpt (transformer), lstm or gru (embedding, recurrent layers, linear head)", DefaultValueFactory = _ => "gpt" };
        model.AcceptOnlyFromAmong("gpt", "lstm", "gru");
        var steps = new Option<int?>("--steps") { Description = $"Training steps in all (default {DefaultSteps}; with --resume, the saved total)" };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks or recurrent layers", DefaultValueFactory = _ => 4 };
        var heads = new Option<int>("--heads") { Description = "Attention heads (gpt)", DefaultValueFactory = _ => 4 };
        var channels = new Option<int>("--channels") { Description = "Embedding width (gpt) or hidden units (lstm, gru)", DefaultValueFactory = _ => 128 };
        var context = new Option<int>("--context") { Description = "Characters per training window (and the gpt's attention span)", DefaultValueFactory = _ => 64 };
        var batch = new Option<int>("--batch") { Description = "Windows per step", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW), reached after the warm-up", DefaultValueFactory = _ => 3e-3 };
        var dropout = new Option<double>("--dropout") { Description = "Dropout probability", DefaultValueFactory = _ => 0.1 };
        var evalInterval = new Option<int>("--eval-interval") { Description = "Steps between validation estimates", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, batches, dropout and sampling", DefaultValueFactory = _ => 0 };
        var sample = new Option<int?>("--sample") { Description = "Generate N characters from the saved checkpoint, without training" };
        var resume = new Option<bool>("--resume") { Description = "Continue training from the saved checkpoint" };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (0: always the most likely character)", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely characters only (0: all)", DefaultValueFactory = _ => 0 };
        var prompt = new Option<string>("--prompt") { Description = "Text the samples continue", DefaultValueFactory = _ => "\n" };
        var cache = new Option<bool>("--cache") { Description = "Sample with the key/value cache (--cache false reruns the whole context per character)", DefaultValueFactory = _ => true };
        var output = new Option<string>("--output") { Description = "Folder for the checkpoint and the loss curve", DefaultValueFactory = _ => "gpt-output" };
        var exportOnnx = new Option<string?>("--export-onnx") { Description = "Also write the model as ONNX to this path (gpt: token ids [batch, context] in, logits out)" };

        var command = new Command("gpt", "Train a character-level GPT (or LSTM/GRU) on a text and sample from it")
        {
            text, model, steps, layers, heads, channels, context, batch, lr, dropout, evalInterval, seed, sample, resume,
            temperature, topK, prompt, cache, output, exportOnnx,
        };
        command.SetAction(r => Run(AnsiConsole.Console, new GptOptions
        {
            Text = r.GetValue(text), Model = r.GetValue(model)!, Steps = r.GetValue(steps), Layers = r.GetValue(layers),
            Heads = r.GetValue(heads), Channels = r.GetValue(channels), Context = r.GetValue(context), Batch = r.GetValue(batch),
            Lr = r.GetValue(lr), Dropout = r.GetValue(dropout), EvalInterval = r.GetValue(evalInterval), Seed = r.GetValue(seed),
            Sample = r.GetValue(sample), Resume = r.GetValue(resume), Temperature = r.GetValue(temperature), TopK = r.GetValue(topK),
            Prompt = r.GetValue(prompt)!, Cache = r.GetValue(cache), Output = r.GetValue(output)!, ExportOnnx = r.GetValue(exportOnnx),
        }));
        return command;
    }

    public static int Run(IAnsiConsole console, GptOptions options)
    {
        if (Problem(options) is { } problem)
        {
            console.MarkupLineInterpolated($"[red]{problem}[/]");
            return 2;
        }
        try
        {
            return RunChecked(console, options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or NotSupportedException)
        {
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");   // a prompt character the vocabulary lacks, a foreign checkpoint, ...
            return 2;
        }
    }

    /// <summary>What is wrong with the options, or null.</summary>
    private static string? Problem(GptOptions o) =>
        o.Steps is <= 0 ? $"--steps must be positive, got {o.Steps}." :
        o.Layers <= 0 || o.Heads <= 0 || o.Channels <= 0 || o.Context <= 0 || o.Batch <= 0
            ? $"--layers, --heads, --channels, --context and --batch must be positive, got {o.Layers}, {o.Heads}, {o.Channels}, {o.Context}, {o.Batch}." :
        o.Model == "gpt" && o.Channels % o.Heads != 0 ? $"--channels {o.Channels} must be a multiple of --heads {o.Heads}." :
        !(o.Lr > 0) ? $"--lr must be positive, got {o.Lr}." :
        !(o.Dropout >= 0 && o.Dropout < 1) ? $"--dropout must be in [0, 1), got {o.Dropout}." :
        o.EvalInterval <= 0 ? $"--eval-interval must be positive, got {o.EvalInterval}." :
        o.Sample is <= 0 ? $"--sample must be positive, got {o.Sample}." :
        !(o.Temperature >= 0) ? $"--temperature must be non-negative, got {o.Temperature}." :
        o.TopK < 0 ? $"--top-k must be non-negative (0 keeps all), got {o.TopK}." :
        o.Prompt.Length == 0 ? "--prompt must not be empty." : null;

    private static int RunChecked(IAnsiConsole console, GptOptions options)
    {
        string weights = ModelFile.WeightsPath(options.Output, options.Model);
        if (options.Sample is int count)
        {
            if (!File.Exists(weights))
            {
                console.MarkupLineInterpolated($"[red]No checkpoint at {weights}: train first (without --sample).[/]");
                return 2;
            }
            var (saved, vocabulary) = ModelFile.Load(weights);
            console.WriteLine($"{saved.Config.Describe()} from {weights}");
            PrintSample(console, saved, vocabulary, options, count);
            if (options.ExportOnnx is { } savedOnnx) WriteOnnx(console, saved, savedOnnx);
            return 0;
        }

        string? text = LoadText(console, options);
        if (text is null) return 2;
        return Train(console, text, options);
    }

    /// <summary>The training text: --text, or the shuffled word list; null (after saying how to get it) when missing.</summary>
    private static string? LoadText(IAnsiConsole console, GptOptions options)
    {
        if (options.Text is { } path)
        {
            if (File.Exists(path)) return File.ReadAllText(path);
            console.MarkupLineInterpolated($"[red]--text {path}: no such file.[/]");
            return null;
        }
        if (File.Exists(options.WordList)) return TextCorpus.ReadWordList(options.WordList);
        Console.Error.WriteLine(TextCorpus.HowToGetWordList);
        return null;
    }

    private static int Train(IAnsiConsole console, string text, GptOptions options)
    {
        string weights = ModelFile.WeightsPath(options.Output, options.Model), training = ModelFile.TrainingPath(options.Output, options.Model);
        Generator.ManualSeed(options.Seed);                         // initial weights and dropout masks
        CharModel model;
        CharVocabulary vocabulary;
        if (options.Resume)
        {
            if (!File.Exists(weights) || !File.Exists(training))
            {
                console.MarkupLineInterpolated($"[red]--resume: no checkpoint at {weights} and {training}.[/]");
                return 2;
            }
            (model, vocabulary) = ModelFile.Load(weights);          // the saved architecture wins over --layers etc.
        }
        else
        {
            vocabulary = CharVocabulary.FromText(text);
            var config = new ModelConfig(options.Model, vocabulary.Count, options.Context, options.Layers, options.Heads, options.Channels, options.Dropout);
            model = ModelFile.Create(config);
        }
        var (train, validation) = TextCorpus.Split(vocabulary.Encode(text));
        int context = model.Config.Context, batch = options.Batch;
        if (!train.Fits(context) || !validation.Fits(context))
        {
            console.MarkupLineInterpolated($"[red]The text is too short: {validation.Length} validation characters for windows of {context}; use a longer text or a shorter --context.[/]");
            return 2;
        }

        var (decay, noDecay) = model.ParameterGroups();
        var optimizer = new AdamW([new ParamGroup(decay, weightDecay: options.WeightDecay), new ParamGroup(noDecay, weightDecay: 0)],
            lr: options.Lr, beta1: 0.9, beta2: 0.99);
        var history = new TrainingHistory();
        int total = options.Steps ?? DefaultSteps, start = 0;
        LRScheduler scheduler;
        if (options.Resume)
        {
            history = ModelFile.LoadHistory(training);
            total = options.Steps ?? history.TotalSteps;            // a larger --steps stretches the cosine to the new end
            scheduler = Schedule(optimizer, options.Warmup, total, options.Lr);
            ModelFile.LoadTraining(training, model, optimizer, scheduler);
            start = scheduler.LastEpoch;
            for (int g = 0; g < optimizer.ParamGroups.Count; g++)
                optimizer.ParamGroups[g].Lr = scheduler.LastLr[g];  // the saved rate, or the stretched schedule's at this step
            if (start >= total)
            {
                console.MarkupLineInterpolated($"[red]--resume: the checkpoint has {start} steps already; pass a larger --steps.[/]");
                return 2;
            }
        }
        else scheduler = Schedule(optimizer, options.Warmup, total, options.Lr);

        console.WriteLine($"{model.Config.Describe()}, {model.ParameterCount():N0} parameters");
        console.WriteLine($"{train.Length:N0} training / {validation.Length:N0} validation characters, vocabulary {vocabulary.Count}; " +
            $"AdamW lr {options.Lr} (warm-up {Math.Max(0, Math.Min(options.Warmup, total - 1))} steps, cosine to {options.Lr / 10:G3}), weight decay {options.WeightDecay} on matrices, " +
            $"clip {options.GradClip}, batch {batch}×{context}, steps {start}..{total}, seed {options.Seed}");

        var batches = new Generator(options.Seed * 1_000_003L + start);   // a resumed run draws new windows
        var evalGenerator = new Generator(options.Seed + 17);
        double trainSum = 0;
        int trainCount = 0;
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(progress =>
            {
                var task = progress.AddTask("training", maxValue: Math.Max(1, total - start));
                double lastValidation = double.NaN;
                for (int step = start + 1; step <= total; step++)
                {
                    var (x, y) = train.Batch(batches, batch, context);
                    double loss = TrainStep(model, optimizer, x, y, batch, context, options.GradClip);
                    scheduler.Step();
                    tokens += batch * context;
                    (trainSum, trainCount) = (trainSum + loss, trainCount + 1);
                    if (step % options.EvalInterval == 0 || step == total)
                    {
                        lastValidation = EstimateLoss(model, validation, evalGenerator, options.EvalBatches, batch, context);
                        history.Add(step, trainSum / trainCount, lastValidation);
                        (trainSum, trainCount) = (0, 0);
                    }
                    task.Description = $"step {step}/{total}  loss {loss:F3}  val {(double.IsNaN(lastValidation) ? "  -  " : lastValidation.ToString("F3"))}  " +
                        $"{tokens / clock.Elapsed.TotalSeconds,7:N0} tokens/s";
                    task.Increment(1);
                }
            });
        double seconds = clock.Elapsed.TotalSeconds;
        console.WriteLine($"trained {total - start} steps in {seconds:F1} s: {tokens / seconds:N0} tokens/s");

        Directory.CreateDirectory(options.Output);
        ModelFile.Save(weights, model, vocabulary);
        history.TotalSteps = total;
        ModelFile.SaveTraining(training, model, optimizer, scheduler, history);
        string curve = Path.Combine(options.Output, $"{options.Model}-loss.png");
        if (history.Steps.Count > 0) LossCurves.Save(curve, history, $"{model.Config.Describe()}");
        if (history.Steps.Count > 0)
            console.WriteLine($"train loss {history.Train[^1]:F4}, validation loss {history.Validation[^1]:F4} (nats per character)");
        console.WriteLine($"checkpoint: {weights} (+ {training})");
        console.WriteLine($"loss curve: {curve}");
        if (options.SampleAfterTraining > 0) PrintSample(console, model, vocabulary, options, options.SampleAfterTraining);
        if (options.ExportOnnx is { } onnx) WriteOnnx(console, model, onnx);
        return 0;
    }

    /// <summary>Writes the model as ONNX: token ids [batch, window] (Int64; batch and window dynamic, the window up to the
    /// context length) in, logits [batch, window, vocabulary] out. The recurrent models are refused with the exporter's
    /// message (their embedding-and-head wrapper has no ONNX mapping).</summary>
    private static void WriteOnnx(IAnsiConsole console, CharModel model, string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        IReadOnlyDictionary<int, string> axes = new Dictionary<int, string> { [0] = "batch", [1] = "window" };
        Onnx.Export(model, new OnnxArguments().Input("input", Tensor.Zeros([1, model.Config.Context], DType.Int64)), path,
            dynamicAxes: new Dictionary<string, IReadOnlyDictionary<int, string>> { ["input"] = axes, ["output"] = axes });
        console.WriteLine($"ONNX: {path} (input: token ids [batch, window ≤ {model.Config.Context}], Int64; output: logits [batch, window, {model.Config.VocabSize}])");
    }

    /// <summary>Linear warm-up from lr/warmup to lr, then cosine decay to lr/10 at <paramref name="total"/>.</summary>
    public static LRScheduler Schedule(Optimizer optimizer, int warmup, int total, double lr)
    {
        warmup = Math.Min(warmup, total - 1);
        var cosine = new CosineAnnealingLR(optimizer, tMax: Math.Max(1, total - Math.Max(warmup, 0)), etaMin: lr / 10);
        if (warmup <= 0) return cosine;
        var warmUp = new LinearLR(optimizer, startFactor: 1.0 / warmup, endFactor: 1, totalIters: warmup);
        return new SequentialLR(optimizer, [warmUp, cosine], milestones: [warmup]);
    }

    /// <summary>One AdamW step on a batch; returns the batch's mean cross-entropy.</summary>
    public static double TrainStep(CharModel model, Optimizer optimizer, int[] x, int[] y, int batch, int context, double gradClip)
    {
        using var scope = Tensor.NewDisposeScope();                  // this step's activations are reused next step
        var logits = model.Logits(x, batch, context);                // [B, T, V]
        var loss = Functional.CrossEntropy(logits.Reshape(batch * context, model.Config.VocabSize), y);
        optimizer.ZeroGrad();
        loss.Backward();
        if (gradClip > 0) Utils.ClipGradNorm(model.Parameters(), gradClip);
        optimizer.Step();
        return loss.Item();
    }

    /// <summary>The mean loss over a few random batches, in eval mode (no dropout) and with nothing recorded.</summary>
    public static double EstimateLoss(CharModel model, TextCorpus corpus, Generator generator, int batches, int batch, int context)
    {
        model.Eval();
        double sum = 0;
        using (Tape.NoGrad())
        {
            for (int i = 0; i < batches; i++)
            {
                using var scope = Tensor.NewDisposeScope();
                var (x, y) = corpus.Batch(generator, batch, context);
                var logits = model.Logits(x, batch, context);
                sum += Functional.CrossEntropy(logits.Reshape(batch * context, model.Config.VocabSize), y).Item();
            }
        }
        model.Train();
        return sum / batches;
    }

    private static void PrintSample(IAnsiConsole console, CharModel model, CharVocabulary vocabulary, GptOptions options, int count)
    {
        var prompt = vocabulary.Encode(options.Prompt);
        var generator = new Generator(options.Seed);
        var clock = Stopwatch.StartNew();
        var drawn = Sampler.Generate(model, prompt, count, options.Temperature, options.TopK, generator, options.Cache);
        double seconds = clock.Elapsed.TotalSeconds;
        console.WriteLine($"--- {count} characters, temperature {options.Temperature}, top-k {(options.TopK > 0 ? options.TopK : "all")}, " +
            $"{(!options.Cache ? "recomputing the context" : model is Gpt ? "with the key/value cache" : "carrying the state")}: {count / seconds:N0} characters/s ---");
        console.WriteLine(options.Prompt + vocabulary.Decode(drawn));
    }
}
