using System.Runtime.InteropServices;
using NumericsTensor = System.Numerics.Tensors.Tensor;

namespace Autodiff;

// Zero-copy views of a tensor's buffer as Memory<T> and ReadOnlySpan<T>, wrapping
// a caller's array without a copy, and conversion to and from System.Numerics.Tensors.Tensor<T>.
// A buffer seen from outside the library (a wrapped array, an AsMemory, a
// ToNumericsTensor) is never given back to the buffer pool, so disposing the tensor cannot hand
// memory that someone else still holds to the next tensor.
public sealed partial class Tensor
{
    /// <summary>The float32 values as a read-only span over the tensor's own buffer (no copy, and unlike
    /// <see cref="AsSpan"/> not counted as a modification).</summary>
    /// <remarks>The span must not be used after the tensor is disposed: its buffer may be reused by another tensor.</remarks>
    /// <exception cref="InvalidOperationException">The tensor is Float64.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public ReadOnlySpan<float> AsReadOnlySpan()
    {
        var span = F32;
        _storage.HandOutSpan();              // a span is no reference the GC follows: keep the buffer from the GC's pool return
        return span;
    }

    /// <summary>The float64 values as a read-only span over the tensor's own buffer; see <see cref="AsReadOnlySpan"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Float32.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public ReadOnlySpan<double> AsReadOnlyDoubleSpan()
    {
        var span = F64;
        _storage.HandOutSpan();
        return span;
    }

    /// <summary>The float32 values as writable <see cref="Memory{T}"/> over the tensor's own buffer (no copy), for
    /// APIs that take memory rather than a span (streams, async I/O, pipelines).</summary>
    /// <remarks>Writes through the memory bypass the tape, as with <see cref="AsSpan"/>: taking it counts as one
    /// modification (<see cref="Version"/>), but later writes through it are not seen, so do not write while a
    /// recorded graph that read this tensor still waits for its Backward. From now on the buffer is never returned to
    /// the pool (by this tensor or any view of it), so the memory stays valid, and keeps the values last written, even
    /// after the tensor is disposed.</remarks>
    /// <exception cref="InvalidOperationException">The tensor is Float64.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public Memory<float> AsMemory()
    {
        var array = _f32 ?? throw Unavailable(DType.Float32);
        Escape();
        return array.AsMemory(0, Numel);
    }

    /// <summary>The float64 values as writable <see cref="Memory{T}"/> over the tensor's own buffer; see <see cref="AsMemory"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Float32.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public Memory<double> AsDoubleMemory()
    {
        var array = _f64 ?? throw Unavailable(DType.Float64);
        Escape();
        return array.AsMemory(0, Numel);
    }

    /// <summary>A float32 tensor over <paramref name="memory"/> itself (no copy): writes to either are seen by the
    /// other. Same idea as <c>torch.from_numpy</c>.</summary>
    /// <remarks>Only memory over a managed array, starting at the array's first element, can be shared: tensors
    /// address their buffer from index 0. For any other memory, copy it: <c>Tensor.FromArray(memory.ToArray(), shape)</c>.
    /// The tensor is a leaf like one from <see cref="FromArray(float[], int[])"/>; writes to the array made behind its
    /// back bypass the tape and the <see cref="Version"/> counter. Disposing the tensor never gives the array to the
    /// buffer pool: it stays yours.</remarks>
    /// <param name="memory">The values in row-major order; their count must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The dimensions; none means a 1-D tensor of <c>memory.Length</c> elements.</param>
    /// <exception cref="ArgumentException">The memory is not over an array from its first element, its length does not
    /// match the shape, or a dimension is negative.</exception>
    public static Tensor FromMemory(Memory<float> memory, params int[] shape)
    {
        var s = ShapeFor("FromMemory", memory.Length, shape);
        return new Tensor(s, SharedArray("FromMemory", (ReadOnlyMemory<float>)memory), null, new Storage(serial: 0) { Poolable = false });
    }

    /// <summary>A float64 tensor over <paramref name="memory"/> itself (no copy); see <see cref="FromMemory(Memory{float}, int[])"/>.</summary>
    /// <exception cref="ArgumentException">The memory is not over an array from its first element, its length does not
    /// match the shape, or a dimension is negative.</exception>
    public static Tensor FromMemory(Memory<double> memory, params int[] shape)
    {
        var s = ShapeFor("FromMemory", memory.Length, shape);
        return new Tensor(s, null, SharedArray("FromMemory", (ReadOnlyMemory<double>)memory), new Storage(serial: 0) { Poolable = false });
    }

    private static T[] SharedArray<T>(string op, ReadOnlyMemory<T> memory)
    {
        if (memory.IsEmpty) return [];
        if (!MemoryMarshal.TryGetArray(memory, out var segment) || segment.Array is null)
            Check.Fail(op, "memory is not backed by a managed array, so it cannot be shared; copy it with Tensor.FromArray(memory.ToArray(), shape).", nameof(memory));
        if (segment.Offset != 0)
            Check.Fail(op, $"memory starts at index {segment.Offset} of its array, but a tensor's buffer starts at index 0; " +
                "copy it with Tensor.FromArray(memory.ToArray(), shape).", nameof(memory));
        return segment.Array;
    }

    /// <summary>A <see cref="System.Numerics.Tensors.Tensor{T}"/> of the same shape over this tensor's buffer (no
    /// copy), for the <c>System.Numerics.Tensors</c> operations.</summary>
    /// <remarks>Writes through the result bypass the tape, as with <see cref="AsMemory"/> (whose rules apply: one
    /// <see cref="Version"/> bump now, the buffer never goes back to the pool). A scalar (shape <c>[]</c>) becomes
    /// shape <c>[1]</c>: <c>Tensor&lt;T&gt;</c> has no rank 0.</remarks>
    /// <returns>A dense, row-major tensor of lengths <see cref="Shape"/>.</returns>
    /// <exception cref="InvalidOperationException">The tensor is Float64: use <see cref="ToNumericsDoubleTensor"/>.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public System.Numerics.Tensors.Tensor<float> ToNumericsTensor()
    {
        var array = _f32 ?? throw Unavailable(DType.Float32);
        Escape();
        return NumericsTensor.Create(array, NumericsLengths());
    }

    /// <summary>A <see cref="System.Numerics.Tensors.Tensor{T}"/> of doubles over this tensor's buffer (no copy); see <see cref="ToNumericsTensor"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Float32: use <see cref="ToNumericsTensor"/>.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public System.Numerics.Tensors.Tensor<double> ToNumericsDoubleTensor()
    {
        var array = _f64 ?? throw Unavailable(DType.Float64);
        Escape();
        return NumericsTensor.Create(array, NumericsLengths());
    }

    /// <summary>A float32 tensor holding a copy of <paramref name="source"/>'s values, in row-major order.</summary>
    /// <remarks>Always copies: <c>Tensor&lt;T&gt;</c> does not expose its buffer, and it may be strided (a transpose,
    /// a slice, a broadcast with stride 0), which <see cref="Tensor"/> is not. The copy follows the source's strides.</remarks>
    /// <param name="source">Any tensor, dense or strided.</param>
    /// <returns>A leaf of shape <c>source.Lengths</c>.</returns>
    /// <exception cref="ArgumentNullException">The source is null.</exception>
    /// <exception cref="ArgumentException">The source has a dimension or element count too large for an array.</exception>
    public static Tensor FromNumericsTensor(System.Numerics.Tensors.Tensor<float> source)
    {
        Check.NotNullArg("FromNumericsTensor", source, nameof(source));
        var result = Compute.Empty(ShapeOf(source.Lengths), DType.Float32);
        source.FlattenTo(result.F32);
        return result;
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="source"/>'s values; see <see cref="FromNumericsTensor(System.Numerics.Tensors.Tensor{float})"/>.</summary>
    /// <exception cref="ArgumentNullException">The source is null.</exception>
    /// <exception cref="ArgumentException">The source has a dimension or element count too large for an array.</exception>
    public static Tensor FromNumericsTensor(System.Numerics.Tensors.Tensor<double> source)
    {
        Check.NotNullArg("FromNumericsTensor", source, nameof(source));
        var result = Compute.Empty(ShapeOf(source.Lengths), DType.Float64);
        source.FlattenTo(result.F64);
        return result;
    }

    private static Shape ShapeOf(ReadOnlySpan<nint> lengths)
    {
        var dims = new int[lengths.Length];
        for (int d = 0; d < dims.Length; d++)
        {
            if (lengths[d] > Array.MaxLength)
                Check.Fail("FromNumericsTensor", $"dimension {d} has length {lengths[d]}, more than an array can hold.", "source");
            dims[d] = (int)lengths[d];
        }
        return Check.ShapeArg("FromNumericsTensor", dims, "source");
    }

    private nint[] NumericsLengths() => Rank == 0 ? [1] : Array.ConvertAll(Shape.ToArray(), d => (nint)d);

    /// <summary>Marks the buffer as seen outside the library: it counts as modified, and is never pooled again.</summary>
    private void Escape()
    {
        _storage.Poolable = false;
        _storage.Settled();
        MarkModified();
    }
}
