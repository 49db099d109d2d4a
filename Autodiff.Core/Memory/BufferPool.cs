using System.Collections.Concurrent;

namespace Autodiff.Memory;

/// <summary>Arrays given back by disposed tensors, kept per thread and per exact length for the next tensor of that
/// size. A training loop asks for the same sizes every step, so after the first step it allocates almost nothing.</summary>
/// <remarks>
/// <para><b>What is kept.</b> Only arrays of at least <see cref="MinimumLength"/> elements: small ones are cheaper for
/// the GC than for a lookup. At most <see cref="MaximumPerLength"/> arrays of one length per thread, and at most
/// <see cref="MaximumBytes"/> in all threads' pools together; beyond that a returned array is left to the GC.</para>
/// <para><b>How long.</b> Arrays of a length that no tensor of the thread has rented or returned for
/// <see cref="IdleMilliseconds"/> (10 s) are dropped by a background timer that checks every <c>IdleMilliseconds / 2</c>
/// (5 s) and runs only while some pool holds arrays, so they go 10 to 15 s after their last use: threads that trained
/// once, or ran a burst of scoped inference, do not keep their arrays for the life of the thread, and a busy thread
/// does not keep the sizes of a batch shape it no longer uses. <see cref="Trim"/> empties every pool now.</para>
/// <para><b>Threads.</b> Each thread rents from and returns to its own pool under that pool's lock, which only the
/// trimmer ever contends for; the byte total is shared (Interlocked).</para>
/// <para>A rented array holds whatever its last user wrote: callers that need zeros clear it (Compute.Zeros).</para>
/// </remarks>
internal static class BufferPool
{
    public const int MinimumLength = 256;
    public const int MaximumPerLength = 1024;

    /// <summary>The most all threads' pools hold together: 256 MB, the working set of a CNN training step with room to spare.</summary>
    public const long MaximumBytes = 256L << 20;

    /// <summary>How long a length's arrays may sit unused before the trimmer drops them: 10 s (tests shorten it).</summary>
    internal static int IdleMilliseconds { get; set; } = 10_000;

    private static long s_totalBytes;
    private static readonly Lock s_registryLock = new();
    private static readonly List<ThreadBuffers> s_pools = [];       // every pool holding arrays, for the trimmer
    private static Timer? s_timer;                                   // runs only while s_pools is non-empty

    [ThreadStatic] private static ThreadBuffers? t_pool;

    public static float[] RentFloat(int length) =>
        length >= MinimumLength ? Pool.Rent(Pool.Floats, length) : GC.AllocateUninitializedArray<float>(length);

    public static double[] RentDouble(int length) =>
        length >= MinimumLength ? Pool.Rent(Pool.Doubles, length) : GC.AllocateUninitializedArray<double>(length);

    public static void Return(float[]? f32, double[]? f64)
    {
        if (f32 is not null && f32.Length >= MinimumLength) Pool.Return(Pool.Floats, f32);
        if (f64 is not null && f64.Length >= MinimumLength) Pool.Return(Pool.Doubles, f64);
    }

    private static ThreadBuffers Pool => t_pool ??= new ThreadBuffers();

    /// <summary>A storage for a buffer just rented on this thread: its finalizer returns the buffer to this thread's pool
    /// when no tensor can see it any more (PooledStorage.cs).</summary>
    public static Storage Track(long serial, Array buffer)
    {
        return new PooledStorage(serial, buffer, Pool);
    }

    /// <summary>The least bytes of large buffers (large-object-heap size, where reuse matters most) put into use undisposed
    /// after which <see cref="Reclaim"/> asks the GC for the buffers nobody can see any more: 16 MB. Each thread adapts its
    /// own threshold from there (<see cref="ThreadBuffers.ReclaimThreshold"/>): doubled, up to
    /// <see cref="MaximumReclaimAfterBytes"/>, when two collections in a row brought back under a quarter of what was counted (the
    /// buffers were still in use: a big forward pass), halved back toward this when it brought back half or more.</summary>
    /// <remarks>Measured, one thread. The autoencoder epoch of the benchmarks (batch 128, about 4.5 MB of large buffers a
    /// step): at a fixed 32 MB (and 32 arrays kept per length) the GC sent back seven steps' arrays at once, more than a
    /// length's bucket kept, and the plain loop allocated 0.87 MB of fresh arrays a step, 1.1-1.2x the scoped loop's
    /// time; at 16 MB (and 64 per length) none after warm-up, within 3-9% of the scoped loop. The CNN step (batch 128,
    /// hundreds of MB of activations that stay alive until the backward pass): a fixed 16 MB ran a futile collection every
    /// few ops of the forward pass, 3.2x the scoped step; the adaptive threshold stops that.</remarks>
    public const long ReclaimAfterBytes = 16L << 20;

    /// <summary>For tests: the calling thread's adaptive reclaim threshold.</summary>
    internal static long ReclaimThreshold => t_pool?.ReclaimThreshold ?? ReclaimAfterBytes;

    /// <summary>For tests: forgets what the calling thread learned (its reclaim threshold, step size and slow collections),
    /// so a test does not depend on what earlier tests ran on its thread.</summary>
    internal static void ResetThreadState()
    {
        if (t_pool is not { } pool) return;
        (pool.ReclaimThreshold, pool.FutileCollections, pool.StepBytes, pool.BytesSinceBackward) = (ReclaimAfterBytes, 0, 0, 0);
        (pool.SlowFullCollections, pool.YoungCollections, pool.LastCollection, pool.LargeBytesSinceReclaim) = (0, 0, 0, 0);
    }

    /// <summary>The most a thread's adaptive reclaim threshold grows to: 1 GB.</summary>
    public const long MaximumReclaimAfterBytes = 1L << 30;

    /// <summary>Depth of backward passes running on this thread: no op's end is a safe point inside one (the pass holds
    /// gradients it is adding into between rules).</summary>
    [ThreadStatic] private static int t_suspended;

    /// <summary>Called where an op has finished (Tape's recording step): <see cref="Reclaim"/> when there is something to
    /// do, outside backward passes. An op's end is a safe point like a backward pass's start: the op's kernels are done,
    /// its result is referenced, and what it read but nobody references any more is exactly what may come back. This is
    /// what makes a loop with no backward pass (inference, sampling, data preparation) reuse its buffers too.</summary>
    public static void ReclaimAtOpEnd()
    {
        if (t_suspended != 0 || t_pool is not { } pool) return;
        // Twice the threshold at an op's end: a training loop collects where its backward passes start, between steps,
        // where the most is garbage; an op's end collects for loops with no backward pass (and for huge forward passes).
        long above = 2 * Math.Max(pool.ReclaimThreshold, pool.StepBytes);
        if (pool.LargeBytesSinceReclaim > above) ReclaimAbove(above);
        else if (pool.HasInbox) ReclaimAbove(long.MaxValue);
    }

    /// <summary>Suspends <see cref="ReclaimAtOpEnd"/> on this thread until the matching <see cref="Resume"/>.</summary>
    public static void Suspend() => t_suspended++;

    /// <summary>Ends one <see cref="Suspend"/>.</summary>
    public static void Resume() => t_suspended--;

    /// <summary>Moves the buffers the GC found unreachable (their storages were finalized) into this thread's pool;
    /// first, if this thread tracked more than its <see cref="ThreadBuffers.ReclaimThreshold"/> of large buffers since the
    /// last time, runs a blocking collection (<see cref="Collect"/>) and waits for the finalizers, so the buffers of the last step come back
    /// now rather than at the next full collection, and adapts the threshold to what came back. Called where a backward
    /// pass starts and where an op ends (<see cref="ReclaimAtOpEnd"/>): no kernel of the library holds a span there.</summary>
    public static void Reclaim()
    {
        if (t_pool is not { } pool) return;
        ReclaimAbove(pool.ReclaimThreshold);
        pool.StepBytes = pool.BytesSinceBackward;
        pool.BytesSinceBackward = 0;
    }

    private static void ReclaimAbove(long collectAbove)
    {
        if (t_pool is not { } pool) return;
        long counted = 0;
        if (pool.LargeBytesSinceReclaim > collectAbove)
        {
            counted = pool.LargeBytesSinceReclaim;
            pool.LargeBytesSinceReclaim = 0;
            Collect(pool);
        }
        pool.LastReclaim = Environment.TickCount64;
        long back = 0;
        while (pool.TakeFromInbox() is { } array)
        {
            if (array is float[] f32) { back += LargeBytes(f32); pool.Return(pool.Floats, f32, disposed: false); }
            else if (array is double[] f64) { back += LargeBytes(f64); pool.Return(pool.Doubles, f64, disposed: false); }
        }
        if (counted == 0) return;
        if (back >= counted / 4) pool.FutileCollections = 0;
        if (back < counted / 4 && ++pool.FutileCollections >= 2)          // twice in a row: not a step boundary's noise
        {
            pool.ReclaimThreshold = Math.Min(pool.ReclaimThreshold * 2, MaximumReclaimAfterBytes);
            pool.FutileCollections = 0;
        }
        else if (back >= counted / 2) pool.ReclaimThreshold = Math.Max(pool.ReclaimThreshold / 2, ReclaimAfterBytes);
    }

    /// <summary>A blocking, non-compacting collection of every generation, then the finalizers that send buffers back.</summary>
    /// <remarks>Every generation, not only the young ones: a forward pass long enough to see a collection or two (the GC's
    /// own, or an op end's) promotes its activations' storages to generation 2 while they are still in use, so a gen-1
    /// collection at the next step never finds them. Measured on the GPT example's step (4 layers, 128 channels, batch
    /// 32 x 64 tokens, about 160 MB of large buffers a step): with gen-1 collections the heap grew to 4 GB and the step
    /// took 1.7-1.9x the scoped one; with full collections every buffer of the last step came back at the next backward
    /// pass, in a 1-2 ms pause. A full collection's cost grows with the process's live objects, not with the buffers
    /// (float arrays hold no references to trace); if it takes more than a sixteenth of the time since the thread's last
    /// collection three times in a row (a process with a big managed heap of its own, or a loop of ops so short that
    /// collections come every millisecond or two), the thread goes back to gen-1 collections, and tries a full one again
    /// every 16th time, returning to them once one is cheap again: the same thread may next run a training loop whose
    /// steps take 100 ms (the side-by-side benchmark's GPT step, run after its element-wise ops in one process, took 2x
    /// the scoped time when the fallback was for good).</remarks>
    private static void Collect(ThreadBuffers pool)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        bool full = pool.SlowFullCollections < 3 || ++pool.YoungCollections % 16 == 0;
        GC.Collect(full ? GC.MaxGeneration : 1, GCCollectionMode.Forced, blocking: true, compacting: false);
        GC.WaitForPendingFinalizers();
        long end = System.Diagnostics.Stopwatch.GetTimestamp();
        if (full && pool.LastCollection != 0)
            pool.SlowFullCollections = (end - start) * 16 > start - pool.LastCollection ? pool.SlowFullCollections + 1 : 0;
        pool.LastCollection = end;
    }

    private static long LargeBytes<T>(T[] array) where T : unmanaged
    {
        long bytes = (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        return bytes >= 85_000 ? bytes : 0;
    }

    /// <summary>Bytes held by the calling thread's pool (for tests and diagnostics); reading counts as using the pool.</summary>
    public static long HeldBytes => t_pool is { } pool ? pool.Touch() : 0;

    /// <summary>For tests: how many float arrays of <paramref name="length"/> this thread's pool holds.</summary>
    internal static int HeldFloatArrays(int length)
    {
        if (t_pool is not { } pool) return 0;
        lock (pool.Sync) return pool.Floats.TryGetValue(length, out var bucket) ? bucket.Arrays.Count : 0;
    }

    /// <summary>Bytes held by all threads' pools together.</summary>
    public static long TotalHeldBytes => Interlocked.Read(ref s_totalBytes);

    /// <summary>Empties every thread's pool, or drops only the lengths unused (neither rented nor returned) for
    /// <see cref="IdleMilliseconds"/>; returns the bytes freed.</summary>
    public static long Trim(bool idleOnly = false)
    {
        ThreadBuffers[] pools;
        lock (s_registryLock) pools = [.. s_pools];
        long unusedSince = idleOnly ? Environment.TickCount64 - IdleMilliseconds + 1 : long.MaxValue, freed = 0;
        foreach (var pool in pools) freed += pool.Clear(unusedSince);
        return freed;
    }

    private static void Register(ThreadBuffers pool)
    {
        lock (s_registryLock)
        {
            s_pools.Add(pool);
            if (s_pools.Count == 1)
            {
                s_timer ??= new Timer(_ => OnTimer(), null, Timeout.Infinite, Timeout.Infinite);
                s_timer.Change(IdleMilliseconds / 2, IdleMilliseconds / 2);
            }
        }
    }

    private static void Unregister(ThreadBuffers pool)
    {
        lock (s_registryLock)
        {
            s_pools.Remove(pool);
            if (s_pools.Count == 0) s_timer?.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    private static void OnTimer() => Trim(idleOnly: true);

    /// <summary>One thread's arrays by exact length. Only its thread rents and returns; the trimmer may drop lengths.</summary>
    internal sealed class ThreadBuffers
    {
        /// <summary>Buffers whose storage the GC finalized (on the finalizer thread); moved into the pool by <see cref="Reclaim"/>.
        /// They count toward <see cref="MaximumBytes"/> like the pool's own arrays, so a thread that never runs a backward
        /// pass (inference) holds at most that much, and the trimmer drops them 10 to 15 s after its last backward pass.</summary>
        private readonly ConcurrentQueue<Array> _inbox = new();
        private long _inboxBytes;

        /// <summary>The GC sent back buffers that <see cref="Reclaim"/> has not taken in yet.</summary>
        public bool HasInbox => !_inbox.IsEmpty;

        /// <summary>When <see cref="Reclaim"/> last ran on this thread (TickCount64).</summary>
        public long LastReclaim = Environment.TickCount64;

        /// <summary>From the finalizer thread: keeps <paramref name="array"/> for this pool's next <see cref="Reclaim"/>,
        /// unless all pools together already hold <see cref="MaximumBytes"/>.</summary>
        public void SendBack(Array array)
        {
            long bytes = (long)array.Length * (array is float[] ? sizeof(float) : sizeof(double));
            if (Interlocked.Add(ref s_totalBytes, bytes) > MaximumBytes)
            {
                Interlocked.Add(ref s_totalBytes, -bytes);
                return;                                                    // over budget: the GC takes it
            }
            lock (_sync)
            {
                Interlocked.Add(ref _inboxBytes, bytes);
                _inbox.Enqueue(array);
                if (_registered) return;
                _registered = true;
                Register(this);                                            // so the trimmer sees the inbox
            }
        }

        /// <summary>The next array the GC sent back, no longer counted as held (the caller returns it to the pool or drops it).</summary>
        public Array? TakeFromInbox()
        {
            if (!_inbox.TryDequeue(out var array)) return null;
            long bytes = (long)array.Length * (array is float[] ? sizeof(float) : sizeof(double));
            Interlocked.Add(ref _inboxBytes, -bytes);
            Interlocked.Add(ref s_totalBytes, -bytes);
            return array;
        }

        /// <summary>Drops what the GC sent back; returns the bytes.</summary>
        private long ClearInbox()
        {
            long freed = 0;
            while (TakeFromInbox() is { } array) freed += (long)array.Length * (array is float[] ? sizeof(float) : sizeof(double));
            return freed;
        }

        /// <summary>Bytes of large-object-heap-size buffers this thread put into use (from the pool or fresh) and did not get
        /// back by Dispose since the last <see cref="Reclaim"/> collection: the most that can have become garbage since.</summary>
        public long LargeBytesSinceReclaim;

        /// <summary>When this thread's last <see cref="Collect"/> ended (a Stopwatch timestamp; 0 before the first).</summary>
        public long LastCollection;

        /// <summary>Full collections in a row that took more than a sixteenth of the time since the one before.</summary>
        public int SlowFullCollections;

        /// <summary>Gen-1 collections since the full ones became slow (every 16th is a full one again).</summary>
        public int YoungCollections;

        /// <summary>Large bytes counted between this thread's last two backward passes' starts: one training step's. An
        /// op's end collects only above twice this, so a training loop's forward pass, whose buffers are all still in use,
        /// runs no futile collections.</summary>
        public long StepBytes;

        /// <summary>Large bytes put into use since this thread's last backward pass started.</summary>
        public long BytesSinceBackward;

        /// <summary>This thread's adaptive threshold for <see cref="LargeBytesSinceReclaim"/> (see <see cref="ReclaimAfterBytes"/>).</summary>
        public long ReclaimThreshold = ReclaimAfterBytes;

        /// <summary>Collections in a row that brought back under a quarter of what was counted.</summary>
        public int FutileCollections;

        private readonly Lock _sync = new();
        public Lock Sync => _sync;
        public readonly Dictionary<int, Bucket<float>> Floats = [];
        public readonly Dictionary<int, Bucket<double>> Doubles = [];
        private long _bytes;
        private bool _registered;                // in s_pools: true while it holds arrays (or its inbox does)

        /// <summary>The arrays of one length, and when that length was last rented or returned.</summary>
        public sealed class Bucket<T>
        {
            public readonly Stack<T[]> Arrays = new();
            public long LastUse;
        }

        /// <summary>The bytes held; marks every length as used now (tests read this around a step).</summary>
        public long Touch()
        {
            lock (_sync)
            {
                long now = Environment.TickCount64;
                foreach (var bucket in Floats.Values) bucket.LastUse = now;
                foreach (var bucket in Doubles.Values) bucket.LastUse = now;
                return _bytes;
            }
        }

        /// <summary>Counts a large (large-object-heap size) buffer put into use, reused or fresh, toward the next reclaim.</summary>
        private void CountRent<T>(int length) where T : unmanaged
        {
            long size = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            if (size >= 85_000) { LargeBytesSinceReclaim += size; BytesSinceBackward += size; }
        }

        public T[] Rent<T>(Dictionary<int, Bucket<T>> byLength, int length) where T : unmanaged
        {
            lock (_sync)
            {
                if (byLength.TryGetValue(length, out var bucket))
                {
                    bucket.LastUse = Environment.TickCount64;
                    if (bucket.Arrays.TryPop(out var array))
                    {
                        CountRent<T>(array.Length);
                        long bytes = Bytes(array);
                        _bytes -= bytes;
                        Interlocked.Add(ref s_totalBytes, -bytes);
                        return array;
                    }
                }
            }
            CountRent<T>(length);
            return GC.AllocateUninitializedArray<T>(length);
        }

        public void Return<T>(Dictionary<int, Bucket<T>> byLength, T[] array, bool disposed = true) where T : unmanaged
        {
            long bytes = Bytes(array);
            if (disposed && bytes >= 85_000) LargeBytesSinceReclaim = Math.Max(0, LargeBytesSinceReclaim - bytes);   // disposed: not garbage to look for
            lock (_sync)
            {
                if (!byLength.TryGetValue(array.Length, out var bucket)) byLength[array.Length] = bucket = new Bucket<T>();
                bucket.LastUse = Environment.TickCount64;
                if (bucket.Arrays.Count >= MaximumPerLength) return;
                // A disposed buffer is worth more than what the GC sent back and nobody took in yet: make room from the
                // inbox first, so a thread that filled the budget with it (a loop that never ran a backward pass, before
                // op ends were safe points) cannot turn every later Dispose into a fresh allocation.
                while (Interlocked.Read(ref s_totalBytes) + bytes > MaximumBytes && TakeFromInbox() is not null) { }
                if (Interlocked.Add(ref s_totalBytes, bytes) > MaximumBytes)
                {
                    Interlocked.Add(ref s_totalBytes, -bytes);   // over the shared budget: leave it to the GC
                    return;
                }
                bucket.Arrays.Push(array);
                _bytes += bytes;
                if (_registered) return;
                _registered = true;
                Register(this);                  // lock order: a pool's lock, then the registry's
            }
        }

        /// <summary>Drops the arrays of every length last used before <paramref name="unusedSince"/> (a TickCount64; all of
        /// them for long.MaxValue), and leaves the registry once empty; returns the bytes freed.</summary>
        public long Clear(long unusedSince = long.MaxValue)
        {
            lock (_sync)
            {
                long inbox = LastReclaim < unusedSince ? ClearInbox() : 0;       // idle (or Trim()): drop what the GC sent back
                long freed = Drop(Floats, unusedSince) + Drop(Doubles, unusedSince);
                _bytes -= freed;
                Interlocked.Add(ref s_totalBytes, -freed);
                freed += inbox;
                if (_bytes == 0 && Interlocked.Read(ref _inboxBytes) == 0 && _registered)
                {
                    Unregister(this);
                    _registered = false;
                }
                return freed;
            }
        }

        private static long Drop<T>(Dictionary<int, Bucket<T>> byLength, long unusedSince) where T : unmanaged
        {
            long freed = 0;
            foreach (var (length, bucket) in byLength)
                if (bucket.LastUse < unusedSince)
                {
                    freed += bucket.Arrays.Count * (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
                    byLength.Remove(length);         // allowed while enumerating a Dictionary since .NET Core 3.0
                }
            return freed;
        }

        private static long Bytes<T>(T[] array) where T : unmanaged =>
            (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
    }
}
