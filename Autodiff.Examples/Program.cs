// The examples' command line. With no arguments: trains the notes' TwoLayerNet on Fashion-MNIST when the data is
// installed; otherwise runs the walk-through (the apples graph and a tiny network) and says how to get the data.
using System.CommandLine;
using Autodiff.Examples.FashionMnist;
using Autodiff.Examples.Walkthrough;

var walkthrough = new Command("walkthrough", "The notes' apples graph with its gradients, then a tiny network training");
walkthrough.SetAction(_ =>
{
    ApplesDemo.Run();
    TinyNetworkDemo.Run();
    return 0;
});

var root = new RootCommand("Autodiff examples: reverse-mode autodiff and neural networks in C#") { TrainCommand.Create(), walkthrough };
root.SetAction(_ =>
{
    if (Autodiff.NN.Data.FashionMnist.IsAvailable())
        return TrainCommand.Run("twolayer", 5, null, null, 0, Autodiff.NN.Data.FashionMnist.DefaultDirectory, "fashion-mnist-output");
    ApplesDemo.Run();
    TinyNetworkDemo.Run();
    Console.WriteLine(Autodiff.NN.Data.FashionMnist.HowToGet);
    return 0;
});
return root.Parse(args).Invoke();
