// What this shows: why backpropagation exists. The notes' two-layer net (784-50-10): the gradient of every parameter
// by central differences (two forward passes per parameter) and by one Backward() on the tape; the largest
// difference between them; and how much faster the tape is. Float64, on a Fashion-MNIST batch when installed.
// With --html, the loss's graph (the two-layer net's forward and backward) as a page.
using System.Diagnostics;
using Autodiff;
using Autodiff.NN;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class NumericVsBackpropDemo
{
    public static int Run(IAnsiConsole console, int batchSize = 3, int hidden = 50, string dataDirectory = Autodiff.NN.Data.FashionMnist.DefaultDirectory,
        string? htmlPath = null)
    {
        Tape.Current.Clear();
        var generator = new Generator(0);
        Tensor x;
        int[] labels;
        if (Autodiff.NN.Data.FashionMnist.IsAvailable(dataDirectory))
        {
            var test = Autodiff.NN.Data.FashionMnist.Load(train: false, dataDirectory);
            x = Ops.Slice(test.Inputs, 0, 0, batchSize).To(DType.Float64).Detach();
            labels = test.Labels[..batchSize];
            console.WriteLine($"a batch of {batchSize} Fashion-MNIST test images");
        }
        else
        {
            x = Tensor.Rand([batchSize, 784], generator, DType.Float64);
            labels = [.. Enumerable.Range(0, batchSize).Select(i => i % 10)];
            console.WriteLine($"a batch of {batchSize} random images (Fashion-MNIST is not installed)");
        }
        var w1 = (Tensor.Randn([784, hidden], generator, DType.Float64) * 0.01).Detach().RequireGrad();
        var b1 = Tensor.Zeros([hidden], DType.Float64).RequireGrad();
        var w2 = (Tensor.Randn([hidden, 10], generator, DType.Float64) * 0.01).Detach().RequireGrad();
        var b2 = Tensor.Zeros([10], DType.Float64).RequireGrad();
        Tensor[] parameters = [w1, b1, w2, b2];
        string[] names = ["W1", "b1", "W2", "b2"];
        Tensor Loss() => Functional.CrossEntropy((x.MatMul(w1) + b1).Relu().MatMul(w2) + b2, labels);

        if (htmlPath is not null)
        {
            x.Name = "x";
            for (int k = 0; k < parameters.Length; k++) parameters[k].Name = names[k];
            var loss = Loss();
            Show.WriteHtml(console, htmlPath, loss.ToHtml(title: $"The two-layer net {784}-{hidden}-10: loss = CrossEntropy(ReLU(x·W1 + b1)·W2 + b2)"));
            loss.Backward();
            foreach (var p in parameters) p.Grad = null;
        }
        Loss().Backward();                                            // warm-up: let the JIT compile the path once
        foreach (var p in parameters) p.Grad = null;
        var clock = Stopwatch.StartNew();
        Loss().Backward();
        double tapeSeconds = clock.Elapsed.TotalSeconds;

        const double h = 1e-4;
        var numeric = new double[parameters.Length][];
        clock.Restart();
        using (Tape.NoGrad())
        {
            for (int k = 0; k < parameters.Length; k++)
            {
                var data = parameters[k].AsDoubleSpan();
                numeric[k] = new double[data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    double saved = data[i];
                    data[i] = saved + h;
                    double plus = Loss().ItemDouble();
                    data[i] = saved - h;
                    double minus = Loss().ItemDouble();
                    data[i] = saved;
                    numeric[k][i] = (plus - minus) / (2 * h);           // (f(x+h) - f(x-h)) / 2h
                }
            }
        }
        double numericSeconds = clock.Elapsed.TotalSeconds;

        var table = new Table().AddColumns("parameter", "shape", "max |tape - numeric|");
        double worst = 0;
        for (int k = 0; k < parameters.Length; k++)
        {
            var tape = parameters[k].Grad!.ToDoubleArray();
            double max = tape.Zip(numeric[k], (a, b) => Math.Abs(a - b)).Max();
            worst = Math.Max(worst, max);
            Show.Row(table, names[k], parameters[k].Shape.ToString(), max.ToString("E2", System.Globalization.CultureInfo.InvariantCulture));
        }
        console.Write(table);
        long count = parameters.Sum(p => (long)p.Numel);
        console.WriteLine($"largest difference: {worst.ToString("E2", System.Globalization.CultureInfo.InvariantCulture)}");
        console.WriteLine($"numeric gradient ({count:N0} parameters, {2 * count:N0} forward passes): {numericSeconds:F3} s");
        console.WriteLine($"tape gradient (one forward, one backward): {tapeSeconds * 1000:F3} ms");
        console.WriteLine($"the tape is {numericSeconds / tapeSeconds:N0} times faster");
        return 0;
    }
}
