namespace Autodiff;

// Marks kept on a tensor only so that error messages can say why something went wrong.
public sealed partial class Tensor
{
    /// <summary>For diagnostics: set on a gradient that a <c>createGraph</c> backward pass produced without recording it
    /// (it requires no grad, so it depends on no recorded op), and on what is computed from it: the op whose backward
    /// returned it. A Backward or <see cref="Autograd.Grad"/> on such a tensor then says that some backward on the path
    /// is not differentiable, or the gradient is constant, instead of blaming the leaves.</summary>
    internal string? ConstantGradientFrom { get; set; }
}
