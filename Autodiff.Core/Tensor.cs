using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Autodiff;

/// <summary>An n-dimensional, row-major array of float32 or float64 values that records the ops applied to it, so
/// that <see cref="Backward()"/> can send gradients back by the chain rule. Same idea as <c>torch.Tensor</c>.</summary>
/// <remarks>
/// <para>A tensor you create (<see cref="FromArray(float[], int[])"/>, <see cref="Zeros(int[])"/>, ...) is a <em>leaf</em>.
/// Set <see cref="RequiresGrad"/> on a leaf and every op applied to it is recorded on the tape (see <see cref="Tape"/>);
/// the op's result is not a leaf, and <see cref="Backward()"/> on a scalar result accumulates
/// <c>∂result/∂leaf</c> into each leaf's <see cref="Grad"/>.</para>
/// <para>This file holds storage, gradients and <see cref="Backward()"/>; the factories are in Tensor.Factories.cs,
/// the operator and method shortcuts in Tensor.Ops.cs, and every op's math in <c>Ops/</c>.</para>
/// </remarks>
public sealed partial class Tensor
{
    private static long s_nextId;

    private float[]? _f32;                 // null once disposed (Tensor.Lifetime.cs); exactly one of the four is set
    private double[]? _f64;
    private long[]? _i64;                  // Int64 and Bool buffers are plain arrays, never pooled (Compute.Empty)
    private bool[]? _b8;
    private readonly Storage _storage;     // shared by every view of the buffer: version counter and owner count
    private bool _requiresGrad;
    private Tensor? _grad;
    private bool _gradIsOurs;              // _grad was made by Backward and never handed out (by the Grad getter), so ZeroGrad may recycle it
    private bool _gradIsRecorded;          // _grad came from a createGraph pass: part of a recorded graph, maybe another leaf's Grad or the seed too

    /// <summary>Wraps a buffer (not copied) as a tensor of the given shape. The buffer must hold at least <c>shape.Numel</c> values.</summary>
    internal Tensor(Shape shape, float[]? f32, double[]? f64, Storage? storage = null)
        : this(shape, f32 is not null ? DType.Float32 : DType.Float64, f32, f64, null, null, storage) { }

    /// <summary>Wraps an Int64 buffer (not copied); see <see cref="Tensor(Shape, float[], double[], Storage)"/>.</summary>
    internal Tensor(Shape shape, long[] i64, Storage? storage = null) : this(shape, DType.Int64, null, null, i64, null, storage) { }

    /// <summary>Wraps a Bool buffer (not copied); see <see cref="Tensor(Shape, float[], double[], Storage)"/>.</summary>
    internal Tensor(Shape shape, bool[] b8, Storage? storage = null) : this(shape, DType.Bool, null, null, null, b8, storage) { }

    /// <summary>Wraps a buffer rented from the pool (Compute.Empty): it goes back there when no tensor can see it any
    /// more, even if nobody disposes it (Memory/PooledStorage.cs).</summary>
    internal static Tensor Pooled(Shape shape, float[]? f32, double[]? f64) =>
        new(shape, f32 is not null ? DType.Float32 : DType.Float64, f32, f64, null, null, null, pooled: true);

    private Tensor(Shape shape, DType dtype, float[]? f32, double[]? f64, long[]? i64, bool[]? b8, Storage? storage, bool pooled = false)
    {
        Shape = shape;
        Id = Interlocked.Increment(ref s_nextId);
        if (storage is not null) Interlocked.Increment(ref (_storage = storage).Owners);
        else if (pooled && ((Array?)f32 ?? f64) is { Length: >= Memory.BufferPool.MinimumLength } buffer)
            _storage = Memory.BufferPool.Track(Id, buffer);                // returns to the pool when unreachable
        else _storage = new Storage(Id);
        (_f32, _f64, _i64, _b8) = (f32, f64, i64, b8);
        DType = dtype;
    }

    /// <summary>Another tensor over this one's buffer (a view, an owner of the shared storage).</summary>
    private Tensor ShareBuffer(Shape shape)
    {
        ThrowIfDisposed();
        return new(shape, DType, _f32, _f64, _i64, _b8, _storage);
    }

    /// <summary>The dimensions, e.g. <c>[64, 10]</c>.</summary>
    public Shape Shape { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The number of elements.</summary>
    public int Numel => Shape.Numel;

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>A number unique to this tensor in the process; the tape prints it as <c>t17</c>.</summary>
    public long Id { get; }

    /// <summary>An optional name shown by the tape and <see cref="ToString"/> instead of <c>t17</c>.</summary>
    public string? Name { get; set; }

    /// <summary>How the tape and error messages print this tensor: its <see cref="Name"/>, else the dotted name it has in
    /// a module's state dict (<c>0.weight</c>), else <c>t17</c>; followed by its shape.</summary>
    public string Label => $"{Name ?? ParameterName ?? "t" + Id.ToString(CultureInfo.InvariantCulture)}{Shape}";

    /// <summary>The tape entry of the op that produced this tensor, or null for a leaf.</summary>
    public TapeEntry? Creator { get; internal set; }

    /// <summary>True for a tensor not produced by a recorded op: one you created, a <see cref="Detach"/>ed tensor, or a
    /// result computed under <see cref="NoGrad"/>. Only leaves keep a <see cref="Grad"/> after <see cref="Backward()"/>.</summary>
    public bool IsLeaf => Creator is null;

    /// <summary>Whether ops on this tensor are recorded so gradients can flow back to it. Same as <c>requires_grad</c>.</summary>
    /// <remarks>Set it on leaves (parameters, inputs you want gradients for). The result of a recorded op always requires grad.</remarks>
    /// <exception cref="InvalidOperationException">Set to false on a non-leaf: detach it instead; or set to true on an
    /// <see cref="DType.Int64"/> or <see cref="DType.Bool"/> tensor (only floating-point tensors can require gradients).</exception>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (value && !IsFloatingPoint)
                Check.FailState("RequiresGrad", $"only floating-point tensors can require gradients, but {Label} is {DType}; " +
                    "convert it with To(DType.Float32) first.");
            if (!value && Creator is not null)
                Check.FailState("RequiresGrad", $"{Label} is the result of {Creator.Op}, not a leaf; use Detach() to cut it from the tape.");
            _requiresGrad = value;
            RequiresGradSet = true;
        }
    }

    /// <summary>True once <see cref="RequiresGrad"/> was set, to true or false: a leaf someone declared trainable or frozen,
    /// as a PyTorch <c>nn.Parameter</c> is (modules register such a tensor held in a field, and keep a frozen one frozen),
    /// unlike a plain tensor nobody marked.</summary>
    internal bool RequiresGradSet { get; private set; }

    /// <summary>The accumulated gradient <c>∂loss/∂this</c>, the same shape and dtype as this tensor, or null before any
    /// <see cref="Backward()"/> reached it. Gradients add up across backward passes until set to null (PyTorch semantics).</summary>
    /// <remarks>A gradient you read here stays valid after <c>ZeroGrad()</c>, as in PyTorch: ZeroGrad only recycles
    /// (returns to the buffer pool) a gradient nobody read through this property, which is what a plain
    /// <c>ZeroGrad(); Backward(); Step()</c> loop does, so that loop still reuses its gradient buffers.</remarks>
    /// <exception cref="ArgumentException">Set to a tensor of another shape or dtype.</exception>
    public Tensor? Grad
    {
        get
        {
            if (Creator is not null) return RetainedGrad;    // a non-leaf keeps one only after RetainGrad(), as in PyTorch
            _gradIsOurs = false;                 // the caller may keep it: ZeroGrad must not recycle it under them
            return _grad;
        }
        set
        {
            if (value is not null && (value.Shape != Shape || value.DType != DType))
                Check.Fail("Grad", $"gradient {value.DType} {value.Shape} does not match tensor {DType} {Shape}.", nameof(value));
            if (Creator is not null)
            {
                (RetainedGrad, RetainedGradIsOurs) = (value, false);
                return;
            }
            _grad = value;
            (_gradIsOurs, _gradIsRecorded) = (false, false);
        }
    }

    /// <summary>Makes this non-leaf keep its gradient after <see cref="Backward()"/>, in <see cref="Grad"/> (adding up
    /// across backward passes until set to null), and returns this tensor. Same as <c>retain_grad()</c>: without it only
    /// leaves keep a gradient. On a leaf that requires grad it does nothing.</summary>
    /// <example><code>var h = x.MatMul(w).RetainGrad(); loss.Backward(); Console.WriteLine(h.Grad);   // ∂loss/∂h</code></example>
    /// <exception cref="InvalidOperationException">This tensor does not require grad, so no gradient can reach it.</exception>
    public Tensor RetainGrad()
    {
        if (!RequiresGrad)
            Check.FailState("RetainGrad", $"{Label} does not require grad, so no gradient will reach it; call it on a result computed from tensors that require grad.");
        if (Creator is not null) RetainsGrad = true;
        return this;
    }

    /// <summary>Adds a backward pass's complete gradient of this non-leaf to the one <see cref="RetainGrad"/> keeps: a
    /// copy in a plain pass (the pass recycles its buffers), the tensor itself when <paramref name="recorded"/>.</summary>
    internal void AddToRetainedGrad(Tensor gradient, bool recorded)
    {
        // Add in place only into a copy of our own: a gradient kept from a createGraph pass may be another tensor's
        // gradient or the caller's seed too, and is part of a recorded graph.
        var kept = RetainedGrad;
        if (recorded) (RetainedGrad, RetainedGradIsOurs) = (kept is null ? gradient : Ops.Add(kept, gradient), false);
        else if (kept is null) (RetainedGrad, RetainedGradIsOurs) = (gradient.CloneData(), true);
        else if (RetainedGradIsOurs) Compute.AddInPlace(kept, gradient);
        else
        {
            var sum = kept.CloneData();
            Compute.AddInPlace(sum, gradient);
            (RetainedGrad, RetainedGradIsOurs) = (sum, true);
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for one-line parameter creation.</summary>
    public Tensor RequireGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    // ---- element access ---------------------------------------------------------------------------------------

    internal Span<float> F32 => _f32 is null ? throw Unavailable(DType.Float32) : _f32.AsSpan(0, Numel);

    internal Span<double> F64 => _f64 is null ? throw Unavailable(DType.Float64) : _f64.AsSpan(0, Numel);

    /// <summary>The values as a span of <typeparamref name="T"/>, which must be float for Float32 and double for Float64:
    /// lets an op with many operands call its kernels from one generic body instead of one call per dtype.</summary>
    internal Span<T> Data<T>() where T : struct =>
        typeof(T) == typeof(float) ? MemoryMarshal.Cast<float, T>(F32)
        : typeof(T) == typeof(double) ? MemoryMarshal.Cast<double, T>(F64)
        : typeof(T) == typeof(long) ? MemoryMarshal.Cast<long, T>(I64)
        : typeof(T) == typeof(bool) ? MemoryMarshal.Cast<bool, T>(B8)
        : throw new NotSupportedException($"Tensor: no dtype holds {typeof(T).Name}.");

    internal Span<long> I64 => _i64 is null ? throw Unavailable(DType.Int64) : _i64.AsSpan(0, Numel);

    internal Span<bool> B8 => _b8 is null ? throw Unavailable(DType.Bool) : _b8.AsSpan(0, Numel);

    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/>: the dtypes that can require grad and
    /// that the floating-point ops accept. Same as <c>torch.Tensor.is_floating_point()</c>.</summary>
    public bool IsFloatingPoint => DType is DType.Float32 or DType.Float64;

    private InvalidOperationException Unavailable(DType wanted) => IsDisposed
        ? new ObjectDisposedException(Label, $"Tensor: {Label} was disposed (by Dispose() or the DisposeScope it was created in); " +
            "its buffer went back to the pool. Keep a tensor past its scope with MoveToOuterScope().")
        : new InvalidOperationException($"Tensor: {Label} is {DType}, not {wanted}.");

    /// <summary>The float32 values as a writable span over the tensor's own buffer (no copy). Writes bypass the tape:
    /// use them for initialisation, optimizers and numerical experiments. Taking the span counts as modifying the tensor
    /// (<see cref="Version"/>), so a recorded op that read it refuses to backpropagate afterwards; to only read, use
    /// <see cref="AsReadOnlySpan"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Float64.</exception>
    public Span<float> AsSpan()
    {
        var span = F32;
        MarkModified();
        _storage.HandOutSpan();
        return span;
    }

    /// <summary>The float64 values as a writable span over the tensor's own buffer (no copy); see <see cref="AsSpan"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Float32.</exception>
    public Span<double> AsDoubleSpan()
    {
        var span = F64;
        MarkModified();
        _storage.HandOutSpan();
        return span;
    }

    /// <summary>Overwrites this tensor's values with <paramref name="source"/>'s, in place (converting the dtype), and returns
    /// this tensor. Same as <c>tensor.copy_(source)</c> under <c>torch.no_grad()</c>: the copy is not recorded, so no
    /// gradient flows to <paramref name="source"/>. It is how to load values into a parameter an optimizer already holds
    /// (assigning a new tensor to <c>layer.Weight</c> would leave the optimizer updating the old one).</summary>
    /// <remarks>Counts as an in-place modification (<see cref="Version"/>): a recorded op that read this tensor refuses to
    /// backpropagate afterwards, as after an optimizer step.</remarks>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    /// <exception cref="InvalidOperationException">This tensor is the result of a recorded op (not a leaf).</exception>
    public Tensor Copy_(Tensor source)
    {
        Check.NotNullAnyDType("Copy_", source, nameof(source));
        if (source.Shape != Shape)
            Check.Fail("Copy_", $"source {source.Label} must have the shape of {Label}.", nameof(source));
        if (Creator is not null)
            Check.FailState("Copy_", $"{Label} is the result of {Creator.Op}, not a leaf: an unrecorded copy into it would " +
                "corrupt its graph. Copy into a leaf (a parameter, a tensor you created).");
        Compute.Convert(source, this);
        MarkModified();
        return this;
    }

    /// <summary>The single value of a one-element tensor, as float. Same as <c>item()</c>.</summary>
    /// <exception cref="ArgumentException">The tensor does not have exactly one element.</exception>
    public float Item()
    {
        Check.OneElement("Item", this);
        return DType == DType.Float32 ? F32[0] : (float)ValueAt(0);
    }

    /// <summary>The single value of a one-element tensor, as double.</summary>
    /// <exception cref="ArgumentException">The tensor does not have exactly one element.</exception>
    public double ItemDouble()
    {
        Check.OneElement("ItemDouble", this);
        return ValueAt(0);
    }

    /// <summary>The single value of a one-element tensor, as long (floating-point values truncated toward zero, Bool as
    /// 1/0). Same as <c>item()</c> on a <c>torch.int64</c> tensor.</summary>
    /// <exception cref="ArgumentException">The tensor does not have exactly one element.</exception>
    public long ItemInt64()
    {
        Check.OneElement("ItemInt64", this);
        return DType == DType.Int64 ? I64[0] : ToInt64Array()[0];
    }

    /// <summary>A copy of the values in row-major order, as float (float64 values are rounded; Int64 converted, Bool as 1/0).</summary>
    public float[] ToArray()
    {
        if (DType == DType.Float32) return F32.ToArray();
        var result = new float[Numel];
        for (int i = 0; i < result.Length; i++) result[i] = (float)ValueAt(i);
        return result;
    }

    /// <summary>A copy of the values in row-major order, as double (Int64 converted, Bool as 1/0).</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64) return F64.ToArray();
        var result = new double[Numel];
        for (int i = 0; i < result.Length; i++) result[i] = ValueAt(i);
        return result;
    }

    /// <summary>A copy of the values in row-major order, as long: Int64 values as they are, floating-point values
    /// converted as <see cref="To(DType)"/> does (truncated toward zero), Bool as 1/0.</summary>
    public long[] ToInt64Array()
    {
        if (DType == DType.Int64) return I64.ToArray();
        var converted = Compute.Empty(Shape, DType.Int64);
        Compute.Convert(this, converted);
        return converted.I64.ToArray();
    }

    /// <summary>A copy of the values in row-major order, as bool: Bool values as they are, any other value true where it is
    /// non-zero (NaN counts as non-zero, as in PyTorch).</summary>
    public bool[] ToBoolArray()
    {
        if (DType == DType.Bool) return B8.ToArray();
        var converted = Compute.Empty(Shape, DType.Bool);
        Compute.Convert(this, converted);
        return converted.B8.ToArray();
    }

    /// <summary>The value at a flat row-major position, as double, whatever the dtype (Bool as 1/0).</summary>
    private double ValueAt(int flat) => DType switch
    {
        DType.Float32 => F32[flat],
        DType.Float64 => F64[flat],
        DType.Int64 => I64[flat],
        _ => B8[flat] ? 1 : 0,
    };

    /// <summary>The value at a multi-index, as double (for inspection and tests; not for loops). Int64 values are
    /// converted, Bool values read as 1/0.</summary>
    /// <exception cref="ArgumentException">The index has the wrong number of components.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A component is out of range.</exception>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public double this[params int[] index]
    {
        get
        {
            if (index.Length != Rank) Check.Fail("Tensor[]", $"index has {index.Length} components but the tensor is {Shape} (rank {Rank}).", nameof(index));
            int flat = 0;
            for (int d = 0; d < Rank; d++)
            {
                if (index[d] < 0 || index[d] >= Shape[d])
                    Check.FailRange("Tensor[]", $"index {index[d]} is out of range for dim {d} of {Shape}.", nameof(index));
                flat = flat * Shape[d] + index[d];
            }
            return ValueAt(flat);
        }
    }

    /// <summary>A tensor sharing this one's values but cut from the tape: a leaf that does not require grad.</summary>
    public Tensor Detach() => ShareBuffer(Shape);

    /// <summary>A tensor of another shape over the same buffer (no copy): the forward of Reshape.</summary>
    internal Tensor View(Shape shape) => ShareBuffer(shape);

    /// <summary>How many times the buffer was modified in place (shared by every view of it). The tape records it
    /// for each input and Backward refuses to use an input whose buffer changed since: PyTorch's version counter.</summary>
    public int Version => _storage.Version;

    /// <summary>Records an in-place modification of the buffer (optimizer steps, loading weights, span access).</summary>
    internal void MarkModified() => _storage.Version++;

    /// <summary>True when both tensors view the same buffer (one is a Detach() or Reshape of the other).</summary>
    internal bool SharesBufferWith(Tensor other) => ReferenceEquals(_storage, other._storage);

    /// <summary>Reads <see cref="Grad"/> for library code (optimizers, gradient clipping, diagnostics, the engine) without
    /// handing it to the user, so <see cref="ReleaseGrad"/> may still recycle it.</summary>
    internal Tensor? PeekGrad() => _grad;

    /// <summary>A new, unrecorded tensor of the same shape and dtype with copied values.</summary>
    internal Tensor CloneData()
    {
        var copy = Compute.Empty(Shape, DType);
        Compute.Copy(this, copy);
        return copy;
    }

    // ---- gradients ----------------------------------------------------------------------------------------------

    /// <summary>Adds a backward pass's gradient of this leaf (of its shape) into <see cref="Grad"/>: the one place a
    /// pass writes Grad. <paramref name="owned"/>: the buffer is the pass's to give away; <paramref name="recorded"/>:
    /// a createGraph pass, so the sum is a recorded Add and never in place. A plain pass never adds in place into a
    /// gradient a createGraph pass left: it may be part of the graph that computed it, the seed, or another leaf's Grad.</summary>
    internal void AddToGrad(Tensor gradient, bool owned, bool recorded)
    {
        if (recorded)
        {
            var sum = _grad is null ? gradient : Ops.Add(_grad, gradient);
            sum.Scope?.Remove(sum);              // a Grad outlives the DisposeScope that owns the recorded backward's other results
            (_grad, _gradIsOurs, _gradIsRecorded) = (sum, false, true);
        }
        else if (_grad is null) (_grad, _gradIsOurs) = (owned ? gradient : gradient.CloneData(), true);
        else if (_gradIsRecorded)
        {
            var sum = owned ? gradient : gradient.CloneData();
            Compute.AddInPlace(sum, _grad);
            (_grad, _gradIsOurs, _gradIsRecorded) = (sum, true, false);
        }
        else
        {
            Compute.AddInPlace(_grad, gradient);
            if (owned) gradient.Dispose();
        }
    }

    /// <summary>A number that increases with every buffer allocated; see <see cref="BufferSerial"/>.</summary>
    internal static long AllocationMark => Volatile.Read(ref s_nextId);

    /// <summary>When this tensor's buffer was allocated, on the scale of <see cref="AllocationMark"/>: a backward pass
    /// compares the two to tell a gradient a rule made afresh (its to add into) from one the rule passed through.</summary>
    internal long BufferSerial => _storage.Serial;

    /// <summary>Computes the gradient of this scalar with respect to every leaf that requires grad, accumulating into
    /// their <see cref="Grad"/>, then frees the recorded entries. Same as <c>loss.backward()</c>.</summary>
    /// <exception cref="ArgumentException">This tensor does not require grad, or has more than one element.</exception>
    /// <exception cref="InvalidOperationException">The graph was already freed by an earlier Backward.</exception>
    public void Backward() => Backward(null, retainGraph: false);

    /// <summary>Backward with an explicit gradient <c>∂loss/∂this</c> (needed when this tensor is not a scalar) and the
    /// option to keep the recorded entries for another Backward.</summary>
    /// <param name="gradient">Seed gradient of this tensor's shape; null means 1 and requires a one-element tensor.</param>
    /// <param name="retainGraph">Keep the replayed entries on the tape so the graph can be backpropagated again.</param>
    /// <exception cref="ArgumentException">This tensor does not require grad, it is not a scalar and no gradient was given,
    /// or the gradient's shape or dtype differs.</exception>
    /// <param name="createGraph">Record the backward pass itself on the tape, so the gradients it produces can be
    /// differentiated again (Hessian-vector products, gradient penalties); implies <paramref name="retainGraph"/>.
    /// Same as PyTorch's <c>create_graph=True</c>.</param>
    /// <exception cref="InvalidOperationException">The graph was already freed by an earlier Backward.</exception>
    /// <exception cref="NotSupportedException">createGraph is set and an op on the path has no differentiable backward.</exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        if (!RequiresGrad) Check.NotRequiringGrad("Backward", this);
        BackwardPass.Run([this], [SeedGradient(gradient)], retainGraph, createGraph, targets: null);
    }

    /// <summary>The gradient a backward pass starts from at this tensor: <paramref name="gradient"/>, checked, or 1 for a scalar.</summary>
    internal Tensor SeedGradient(Tensor? gradient)
    {
        if (gradient is null)
        {
            if (Numel != 1)
                Check.Fail("Backward", $"{Label} is not a scalar ({Numel} elements); pass a gradient of shape {Shape}, or reduce it with Sum() or Mean().");
            return Compute.Full(Shape, DType, 1.0);
        }
        if (gradient.Shape != Shape || gradient.DType != DType)
            Check.Fail("Backward", $"gradient {gradient.DType} {gradient.Shape} does not match {DType} {Label}.", nameof(gradient));
        return gradient;
    }

    // ---- printing -----------------------------------------------------------------------------------------------

    /// <summary>Shape, dtype, grad status and values, like PyTorch's repr; long dimensions are elided with "...".</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (IsDisposed) sb.Append("disposed"); else AppendValues(sb, 0, 0);
        sb.Append(", shape=").Append(Shape);
        if (DType != DType.Float32) sb.Append(", dtype=").Append(DType);
        if (Creator is not null) sb.Append(", op=").Append(Creator.Op);
        else if (RequiresGrad) sb.Append(", requiresGrad=true");
        return sb.Append(')').ToString();
    }

    private void AppendValues(StringBuilder sb, int dim, int offset)
    {
        if (Rank == 0)
        {
            sb.Append(FormatValue(0));
            return;
        }
        const int edge = 3;
        int size = Shape[dim];
        int stride = 1;
        for (int d = dim + 1; d < Rank; d++) stride *= Shape[d];
        sb.Append('[');
        for (int i = 0; i < size; i++)
        {
            if (size > 2 * edge && i == edge)
            {
                sb.Append("..., ");
                i = size - edge - 1;
                continue;
            }
            if (dim == Rank - 1) sb.Append(FormatValue(offset + i));
            else AppendValues(sb, dim + 1, offset + i * stride);
            if (i < size - 1) sb.Append(", ");
        }
        sb.Append(']');
    }

    private string FormatValue(int flat) => DType switch
    {
        DType.Float32 => F32[flat].ToString("G6", CultureInfo.InvariantCulture),
        DType.Float64 => F64[flat].ToString("G8", CultureInfo.InvariantCulture),
        DType.Int64 => I64[flat].ToString(CultureInfo.InvariantCulture),
        _ => B8[flat] ? "True" : "False",
    };
}

/// <summary>What the tensors viewing one buffer share: how often it was modified in place, how many of them are
/// not yet disposed (the buffer goes back to the pool when that reaches 0), and whether it may go to the pool at all.</summary>
internal class Storage(long serial)
{
    /// <summary>The <see cref="Tensor.Id"/> of the tensor the buffer was made for: later than any tensor made before it.</summary>
    public readonly long Serial = serial;
    public int Version;
    public int Owners = 1;

    /// <summary>False once the buffer is seen outside the library (a caller's wrapped array, AsMemory,
    /// ToNumericsTensor): someone else may still hold it, so it is left to the GC (Tensor.Interop.cs).</summary>
    public bool Poolable = true;

    /// <summary>True once a span of the buffer left the library (AsSpan, AsReadOnlySpan, ...).</summary>
    public bool SpanHandedOut;

    /// <summary>Marks that a span of the buffer left the library: the GC must not return it to the pool (Memory/PooledStorage.cs).</summary>
    public virtual void HandOutSpan() => SpanHandedOut = true;

    /// <summary>Called when the buffer went back to the pool by Dispose, or became unpoolable.</summary>
    public virtual void Settled() { }
}
