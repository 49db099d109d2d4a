// What this shows: the notes' "buying apples" computation graph built by the tape during the forward pass,
// printed entry by entry with each op's local derivative, and the gradients one Backward() sends back.
using Autodiff;

namespace Autodiff.Examples.Walkthrough;

internal static class ApplesDemo
{
    public static void Run()
    {
        var apple = Named(Tensor.Scalar(100, DType.Float64), "apple");
        var appleCount = Named(Tensor.Scalar(2, DType.Float64), "appleCount");
        var orange = Named(Tensor.Scalar(150, DType.Float64), "orange");
        var orangeCount = Named(Tensor.Scalar(3, DType.Float64), "orangeCount");
        var tax = Named(Tensor.Scalar(1.1, DType.Float64), "tax");

        var price = (apple * appleCount + orange * orangeCount) * tax;

        Console.WriteLine("Buying apples and oranges: price = (apple·appleCount + orange·orangeCount)·tax");
        Console.WriteLine("The tape the forward pass recorded:");
        Console.Write(Tape.Current);
        price.Backward();
        Console.WriteLine($"price = {price.ItemDouble():G6}");
        foreach (var t in new[] { apple, appleCount, orange, orangeCount, tax })
            Console.WriteLine($"  d price / d {t.Name,-11} = {t.Grad!.ItemDouble():G6}");
        Console.WriteLine();
    }

    private static Tensor Named(Tensor t, string name)
    {
        t.Name = name;
        return t.RequireGrad();
    }
}
