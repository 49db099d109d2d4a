// What this shows: the notes' PyTorch example line for line in C#: Linear(10, 20), ReLU, Linear(20, 1), MseLoss,
// SGD with lr 0.01, and the loop optimizer.ZeroGrad(); loss.Backward(); optimizer.Step(); printing the loss.
using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using Spectre.Console;

namespace Autodiff.Examples.Walkthrough;

internal static class SimpleNetworkDemo
{
    public static int Run(IAnsiConsole console, int steps = 100, long seed = 0)
    {
        Tape.Current.Clear();
        Generator.ManualSeed(seed);                                   // torch.manual_seed(seed): every draw below is reproducible
        var model = new Sequential(new Linear(10, 20), new ReLU(), new Linear(20, 1));
        var criterion = new MseLoss();
        var optimizer = new SGD(model.Parameters(), lr: 0.01f);
        var inputs = Tensor.Randn(64, 10);
        var targets = Tensor.Randn(64, 1);
        console.WriteLine(model.ToString());

        for (int step = 1; step <= steps; step++)
        {
            var outputs = model.Forward(inputs);
            var loss = criterion.Forward(outputs, targets);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (step == 1 || step % 10 == 0) console.WriteLine($"step {step,3}: loss {Show.Number(loss.ItemDouble())}");
        }
        return 0;
    }
}
