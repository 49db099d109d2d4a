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
    public const int MaximumPerLength = 32;

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
        length >= MinimumLength && t_pool is { } pool ? pool.Rent(pool.Floats, length) : GC.AllocateUninitializedArray<float>(length);

    public static double[] RentDouble(int length) =>
        length >= MinimumLength && t_pool is { } pool ? pool.Rent(pool.Doubles, length) : GC.AllocateUninitializedArray<double>(length);

    public static void Return(float[]? f32, double[]? f64)
    {
        if (f32 is not null && f32.Length >= MinimumLength) Pool.Return(Pool.Floats, f32);
        if (f64 is not null && f64.Length >= MinimumLength) Pool.Return(Pool.Doubles, f64);
    }

    private static ThreadBuffers Pool => t_pool ??= new ThreadBuffers();

    /// <summary>Bytes held by the calling thread's pool (for tests and diagnostics); reading counts as using the pool.</summary>
    public static long HeldBytes => t_pool is { } pool ? pool.Touch() : 0;

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
    private sealed class ThreadBuffers
    {
        private readonly Lock _sync = new();
        public readonly Dictionary<int, Bucket<float>> Floats = [];
        public readonly Dictionary<int, Bucket<double>> Doubles = [];
        private long _bytes;
        private bool _registered;                // in s_pools: true while it holds arrays

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

        public T[] Rent<T>(Dictionary<int, Bucket<T>> byLength, int length) where T : unmanaged
        {
            lock (_sync)
            {
                if (byLength.TryGetValue(length, out var bucket))
                {
                    bucket.LastUse = Environment.TickCount64;
                    if (bucket.Arrays.TryPop(out var array))
                    {
                        long bytes = Bytes(array);
                        _bytes -= bytes;
                        Interlocked.Add(ref s_totalBytes, -bytes);
                        return array;
                    }
                }
            }
            return GC.AllocateUninitializedArray<T>(length);
        }

        public void Return<T>(Dictionary<int, Bucket<T>> byLength, T[] array) where T : unmanaged
        {
            long bytes = Bytes(array);
            lock (_sync)
            {
                if (!byLength.TryGetValue(array.Length, out var bucket)) byLength[array.Length] = bucket = new Bucket<T>();
                bucket.LastUse = Environment.TickCount64;
                if (bucket.Arrays.Count >= MaximumPerLength) return;
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
                long freed = Drop(Floats, unusedSince) + Drop(Doubles, unusedSince);
                _bytes -= freed;
                Interlocked.Add(ref s_totalBytes, -freed);
                if (_bytes == 0 && _registered)
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
