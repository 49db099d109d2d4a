namespace Autodiff;

public sealed partial class Tensor : IDisposable
{
    private bool _disposed;
    private DisposeScope? _scope;

    /// <summary>True once <see cref="Dispose"/> ran (directly or through the <see cref="DisposeScope"/> that owned it).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Gives the buffer back to the pool for the next tensor of the same size, unless a view of it (Reshape,
    /// Detach) is still alive. Any later use of this tensor throws <see cref="ObjectDisposedException"/>; disposing twice
    /// does nothing.</summary>
    /// <remarks>Optional: a tensor that is never disposed is collected by the GC like any object, and its buffer still
    /// goes back to the pool once no tensor can see it (Memory/PooledStorage.cs), so a plain PyTorch-style loop reuses its
    /// memory too. Disposing returns the buffer at once instead of at the next backward pass's reclaim (see
    /// <see cref="NewDisposeScope"/>).
    /// <para>Views share one buffer: a Reshape or Detach of a tensor, and the tensor itself, each count as an owner, and
    /// the buffer goes to the pool when the last owner is disposed. Spans taken with <see cref="AsSpan"/> or
    /// <see cref="AsReadOnlySpan"/> are not owners: they must not be used after that. A buffer that left the library
    /// (<see cref="FromMemory(Memory{float}, int[])"/> wrapping your array, <see cref="AsMemory"/>,
    /// <see cref="ToNumericsTensor"/>) never goes to the pool: it is left to the GC, so what holds it stays valid.</para></remarks>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var (f32, f64) = (_f32, _f64);
        (_f32, _f64, _i64, _b8, _grad) = (null, null, null, null, null);   // Int64/Bool arrays are not pooled: left to the GC
        if (Interlocked.Decrement(ref _storage.Owners) == 0 && _storage.Poolable)
        {
            _storage.Settled();                                             // no finalizer return after this one
            Memory.BufferPool.Return(f32, f64);
        }
    }

    /// <summary>Starts a scope that owns every tensor an op produces on this thread (or async flow) until it is disposed,
    /// then disposes them, so their buffers are reused by the next step instead of allocated again. Same idea as
    /// TorchSharp's <c>torch.NewDisposeScope()</c>.</summary>
    /// <remarks>Parameters, their gradients, optimizer state and tensors you create with factories are not owned by a
    /// scope. Keep a result past the scope with <see cref="MoveToOuterScope"/> (or read what you need, e.g.
    /// <see cref="Item"/>, before the scope ends).</remarks>
    /// <example><code>
    /// foreach (var (x, labels) in loader)
    /// {
    ///     using var scope = Tensor.NewDisposeScope();
    ///     scope.Include(x);                                // the batch too
    ///     var loss = Functional.CrossEntropy(model.Forward(x), labels);
    ///     optimizer.ZeroGrad();
    ///     loss.Backward();
    ///     optimizer.Step();
    ///     total += loss.Item();
    /// }                                                    // activations go back to the pool here
    /// </code></example>
    public static DisposeScope NewDisposeScope() => DisposeScope.Begin();

    /// <summary>Empties every thread's buffer pool now and returns the bytes given back to the GC. Call it after a burst
    /// of work (training done, a batch of inference on many threads) when the memory matters more than the next
    /// step's allocations.</summary>
    /// <remarks>Disposed tensors' buffers are kept per thread for the next tensor of the same size: at most 256 MB across
    /// all threads, and the buffers of a size no tensor of that thread has used for 10 s are dropped by themselves 10 to
    /// 15 seconds after that last use (a timer checks every 5 s). Buffers come back when a tensor is disposed, or, without
    /// Dispose, when the GC finds no tensor can see them any more (Memory/PooledStorage.cs); those the GC finds are moved
    /// into the pool where the thread's next backward pass starts.</remarks>
    public static long TrimBufferPools() => Memory.BufferPool.Trim();

    /// <summary>Bytes currently kept by all threads' buffer pools (see <see cref="TrimBufferPools"/>).</summary>
    public static long BufferPoolBytes => Memory.BufferPool.TotalHeldBytes;

    /// <summary>Moves this tensor from its <see cref="DisposeScope"/> to the enclosing one (or to none, so only the GC
    /// frees it), so it survives the end of its scope. Returns this tensor.</summary>
    public Tensor MoveToOuterScope()
    {
        if (_scope is not { } scope) return this;
        scope.Remove(this);
        scope.Parent?.Add(this);
        return this;
    }

    internal DisposeScope? Scope
    {
        get => _scope;
        set => _scope = value;
    }

    /// <summary>Clears <see cref="Grad"/>; a gradient Backward made goes back to the pool unless someone may still hold
    /// it (it was read through the public <see cref="Grad"/> getter, or assigned by the user).</summary>
    internal void ReleaseGrad()
    {
        var (grad, ours) = (_grad, _gradIsOurs);
        (_grad, _gradIsOurs, _gradIsRecorded) = (null, false, false);
        if (ours) grad?.Dispose();
    }

    private void ThrowIfDisposed()
    {
        if (_disposed) throw Unavailable(DType);
    }
}
