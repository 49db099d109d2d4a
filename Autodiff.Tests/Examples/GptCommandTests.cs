using Autodiff.Examples.Gpt;
using Spectre.Console;

namespace Autodiff.Tests.Examples;

/// <summary>The gpt command end to end, in-process, on a small text written to a temporary folder (never system files).</summary>
[NonParallelizable]   // Run reseeds Generator.Default, as the example does
public class GptCommandTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-gpt-cmd-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output) Run(GptOptions options)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        int code = GptCommand.Run(console, options);
        return (code, writer.ToString());
    }

    private GptOptions Small(string model = "gpt") => new()
    {
        Text = Path.Combine(_dir, "corpus.txt"), Model = model, Steps = 6, Layers = 1, Heads = 2, Channels = 16, Context = 8, Batch = 4,
        EvalInterval = 3, EvalBatches = 2, Warmup = 2, SampleAfterTraining = 20, Output = Path.Combine(_dir, "out"),
    };

    private void WriteCorpus() =>
        File.WriteAllText(Path.Combine(_dir, "corpus.txt"), string.Concat(Enumerable.Repeat("apple\nbanana\ncherry\ndate\nelder\nfig\ngrape\n", 12)));

    [Test]
    public void Train_WritesCheckpointAndCurve_ThenSampleAndResumeReadThem()
    {
        WriteCorpus();
        var options = Small();
        var (code, output) = Run(options);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("tokens/s").And.Contain("validation loss").And.Contain("20 characters"));
        foreach (var file in new[] { "gpt.safetensors", "gpt-training.ckpt", "gpt-loss.png" })
            Assert.That(File.Exists(Path.Combine(options.Output, file)), Is.True, file);

        var sample1 = Run(options with { Sample = 30, Seed = 4 });
        var sample2 = Run(options with { Sample = 30, Seed = 4 });
        Assert.That(sample1.Code, Is.EqualTo(0), sample1.Output);
        Assert.That(sample1.Output, Does.Contain("30 characters").And.Not.Contain("tokens/s"));   // no training
        Assert.That(sample1.Output, Is.EqualTo(sample2.Output.Replace(Rate(sample2.Output), Rate(sample1.Output))));

        var resumed = Run(options with { Resume = true, Steps = 9 });
        Assert.That(resumed.Code, Is.EqualTo(0), resumed.Output);
        Assert.That(resumed.Output, Does.Contain("steps 6..9"));
        var history = ModelFile.LoadHistory(ModelFile.TrainingPath(options.Output, "gpt"));
        Assert.That(history.Steps, Is.EqualTo(new double[] { 3, 6, 9 }));
        Assert.That(history.TotalSteps, Is.EqualTo(9));
    }

    [Test]
    public void ExportOnnx_WritesAFileOnnxRuntimeRuns_AndTheRecurrentModelsAreRefusedByName()
    {
        WriteCorpus();
        var options = Small() with { ExportOnnx = Path.Combine(_dir, "onnx", "gpt.onnx") };
        var (code, output) = Run(options);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("ONNX: " + options.ExportOnnx));
        var tokens = Tensor.FromArray(Enumerable.Range(0, 2 * 8).Select(i => (long)(i % 5)).ToArray(), 2, 8);
        var logits = Autodiff.Tests.Onnx.OnnxExportTests.RunOnnx(File.ReadAllBytes(options.ExportOnnx!), tokens, out var shape);
        var (model, _) = ModelFile.Load(ModelFile.WeightsPath(options.Output, "gpt"));
        model.Eval();
        Assert.That(shape, Is.EqualTo(new[] { 2, 8, model.Config.VocabSize }));
        Assert.That(logits, Is.EqualTo(model.Forward(tokens).ToArray()).Within(1e-4), "the checkpoint's model and the ONNX file agree");
        var shorter = Tensor.FromArray(Enumerable.Range(0, 3 * 5).Select(i => (long)(i % 4)).ToArray(), 3, 5);
        var shortLogits = Autodiff.Tests.Onnx.OnnxExportTests.RunOnnx(File.ReadAllBytes(options.ExportOnnx!), shorter, out var shortShape);
        Assert.That(shortShape, Is.EqualTo(new[] { 3, 5, model.Config.VocabSize }), "batch and window are dynamic");
        Assert.That(shortLogits, Is.EqualTo(model.Forward(shorter).ToArray()).Within(1e-4));

        var recurrent = Run(Small("lstm") with { ExportOnnx = Path.Combine(_dir, "onnx", "lstm.onnx") });
        Assert.That(recurrent.Code, Is.EqualTo(2), recurrent.Output);
        Assert.That(recurrent.Output, Does.Contain("RecurrentCharModel"));
    }

    private static string Rate(string output) => output[(output.IndexOf("cache: ", StringComparison.Ordinal) + 7)..].Split(' ')[0];

    [TestCase("lstm")]
    [TestCase("gru")]
    public void Train_RecurrentModelsTrainAndSample(string model)
    {
        WriteCorpus();
        var options = Small(model);
        var (code, output) = Run(options);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain(model.ToUpperInvariant() + ": 1 layers of 16 units").And.Contain("20 characters"));
        Assert.That(File.Exists(Path.Combine(options.Output, $"{model}.safetensors")), Is.True);
        var sample = Run(options with { Sample = 15 });
        Assert.That(sample.Code, Is.EqualTo(0), sample.Output);
    }

    [Test]
    public void Resume_PastTheSavedStepsFailsWithAMessage()
    {
        WriteCorpus();
        var options = Small();
        Assert.That(Run(options).Code, Is.EqualTo(0));
        var (code, output) = Run(options with { Resume = true });
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("larger --steps"));
    }

    [Test]
    public void MissingWordList_SaysHowToInstallItAndFails()
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try
        {
            var (code, _) = Run(new GptOptions { WordList = Path.Combine(_dir, "no-such-words"), Output = Path.Combine(_dir, "out") });
            Assert.That(code, Is.Not.EqualTo(0));
        }
        finally
        {
            Console.SetError(saved);
        }
        Assert.That(error.ToString(), Does.Contain("sudo apt-get install wamerican").And.Contain("--text"));
    }

    [Test]
    public void Sample_WithAPromptCharacterOutsideTheVocabularyNamesIt()
    {
        WriteCorpus();
        var options = Small() with { SampleAfterTraining = 0 };
        Assert.That(Run(options).Code, Is.EqualTo(0));
        var (code, output) = Run(options with { Sample = 5, Prompt = "apple#" });
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("'#'").And.Contain("position 5"));
    }

    [TestCase(0, 4, "--steps must be positive")]
    [TestCase(5, 3, "--channels 16 must be a multiple of --heads 3")]
    public void Run_RejectsBadOptionsNamingThem(int steps, int heads, string message)
    {
        var (code, output) = Run(Small() with { Steps = steps, Heads = heads });
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain(message));
    }

    [Test]
    public void Sample_WithoutACheckpointFails()
    {
        var (code, output) = Run(Small() with { Sample = 10 });
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("No checkpoint"));
    }

    [Test]
    public void Train_RejectsATextShorterThanTheContext()
    {
        File.WriteAllText(Path.Combine(_dir, "corpus.txt"), "tiny text");
        var (code, output) = Run(Small());
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("too short"));
    }
}
