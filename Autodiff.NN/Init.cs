namespace Autodiff.NN;

/// <summary>In-place initialisation of parameters, as <c>torch.nn.init.uniform_</c> and <c>normal_</c>: the values are
/// written into the tensor a module and its optimizer already hold, so an optimizer built earlier keeps training it and
/// <see cref="Tensor.RequiresGrad"/> (a frozen layer) is kept.</summary>
internal static class Init
{
    /// <summary>Overwrites <paramref name="tensor"/> with uniform samples in <c>[low, high)</c>, drawn in row-major order
    /// from <paramref name="generator"/> (or <see cref="Generator.Default"/>): the values
    /// <c>Tensor.Uniform(shape, low, high, generator)</c> would give.</summary>
    public static void Uniform(Tensor tensor, double low, double high, Generator? generator)
    {
        (generator ?? Generator.Default).FillUniform(tensor, low, high);
        tensor.MarkModified();   // a graph that saved the old values refuses to backward through them
    }

    /// <summary>Overwrites <paramref name="tensor"/> with standard normal samples, drawn as <c>Tensor.Randn</c> draws them.</summary>
    public static void Normal(Tensor tensor, Generator? generator)
    {
        (generator ?? Generator.Default).FillNormal(tensor);
        tensor.MarkModified();
    }
}
