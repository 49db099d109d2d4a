namespace Autodiff;

/// <summary>How many threads the kernels may use. Same as <c>torch.get_num_threads</c> / <c>torch.set_num_threads</c>.</summary>
/// <remarks>Kernels split work only into disjoint pieces of the output, each computed in the same order as on one thread,
/// so results are bit-identical whatever this is set to. Large kernels (matrix products above a size threshold) use it;
/// small ones run on the calling thread, where starting workers would cost more than they save.</remarks>
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
}
