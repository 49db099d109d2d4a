// What this shows: the training and validation loss of a run drawn with ScottPlot and saved as a PNG.
namespace Autodiff.Examples.Gpt;

internal static class LossCurves
{
    public static void Save(string path, TrainingHistory history, string title)
    {
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("cross-entropy (nats per character)");
        var steps = history.Steps.ToArray();
        var train = plot.Add.Scatter(steps, history.Train.ToArray());
        train.LegendText = "train";
        var validation = plot.Add.Scatter(steps, history.Validation.ToArray());
        validation.LegendText = "validation";
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 800, 500);
    }
}
