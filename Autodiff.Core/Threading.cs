namespace Autodiff;

/// <summary>How many threads the kernels may use. Same as <c>torch.get_num_threads</c> / <c>torch.set_num_threads</c>.</summary>
/// <remarks>Kernels split work only into disjoint pieces of the output, each computed in the same order as on one thread,
/// so results are bit-identical whatever this is set to. Large kernels use it: matrix products and convolutions above
/// 2·128³ flops, max pooling above 2¹⁸ inputs, element-wise kernels and broadcast reductions from 2¹⁶ elements (cut into
/// chunks of 2¹⁴ elements whatever the thread count; a worker asleep is woken only from 2¹⁸); small ones run on the
/// calling thread, where handing work to another thread would cost more than it saves. The worker threads are started
/// once and wait between kernels, spinning briefly and then blocking.</remarks>
public static class Threading
{
    private static int _numThreads = Environment.ProcessorCount;

    /// <summary>The most threads a kernel may use; defaults to <see cref="Environment.ProcessorCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public static int NumThreads
    {
        get => Volatile.Read(ref _numThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(NumThreads));
            Volatile.Write(ref _numThreads, value);
        }
    }

    [ThreadStatic] private static bool t_inWorker;

    /// <summary>True on a thread while it runs a part of <see cref="For(int, Action{int})"/> (set by the worker pool).</summary>
    internal static bool InWorker
    {
        get => t_inWorker;
        set => t_inWorker = value;
    }

    /// <summary>The threads a kernel called on this thread may use: <see cref="NumThreads"/>, or 1 inside a part of
    /// <see cref="For(int, Action{int})"/>, whose work is already split (so a product inside a convolution's worker does not split again).</summary>
    internal static int Available => t_inWorker ? 1 : NumThreads;

    /// <summary>Runs <c>body(0 … parts-1)</c> on up to <see cref="Available"/> threads (the calling thread takes parts
    /// too) and returns when all are done. Kernels called from a part run on its thread alone.</summary>
    /// <remarks>The workers are started once and parked between calls (<see cref="Kernels.WorkerPool"/>); parts are
    /// handed out one at a time to whichever thread is free, so a kernel must give each part the same work whichever
    /// thread runs it. The first exception a part throws is rethrown once every part has finished.</remarks>
    internal static void For(int parts, Action<int> body) => For(parts, body, wake: true);

    /// <summary><see cref="For(int, Action{int})"/> for a job that may be too small to be worth waking a sleeping worker
    /// (<paramref name="wake"/> false): then only workers already spinning for work join the calling thread.</summary>
    internal static void For(int parts, Action<int> body, bool wake)
    {
        if (parts <= 0) return;
        if (parts == 1)
        {
            body(0);
            return;
        }
        Kernels.WorkerPool.Run(parts, Math.Min(parts, Available), body, wake);
    }
}
