// What this shows: the chain rule on z = (x + y)², whose tape has an Add and a Pow: dz/dx = 2(x + y) · 1;
// then the notes' multiply node, which sends back the upstream gradient times the *other* input:
// with x = 10, y = 5 and upstream 1.3, dx = 1.3 × 5 = 6.5 and dy = 1.3 × 10 = 13. With --html, the z graph as a page.
using Autodiff;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class ChainRuleDemo
{
    public static int Run(IAnsiConsole console, double xValue = 2, double yValue = 3, string? htmlPath = null)
    {
        Tape.Current.Clear();
        var x = Show.Leaf("x", xValue);
        var y = Show.Leaf("y", yValue);
        var z = (x + y).Pow(2);
        Show.Tape(console, "z = (x + y)²: t = x + y, z = t²");
        if (htmlPath is not null) Show.WriteHtml(console, htmlPath, z.ToHtml(title: "The chain rule: z = (x + y)²"));
        z.Backward();
        console.WriteLine($"z = {Show.Number(z.ItemDouble())}");
        console.WriteLine($"dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y) = {Show.Number(2 * (xValue + yValue))}; tape: {Show.Number(x.Grad!.ItemDouble())}");
        console.WriteLine($"dz/dy = 2(x + y) = {Show.Number(2 * (xValue + yValue))}; tape: {Show.Number(y.Grad!.ItemDouble())}");

        var a = Show.Leaf("x", 10);
        var b = Show.Leaf("y", 5);
        var product = a * b;
        Show.Tape(console, "The multiply node: out = x · y");
        product.Backward(Tensor.Scalar(1.3, DType.Float64));
        console.WriteLine("upstream gradient 1.3; the multiply node swaps its inputs:");
        console.WriteLine($"dx = 1.3 × y = 1.3 × 5 = {Show.Number(a.Grad!.ItemDouble())}");
        console.WriteLine($"dy = 1.3 × x = 1.3 × 10 = {Show.Number(b.Grad!.ItemDouble())}");
        return 0;
    }
}
