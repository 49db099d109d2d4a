// What this shows: the notes' perceptron trained with the tape and SGD. ŷ = step(xw + b) is not differentiable, so
// the loss -mean((t - ŷ)·(xw + b)) treats ŷ as a constant; its gradient -mean((t - ŷ)·x) is the perceptron rule.
// Float64, as the notes' NumPy: the run stops at epoch 4 with w = [-0.35, 0.55], b = -0.45, loss 0. With --html,
// the first epoch's graph as a page.
using Autodiff;
using Autodiff.Optim;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class PerceptronDemo
{
    public static int Run(IAnsiConsole console) => Run(console, htmlPath: null);

    /// <summary>Trains the perceptron; writes the first epoch's graph as a page to <paramref name="htmlPath"/> unless null.</summary>
    public static int Run(IAnsiConsole console, string? htmlPath)
    {
        Tape.Current.Clear();
        var x = Tensor.FromArray([1.0, 1, -1, 1, -1, -0.5, -1, 1.5], 4, 2);
        var t = Tensor.FromArray([0.0, 1, 0, 1], 4);
        var w = Tensor.FromArray([1.0, 1], 2).RequireGrad();
        var b = Tensor.Scalar(0, DType.Float64).RequireGrad();
        (x.Name, t.Name, w.Name, b.Name) = ("x", "t", "w", "b");         // as the page (--html) shows them
        var optimizer = new SGD([w, b], lr: 0.9f);

        var table = new Table().AddColumns("epoch", "val = xw + b", "w", "b", "ŷ", "loss");
        for (int epoch = 0; epoch < 100; epoch++)
        {
            var val = x.MatMul(w) + b;                                       // [4]
            var predicted = Step(val);                                       // ŷ = step(val)
            var loss = -((t - predicted) * val).Mean();                      // ŷ is a constant: no gradient through the step
            Show.Row(table, epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), Show.Values(val), Show.Values(w),
                Show.Number(b.ItemDouble()), Show.Values(predicted), Show.Number(loss.ItemDouble()));
            if (loss.ItemDouble() == 0)
            {
                Tape.Current.Clear();
                break;
            }
            if (epoch == 0 && htmlPath is not null)
                Show.WriteHtml(console, htmlPath, loss.ToHtml(title: "The perceptron, epoch 0: loss = -mean((t - ŷ)·(xw + b))"));
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        console.Write(table);
        console.WriteLine($"final w = {Show.Values(w)}, b = {Show.Number(b.ItemDouble())}");
        return 0;
    }

    /// <summary>ŷ = 1 where val &gt; 0, else 0: a constant cut from the tape.</summary>
    private static Tensor Step(Tensor val) =>
        Tensor.FromArray(val.ToDoubleArray().Select(v => v > 0 ? 1.0 : 0.0).ToArray(), val.Shape.ToArray());
}
