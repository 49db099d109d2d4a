// What this shows: training on real Fashion-MNIST with the PyTorch loop — the notes' TwoLayerNet
// (784-100-10, ReLU, softmax-with-loss, SGD) by default, --model mlp (784-256-256-10, Adam) or --model cnn (two 3x3
// convolutions with max pooling, then 3136-128-10, Adam) — on pixels standardized with the training set's mean and std
// (as torchvision's Normalize), with a live progress bar per epoch, test accuracy on the full 10,000-image test set, a
// loss/accuracy curve (PNG) and a checkpoint.
using System.CommandLine;
using System.Diagnostics;
using Autodiff;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.Optim;
using Spectre.Console;

namespace Autodiff.Examples.FashionMnist;

internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "twolayer (784-100-10, SGD), mlp (784-256-256-10, Adam) or cnn (conv-pool-conv-pool-128-10, Adam)", DefaultValueFactory = _ => "twolayer" };
        model.AcceptOnlyFromAmong("twolayer", "mlp", "cnn");
        var epochs = new Option<int>("--epochs") { Description = "Passes over the 60,000 training images", DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int?>("--batch-size") { Description = "Samples per step (default 100 for twolayer, 128 for mlp and cnn)" };
        var lr = new Option<float?>("--lr") { Description = "Learning rate (default 0.1 for SGD, 1e-3 for Adam)" };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation and shuffling", DefaultValueFactory = _ => 0 };
        var normalize = new Option<bool>("--normalize")
        {
            Description = "Standardize pixels with the training set's mean and std, as torchvision's Normalize (--normalize false: pixels / 255 only)",
            DefaultValueFactory = _ => true,
        };
        var data = new Option<string>("--data") { Description = "Folder with the four IDX files", DefaultValueFactory = _ => Autodiff.NN.Data.FashionMnist.DefaultDirectory };
        var output = new Option<string>("--output") { Description = "Folder for the curve PNG and the checkpoint", DefaultValueFactory = _ => "fashion-mnist-output" };

        var exportOnnx = new Option<string?>("--export-onnx") { Description = "Also write the trained model as ONNX to this path (input [batch, 1, 28, 28] or [batch, 784], as trained)" };
        var command = new Command("fashion-mnist", "Train on Fashion-MNIST and report test accuracy") { model, epochs, batchSize, lr, seed, normalize, data, output, exportOnnx };
        command.SetAction(result => Run(result.GetValue(model)!, result.GetValue(epochs), result.GetValue(batchSize), result.GetValue(lr),
            result.GetValue(seed), result.GetValue(normalize), result.GetValue(data)!, result.GetValue(output)!, result.GetValue(exportOnnx)));
        return command;
    }

    public static int Run(string modelName, int epochs, int? batchSizeOption, float? lrOption, int seed, bool normalize, string dataDirectory,
        string outputDirectory, string? exportOnnx = null)
    {
        if (!Autodiff.NN.Data.FashionMnist.IsAvailable(dataDirectory))
        {
            Console.Error.WriteLine(Autodiff.NN.Data.FashionMnist.HowToGet);
            return 2;
        }
        bool adam = modelName != "twolayer";
        int batchSize = batchSizeOption ?? (adam ? 128 : 100);
        float lr = lrOption ?? (adam ? 1e-3f : 0.1f);

        var train = Autodiff.NN.Data.FashionMnist.Load(train: true, dataDirectory);
        var test = Autodiff.NN.Data.FashionMnist.Load(train: false, dataDirectory);
        string inputs = "pixels / 255";
        if (normalize)
        {
            var (mean, std) = train.InputStatistics();                                 // 0.2860 and 0.3530 for Fashion-MNIST
            (train, test) = (train.Normalize(mean, std), test.Normalize(mean, std));   // the test set uses the training statistics
            inputs = $"(pixels / 255 - {mean:F4}) / {std:F4}";
        }
        Generator.ManualSeed(seed);   // as torch.manual_seed: the layers below draw their initial weights from the default generator
        Module net = modelName switch
        {
            "mlp" => new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 256), new ReLU(), new Linear(256, 10)),
            "cnn" => new Sequential(new Unflatten(1, 1, 28, 28),                               // [N, 784] -> [N, 1, 28, 28]
                new Conv2d(1, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, padding: 1), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10)),
            _ => new Sequential(new Linear(784, 100), new ReLU(), new Linear(100, 10)),
        };
        Optimizer optimizer = adam ? new Adam(net.Parameters(), lr) : new SGD(net.Parameters(), lr);
        var loader = new DataLoader(train, batchSize, shuffle: true, seed: seed);   // its own shuffling stream, seeded too

        Console.WriteLine(net);
        Console.WriteLine($"{(adam ? "Adam" : "SGD")} lr {lr}, batch {batchSize}, {epochs} epochs, seed {seed}, {train.Count:N0} training / {test.Count:N0} test images, inputs {inputs}");
        var losses = new List<double>();
        var accuracies = new List<double>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double lossSum = 0;
            int steps = 0;
            var clock = Stopwatch.StartNew();
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"epoch {epoch}", maxValue: loader.BatchCount);
                    foreach (var (x, y) in loader)
                    {
                        using var scope = Tensor.NewDisposeScope();   // the batch and this step's activations are reused next step
                        scope.Include(x);
                        var loss = Functional.CrossEntropy(net.Forward(x), y);
                        optimizer.ZeroGrad();
                        loss.Backward();
                        optimizer.Step();
                        lossSum += loss.Item();
                        steps++;
                        double rate = steps * batchSize / clock.Elapsed.TotalSeconds;
                        task.Description = $"epoch {epoch}  loss {lossSum / steps:F4}  {rate,7:N0} samples/s";
                        task.Increment(1);
                    }
                });
            double seconds = clock.Elapsed.TotalSeconds;
            double accuracy = Evaluate(net, test);
            losses.Add(lossSum / steps);
            accuracies.Add(accuracy);
            Console.WriteLine($"epoch {epoch}: train loss {lossSum / steps:F4}, test accuracy {accuracy:F4}, {seconds:F2} s ({train.Count / seconds:N0} samples/s)");
        }

        Directory.CreateDirectory(outputDirectory);
        string checkpoint = Path.Combine(outputDirectory, $"{modelName}.ckpt");
        Checkpoint.SaveTraining(checkpoint, net, optimizer);   // model and optimizer state: training can resume exactly
        string curve = Path.Combine(outputDirectory, $"{modelName}-curve.png");
        Curves.Save(curve, losses, accuracies, $"Fashion-MNIST {modelName}");
        Console.WriteLine($"checkpoint: {checkpoint}");
        Console.WriteLine($"curve: {curve}");
        Console.WriteLine($"test accuracy: {accuracies[^1]:F4}");
        if (exportOnnx is not null)
        {
            if (Path.GetDirectoryName(Path.GetFullPath(exportOnnx)) is { } folder) Directory.CreateDirectory(folder);
            var sample = test.Inputs.Slice(0, 0, 1);                                       // one image, shaped as the model reads it
            Onnx.Export(net, sample, exportOnnx);
            Console.WriteLine($"ONNX: {exportOnnx} (input [batch, {string.Join(", ", sample.Shape.ToArray()[1..])}], {inputs}; output: 10 logits)");
        }
        return 0;
    }

    /// <summary>Accuracy on the whole set, in batches of 1,000, with nothing recorded on the tape.</summary>
    private static double Evaluate(Module net, TensorDataset data)
    {
        net.Eval();
        int correct = 0;
        using (Tape.NoGrad())
        {
            foreach (var (x, y) in new DataLoader(data, 1000))
            {
                using var scope = Tensor.NewDisposeScope();
                scope.Include(x);
                var predicted = Ops.ArgmaxIndices(net.Forward(x), 1);
                for (int i = 0; i < y.Length; i++) if (predicted[i] == y[i]) correct++;
            }
        }
        net.Train();
        return correct / (double)data.Count;
    }
}
