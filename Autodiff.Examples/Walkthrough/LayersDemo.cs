// What this shows: the notes' layers one by one — Add, Mul, ReLU, Sigmoid, Affine and Softmax-with-loss — each with
// its forward output and the gradient it sends back, computed by hand from the layer's formula and by the tape,
// side by side. They agree: the tape is the hand-derived layers, chained automatically.
using Autodiff;
using Autodiff.NN;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class LayersDemo
{
    public static int Run(IAnsiConsole console)
    {
        Tape.Current.Clear();
        var table = new Table().AddColumns("layer", "forward (by hand)", "forward (tape)", "gradient sent back (by hand)", "gradient sent back (tape)");
        double[] xs = [1.0, -2.0], ys = [3.0, 0.5], upstream = [0.5, -1.0];
        var dout = Tensor.FromArray(upstream);

        // Add: out = x + y; dx = dout, dy = dout.
        var (x, y) = (Leaf(xs), Leaf(ys));
        var outAdd = x + y;
        outAdd.Backward(dout);
        Row(table, "Add", [xs[0] + ys[0], xs[1] + ys[1]], outAdd, upstream, x.Grad!);

        // Mul: out = x·y; dx = dout·y (the other input), dy = dout·x.
        (x, y) = (Leaf(xs), Leaf(ys));
        var outMul = x * y;
        outMul.Backward(dout);
        Row(table, "Mul", [xs[0] * ys[0], xs[1] * ys[1]], outMul, [upstream[0] * ys[0], upstream[1] * ys[1]], x.Grad!);

        // ReLU: out = max(x, 0); dx = dout where x > 0, else 0.
        x = Leaf(xs);
        var outRelu = x.Relu();
        outRelu.Backward(dout);
        Row(table, "ReLU", [1.0, 0.0], outRelu, [upstream[0], 0.0], x.Grad!);

        // Sigmoid: out = 1/(1 + e^-x); dx = dout · out · (1 - out).
        x = Leaf(xs);
        var outSigmoid = x.Sigmoid();
        outSigmoid.Backward(dout);
        double[] s = [.. xs.Select(v => 1 / (1 + Math.Exp(-v)))];
        Row(table, "Sigmoid", s, outSigmoid, [upstream[0] * s[0] * (1 - s[0]), upstream[1] * s[1] * (1 - s[1])], x.Grad!);

        // Affine: out = X·W + b with X [1, 2], W [2, 2], b [2]; dX = dout·Wᵀ.
        var xAffine = Tensor.FromArray([1.0, 2.0], 1, 2).RequireGrad();
        var w = Tensor.FromArray([0.5, -1.0, 2.0, 0.25], 2, 2);
        var b = Tensor.FromArray([0.1, 0.2], 2);
        var outAffine = xAffine.MatMul(w) + b;
        outAffine.Backward(Tensor.FromArray(upstream, 1, 2));
        Row(table, "Affine", [1 * 0.5 + 2 * 2.0 + 0.1, 1 * -1.0 + 2 * 0.25 + 0.2], outAffine,
            [upstream[0] * 0.5 + upstream[1] * -1.0, upstream[0] * 2.0 + upstream[1] * 0.25], xAffine.Grad!);

        // Softmax-with-loss: L = -mean log softmax(a)[t]; da = (softmax(a) - onehot(t)) / N, here N = 1.
        var a = Tensor.FromArray([0.3, 2.9, 4.0], 1, 3).RequireGrad();
        var loss = Functional.CrossEntropy(a, [2]);
        loss.Backward();
        double[] e = [Math.Exp(0.3), Math.Exp(2.9), Math.Exp(4.0)];
        double[] softmax = [.. e.Select(v => v / e.Sum())];
        Row(table, "Softmax-with-loss", [-Math.Log(softmax[2])], loss, [softmax[0], softmax[1], softmax[2] - 1], a.Grad!);

        console.Write(table);
        console.WriteLine("Softmax-with-loss sends back (y - t) / N: prediction minus target.");
        return 0;
    }

    private static Tensor Leaf(double[] values) => Tensor.FromArray(values).RequireGrad();

    private static void Row(Table table, string layer, double[] forward, Tensor tapeForward, double[] backward, Tensor tapeBackward) =>
        Show.Row(table, layer, Values(forward), Show.Values(tapeForward), Values(backward), Show.Values(tapeBackward));

    private static string Values(double[] values) => "[" + string.Join(", ", values.Select(Show.Number)) + "]";
}
