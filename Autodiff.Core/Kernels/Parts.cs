namespace Autodiff.Kernels;

/// <summary>Splitting a kernel's work across threads: disjoint runs of independent units (samples, planes, output rows),
/// each computed exactly as on one thread, so the result never depends on the thread count.</summary>
internal static class Parts
{
    /// <summary>How many runs to cut <paramref name="units"/> into: 1 when the work is <paramref name="small"/> (starting
    /// a worker would cost more than it saves), else one per thread available (<see cref="Threading.Available"/>).</summary>
    public static int Count(int units, bool small) => small ? 1 : Math.Max(1, Math.Min(Threading.Available, units));

    /// <summary>Calls <c>body(first, end)</c> on <paramref name="parts"/> disjoint runs covering <c>[0, units)</c>, run p
    /// taking <c>[⌊p·units/parts⌋, ⌊(p+1)·units/parts⌋)</c>, one run per thread (the calling thread takes one), and
    /// returns when all are done. Kernels called inside a run use its thread alone.</summary>
    public static void For(int units, int parts, Action<int, int> body) =>
        Threading.For(parts, p => body((int)((long)p * units / parts), (int)((long)(p + 1) * units / parts)));
}

/// <summary>A span's address and length, for worker threads: a span cannot be captured by a lambda, so the caller pins
/// it (<c>fixed</c> on <c>MemoryMarshal.AsBytes(span)</c>) for as long as the workers run, and each worker rebuilds it.</summary>
internal readonly unsafe struct Pinned<T>(byte* address, int length) where T : struct
{
    /// <summary>The span again; valid only while the caller's <c>fixed</c> block is running.</summary>
    public Span<T> Span => new(address, length);
}
