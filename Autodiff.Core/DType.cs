namespace Autodiff;

/// <summary>The element type of a tensor. Same idea as <c>torch.dtype</c>.</summary>
/// <remarks>Training runs in <see cref="Float32"/>; gradient checking runs the very same kernels in
/// <see cref="Float64"/>, so a check in double precision covers the code that trains in single precision.</remarks>
public enum DType
{
    /// <summary>32-bit IEEE 754 floating point (<c>float</c>), the default.</summary>
    Float32,

    /// <summary>64-bit IEEE 754 floating point (<c>double</c>), used by <see cref="GradCheck"/>.</summary>
    Float64,
}
