// What this shows: the per-epoch training loss and test accuracy drawn with ScottPlot and saved as a PNG.
namespace Autodiff.Examples.FashionMnist;

internal static class Curves
{
    public static void Save(string path, IReadOnlyList<double> losses, IReadOnlyList<double> accuracies, string title)
    {
        var epochs = Enumerable.Range(1, losses.Count).Select(e => (double)e).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        var loss = plot.Add.Scatter(epochs, losses.ToArray());
        loss.LegendText = "train loss";
        var accuracy = plot.Add.Scatter(epochs, accuracies.ToArray());
        accuracy.LegendText = "test accuracy";
        plot.ShowLegend(ScottPlot.Alignment.MiddleRight);
        plot.SavePng(path, 800, 500);
    }
}
