// The examples' command line. With no arguments: trains the notes' TwoLayerNet on Fashion-MNIST when the data is
// installed; otherwise runs the walk-throughs of the notes and says how to get the data.
using System.CommandLine;
using Autodiff.Examples.FashionMnist;
using Autodiff.Examples.Walkthrough;
using Spectre.Console;

var output = new Option<string>("--output") { Description = "Folder for the graph files", DefaultValueFactory = _ => "walkthrough-output" };
// --html PATH: the walk-through's graph as one self-contained page to open in a browser (Tape.ToHtml), stepping
// through the forward and backward passes. One Option per command, as System.CommandLine wants.
static Option<string?> HtmlOption() => new("--html") { Description = "Also write the graph as an interactive HTML page to this file (open it in a browser)" };

var graphHtml = HtmlOption();
var graph = new Command("graph", "Buying apples: the computation graph the tape records, with its gradients (DOT/SVG)") { output, graphHtml };
graph.SetAction(r => GraphDemo.Run(AnsiConsole.Console, r.GetValue(output)!, r.GetValue(graphHtml)));

var chainRuleHtml = HtmlOption();
var chainRule = new Command("chain-rule", "z = (x + y)² and the multiply node's backward") { chainRuleHtml };
chainRule.SetAction(r => ChainRuleDemo.Run(AnsiConsole.Console, htmlPath: r.GetValue(chainRuleHtml)));

var perceptronHtml = HtmlOption();
var perceptron = new Command("perceptron", "The notes' perceptron trained with the tape and SGD") { perceptronHtml };
perceptron.SetAction(r => PerceptronDemo.Run(AnsiConsole.Console, r.GetValue(perceptronHtml)));

var layers = new Command("layers", "Add, Mul, ReLU, Sigmoid, Affine, Softmax-with-loss: by hand vs the tape");
layers.SetAction(_ => LayersDemo.Run(AnsiConsole.Console));

var simpleNetwork = new Command("simple-network", "The notes' PyTorch example, line for line in C#");
simpleNetwork.SetAction(_ => SimpleNetworkDemo.Run(AnsiConsole.Console));

var batch = new Option<int>("--batch-size") { Description = "Images in the batch", DefaultValueFactory = _ => 3 };
var hidden = new Option<int>("--hidden") { Description = "Hidden units", DefaultValueFactory = _ => 50 };
var numericHtml = HtmlOption();
var numeric = new Command("numeric-vs-backprop", "Every gradient of a 784-50-10 net by central differences and by the tape") { batch, hidden, numericHtml };
numeric.SetAction(r => NumericVsBackpropDemo.Run(AnsiConsole.Console, r.GetValue(batch), r.GetValue(hidden), htmlPath: r.GetValue(numericHtml)));

var walkthrough = new Command("walkthrough", "The apples graph, then a tiny network training");
walkthrough.SetAction(_ => Walkthroughs());

var root = new RootCommand("Autodiff examples: reverse-mode autodiff and neural networks in C#")
{
    TrainCommand.Create(), Autodiff.Examples.Gpt.GptCommand.Create(), Autodiff.Examples.PtCheck.PtCheckCommand.Create(), graph, chainRule, perceptron, layers, simpleNetwork, numeric, walkthrough,
};
root.SetAction(_ =>
{
    if (Autodiff.NN.Data.FashionMnist.IsAvailable())
        return TrainCommand.Run("twolayer", 5, null, null, 0, normalize: true, Autodiff.NN.Data.FashionMnist.DefaultDirectory, "fashion-mnist-output");
    Walkthroughs();
    Console.WriteLine(Autodiff.NN.Data.FashionMnist.HowToGet);
    return 0;
});
WarnIfUnoptimized();
return root.Parse(args).Invoke();

// `dotnet run` builds Debug unless told otherwise, and a Debug epoch of the TwoLayerNet takes 16-29 s against 0.34-0.62 s
// in Release (measured in issue 13); say so before a newcomer mistakes that for the library's speed.
static void WarnIfUnoptimized()
{
    var debuggable = typeof(Autodiff.Tensor).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
        .OfType<System.Diagnostics.DebuggableAttribute>().FirstOrDefault();
    if (debuggable?.IsJITOptimizerDisabled == true)
        Console.Error.WriteLine("Note: this is a Debug build of Autodiff, many times slower than Release. " +
            "Run `dotnet run -c Release --project Autodiff.Examples` for real speed.");
}

static int Walkthroughs()
{
    GraphDemo.Run(AnsiConsole.Console, "walkthrough-output");
    TinyNetworkDemo.Run();
    return 0;
}
