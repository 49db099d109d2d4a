// What this shows: the notes' "buying apples" graphs. The forward pass records each multiply and add on the tape;
// the tape is printed with each node's local derivative; one Backward() sends the gradients back:
// 2 apples at 100 with tax 1.1 cost 220 (d/dapple 2.2, d/dcount 110, d/dtax 200), and apples and oranges
// (100×2 + 150×3)×1.1 = 715 with gradients 2.2, 110, 3.3, 165, 650. The second graph is written as DOT (and SVG with Graphviz),
// and with --html as a page that steps through its forward and backward passes (Tensor.ToHtml).
using System.Diagnostics;
using Autodiff;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class GraphDemo
{
    public static int Run(IAnsiConsole console, string outputDirectory, string? htmlPath = null)
    {
        Tape.Current.Clear();
        var apple = Show.Leaf("apple", 100);
        var count = Show.Leaf("appleCount", 2);
        var tax = Show.Leaf("tax", 1.1);
        var price = apple * count * tax;
        Show.Tape(console, "Buying apples: price = apple · appleCount · tax");
        price.Backward();
        console.WriteLine($"price = {Show.Number(price.ItemDouble())}");
        Gradients(console, apple, count, tax);

        var orange = Show.Leaf("orange", 150);
        var orangeCount = Show.Leaf("orangeCount", 3);
        apple = Show.Leaf("apple", 100);
        count = Show.Leaf("appleCount", 2);
        tax = Show.Leaf("tax", 1.1);
        price = (apple * count + orange * orangeCount) * tax;
        Show.Tape(console, "Buying apples and oranges: price = (apple · appleCount + orange · orangeCount) · tax");
        string dot = Tape.Current.ToDot();
        if (htmlPath is not null) Show.WriteHtml(console, htmlPath, price.ToHtml(title: "Buying apples and oranges: price = (apple · appleCount + orange · orangeCount) · tax"));
        price.Backward();
        console.WriteLine($"price = {Show.Number(price.ItemDouble())}");
        Gradients(console, apple, count, orange, orangeCount, tax);

        Directory.CreateDirectory(outputDirectory);
        string dotPath = Path.Combine(outputDirectory, "apples.dot");
        File.WriteAllText(dotPath, dot);
        console.WriteLine($"graph written to {dotPath}");
        string svgPath = Path.ChangeExtension(dotPath, ".svg");
        if (TryRenderSvg(dotPath, svgPath)) console.WriteLine($"picture written to {svgPath}");
        else console.WriteLine("install Graphviz (sudo apt-get install graphviz) to also get an SVG picture");
        return 0;
    }

    private static void Gradients(IAnsiConsole console, params Tensor[] leaves)
    {
        var table = new Table().AddColumns("input", "value", "d price / d input");
        foreach (var t in leaves) Show.Row(table, t.Name!, Show.Number(t.ItemDouble()), Show.Number(t.Grad!.ItemDouble()));
        console.Write(table);
    }

    private static bool TryRenderSvg(string dotPath, string svgPath)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("dot", ["-Tsvg", dotPath, "-o", svgPath]) { RedirectStandardError = true });
            if (process is null) return false;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;                                    // Graphviz is not installed
        }
    }
}
