// The main demo: first the notes' computation graph with its gradients, then a small network trained with the
// PyTorch-style loop. The Fashion-MNIST trainer and the notes' walk-throughs as subcommands come next.
using Autodiff.Examples.Walkthrough;

ApplesDemo.Run();
TinyNetworkDemo.Run();
