namespace Autodiff;

/// <summary>The element type of a tensor. Same idea as <c>torch.dtype</c>.</summary>
/// <remarks>
/// <para>Training runs in <see cref="Float32"/>; gradient checking runs the very same kernels in
/// <see cref="Float64"/>, so a check in double precision covers the code that trains in single precision.
/// <see cref="Int64"/> (labels, token ids, indices) and <see cref="Bool"/> (masks from comparisons) are not
/// differentiable: they cannot require grad, and the floating-point ops (Exp, Mean, MatMul, ...) refuse them, naming the
/// op and the dtype (convert with <see cref="Tensor.To(DType)"/>).</para>
/// <para>Arithmetic promotes as PyTorch: <c>Add</c>, <c>Sub</c>, <c>Mul</c> of Int64 (or Int64 and Bool) tensors give Int64
/// (wrapping on overflow), <c>Div</c> of them gives Float32 (true division); an Int64 or Bool tensor with a floating-point
/// one gives that floating-point dtype, and a float operand that requires grad gets its gradient through it. Two Bool
/// tensors add as logical or and multiply as logical and; subtracting them fails, as in PyTorch. <c>Neg</c>,
/// <c>Sum</c> (Int64, a Bool counting its true elements), <c>Max</c>, <c>Min</c>, <c>Argmax</c>, <c>TopK</c>,
/// <c>Sort</c> and <c>ArgSort</c> take Int64 tensors too. A constant keeps an Int64 tensor Int64 when it is an integer
/// (<c>x + 1</c>) and gives Float32 when it is a double (<c>x * 0.5</c>, <c>x + 1.0</c>), as a Python int or float does.
/// Float32 with Float64 is not promoted: it fails naming both dtypes (convert one).</para>
/// </remarks>
public enum DType
{
    /// <summary>32-bit IEEE 754 floating point (<c>float</c>), the default.</summary>
    Float32 = 0,

    /// <summary>64-bit IEEE 754 floating point (<c>double</c>), used by <see cref="GradCheck"/>.</summary>
    Float64 = 1,

    /// <summary>64-bit signed integer (<c>long</c>). Same as <c>torch.int64</c>: labels, token ids, indices.</summary>
    Int64 = 2,

    /// <summary>Boolean (<c>bool</c>, one byte per element). Same as <c>torch.bool</c>: masks from comparisons.</summary>
    Bool = 3,
}
