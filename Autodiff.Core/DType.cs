namespace Autodiff;

/// <summary>The element type of a tensor. Same idea as <c>torch.dtype</c>.</summary>
/// <remarks>Training runs in <see cref="Float32"/>; gradient checking runs the very same kernels in
/// <see cref="Float64"/>, so a check in double precision covers the code that trains in single precision.
/// <see cref="Int64"/> (labels, token ids, indices) and <see cref="Bool"/> (masks from comparisons) are not
/// differentiable: they cannot require grad, and the floating-point ops refuse them, naming the op and the dtype
/// (convert with <see cref="Tensor.To(DType)"/>).</remarks>
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
