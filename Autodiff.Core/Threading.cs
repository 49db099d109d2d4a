namespace Autodiff;

/// <summary>How many threads the kernels may use. Same as <c>torch.get_num_threads</c> / <c>torch.set_num_threads</c>.</summary>
/// <remarks>Kernels split work only into disjoint pieces of the output, each computed in the same order as on one thread,
/// so results are bit-identical whatever this is set to. Large kernels use it: matrix products and convolutions above
/// 2·128³ flops, max pooling above 2¹⁸ inputs; small ones run on the calling thread, where starting workers would cost more
/// than they save.</remarks>
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

    /// <summary>The threads a kernel called on this thread may use: <see cref="NumThreads"/>, or 1 inside a part of
    /// <see cref="For"/>, whose work is already split (so a product inside a convolution's worker does not split again).</summary>
    internal static int Available => t_inWorker ? 1 : NumThreads;

    /// <summary>Runs <c>body(0 … parts-1)</c>, one part per thread (the calling thread takes one), and returns when all are
    /// done. Kernels called from a part run on its thread alone.</summary>
    internal static void For(int parts, Action<int> body)
    {
        if (parts == 1)
        {
            body(0);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            bool outer = t_inWorker;
            t_inWorker = true;
            try
            {
                body(part);
            }
            finally
            {
                t_inWorker = outer;
            }
        });
    }
}
