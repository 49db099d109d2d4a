namespace Autodiff.Memory;

/// <summary>The storage of a buffer rented from the pool: when no tensor can see it any more, the GC finalizes it and its
/// array goes back to the pool it came from, so a plain PyTorch-style loop that never disposes anything still reuses
/// its buffers (fast by default).</summary>
/// <remarks>
/// <para><b>Why a finalizer.</b> PyTorch frees a tensor's memory the moment its reference count drops to zero, so the next
/// step reuses it. .NET has no reference counts: the only one who knows that nobody holds a tensor any more is the GC.
/// Without help, a loop that does not dispose gets a fresh array for every activation and gradient; arrays over 85 KB go
/// to the large-object heap, whose budget then triggers full (gen-2) collections, and the fresh memory costs page faults:
/// 2–10× the time of the same loop in a <see cref="DisposeScope"/> (measured on [1000, 1000] ops). This small object —
/// one per pooled buffer, never for tensors under <see cref="BufferPool.MinimumLength"/> elements, so the tape's tiny
/// ops pay nothing — holds the array; its finalizer puts the array in its home pool's inbox.</para>
/// <para><b>When buffers come back.</b> The GC finalizes only after a collection, and large allocations no longer trigger
/// collections once buffers are reused, so <see cref="BufferPool.Reclaim"/> (run where each backward pass starts and where
/// each op outside a backward pass ends, points where the library holds no span of a buffer nobody references) asks for a non-compacting collection when this thread has allocated more
/// than <see cref="BufferPool.ReclaimAfterBytes"/> of fresh large arrays since the last one, waits for the finalizers and
/// moves the inbox into the pool. A training loop then allocates fresh arrays for about one step, and reuses them after.</para>
/// <para><b>Safety.</b> An array comes back only when its storage is unreachable, i.e. no tensor, view or Reshape of it
/// is alive. Spans are not references the GC can follow to the storage, so a buffer whose span left the library
/// (<c>AsSpan</c>, <c>AsReadOnlySpan</c>, ...) is never returned by the GC: only an explicit Dispose returns it, as
/// documented there; buffers seen as Memory or System.Numerics tensors are never pooled at all. Arrays in the inbox are
/// handed out only by the thread that rented them, and only inside <see cref="BufferPool.Reclaim"/>, never while one of
/// the library's kernels may hold a span.</para>
/// <para>A tensor disposed explicitly (Dispose, DisposeScope) returns its buffer at once and cancels the finalizer.</para>
/// </remarks>
internal sealed class PooledStorage(long serial, Array buffer, BufferPool.ThreadBuffers home) : Storage(serial)
{
    private readonly Array _buffer = buffer;
    private readonly BufferPool.ThreadBuffers _home = home;

    /// <summary>A span of the buffer left the library: only an explicit Dispose may return it.</summary>
    public override void HandOutSpan()
    {
        if (!SpanHandedOut)
        {
            SpanHandedOut = true;
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>The buffer went back to the pool by Dispose, or must never be pooled: nothing left to finalize.</summary>
    public override void Settled() => GC.SuppressFinalize(this);

    ~PooledStorage()
    {
        if (Poolable && !SpanHandedOut) _home.SendBack(_buffer);
    }
}
