// Shared printing for the walk-throughs: the tape as a table, numbers in the notes' short form.
using System.Globalization;
using Autodiff;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class Show
{
    /// <summary>A number as the notes print it: up to 6 significant digits, invariant culture.</summary>
    public static string Number(double value) => (Math.Round(value, 10) + 0.0).ToString("G6", CultureInfo.InvariantCulture);   // + 0.0 turns -0 into 0

    /// <summary>Values of a tensor as [a, b, ...].</summary>
    public static string Values(Tensor t) => "[" + string.Join(", ", t.ToDoubleArray().Select(Number)) + "]";

    /// <summary>The current tape, one row per entry with its local derivative.</summary>
    public static void Tape(IAnsiConsole console, string title)
    {
        var table = new Table().Title(title).AddColumns("#", "op", "output <- inputs", "local derivative");
        foreach (var e in Autodiff.Tape.Current.Entries)
            Row(table, e.Sequence.ToString(CultureInfo.InvariantCulture), e.Op,
                $"{e.Output.Label} <- {string.Join(", ", e.Inputs.Select(t => t.Label))}", e.Formula);
        console.Write(table);
    }

    /// <summary>Adds a row of plain text cells (brackets in values are not markup).</summary>
    public static void Row(Table table, params string[] cells) => table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());

    /// <summary>Writes a tape page (Tensor.ToHtml) to <paramref name="path"/> and says how to open it.</summary>
    public static void WriteHtml(IAnsiConsole console, string path, string html)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory) Directory.CreateDirectory(directory);
        File.WriteAllText(path, html);
        console.WriteLine($"page written to {path}: open it in a browser (file://{Path.GetFullPath(path)}), then use the arrow keys to step");
    }

    /// <summary>A leaf scalar with a name, requiring grad.</summary>
    public static Tensor Leaf(string name, double value)
    {
        var t = Tensor.Scalar(value, DType.Float64).RequireGrad();
        t.Name = name;
        return t;
    }
}
