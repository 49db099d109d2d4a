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
    public static void For(int units, int parts, Action<int, int> body) => For(units, parts, wake: true, body);

    /// <summary><see cref="For(int, int, Action{int, int})"/>, waking sleeping workers only when <paramref name="wake"/>
    /// (see <see cref="Threading.For(int, Action{int}, bool)"/>).</summary>
    public static void For(int units, int parts, bool wake, Action<int, int> body) =>
        Threading.For(parts, p => body((int)((long)p * units / parts), (int)((long)(p + 1) * units / parts)), wake);
}

/// <summary>A span's address and length, for worker threads: a span cannot be captured by a lambda, so the caller pins
/// it (<c>fixed</c> on <c>MemoryMarshal.AsBytes(span)</c>) for as long as the workers run, and each worker rebuilds it.</summary>
internal readonly unsafe struct Pinned<T>(byte* address, int length) where T : struct
{
    /// <summary>The span again; valid only while the caller's <c>fixed</c> block is running.</summary>
    public Span<T> Span => new(address, length);
}

/// <summary>A piece of an element-wise kernel: the elements <c>[start, start + length)</c> of its output.</summary>
internal interface IChunkBody
{
    void Run(int start, int length);
}

/// <summary>The fixed chunking of element-wise kernels: an output of at least <see cref="ParallelMinElements"/> elements
/// is cut into chunks of <see cref="Size"/> elements (the last one shorter), whatever the thread count, and the chunks are
/// shared among the threads available; a smaller one is one call on the calling thread.</summary>
/// <remarks>The chunk boundaries depend only on the length, so a kernel gets the same calls with the same spans on one
/// thread or on three: its result is bit-identical at any <see cref="Threading.NumThreads"/>, even if a kernel's last
/// bits depended on where a span starts.</remarks>
internal static class Chunks
{
    /// <summary>Elements per chunk: 2¹⁴ (64 KiB of float32), small enough to balance two threads and to keep a chunk of
    /// each operand in L2, large enough that the per-chunk overhead (one claim, one span slice) is noise.</summary>
    public const int Size = 1 << 14;

    /// <summary>The length from which a kernel is cut into chunks and shared with workers that are awake: 2¹⁶ (four
    /// chunks). A spinning worker joins within a microsecond or two, so four chunks of ~10 µs are worth sharing.</summary>
    public const int ParallelMinElements = 1 << 16;

    /// <summary>The length from which a kernel is worth waking a sleeping worker for: 2¹⁸. Measured on the 2-core EPYC
    /// VM (float32, 1 and 2 threads alternating in one process): a wake-up cost the caller ~15 µs and the worker took
    /// ~35 µs to claim its first chunk, so below this two threads gained nothing; from 2¹⁸ Exp took 0.53–0.58× the
    /// one-thread time (162 → 85 µs at 2¹⁸, 675 → 394 µs at 2²⁰) and Add 0.67× at 2¹⁸, when the second core was free.</summary>
    public const int WakeMinElements = 1 << 18;

    /// <summary>Whether a kernel over <paramref name="length"/> elements should wake sleeping workers.</summary>
    public static bool Wake(int length) => length >= WakeMinElements;

    /// <summary>Whether a kernel over <paramref name="length"/> elements should split its work: from
    /// <see cref="ParallelMinElements"/> when a worker is awake to help, from <see cref="WakeMinElements"/> always; never
    /// with one thread available. Only for kernels whose split never changes their result (independent outputs).</summary>
    public static bool Split(int length) =>
        length >= ParallelMinElements && Threading.Available > 1 && (length >= WakeMinElements || WorkerPool.AnyAwake);

    /// <summary>Runs <paramref name="body"/> over <c>[0, length)</c>: in one call below <see cref="ParallelMinElements"/>,
    /// else chunk by chunk, on the threads available (waking sleeping workers from <see cref="WakeMinElements"/>).</summary>
    public static void For<TBody>(int length, TBody body) where TBody : struct, IChunkBody
    {
        if (length < ParallelMinElements)
        {
            if (length > 0) body.Run(0, length);
            return;
        }
        int chunks = (int)(((long)length + Size - 1) / Size);
        if (Threading.Available == 1 || (!Wake(length) && !WorkerPool.AnyAwake))
        {
            for (int c = 0; c < chunks; c++) body.Run(c * Size, Math.Min(Size, length - c * Size));
            return;
        }
        Shared(length, chunks, body);
    }

    /// <summary>The chunks handed to the worker pool. A method of its own so that the closure is allocated only here,
    /// not on every call of <see cref="For{TBody}"/> (C# allocates a captured parameter's closure at method entry).</summary>
    private static void Shared<TBody>(int length, int chunks, TBody body) where TBody : struct, IChunkBody =>
        Threading.For(chunks, c => body.Run(c * Size, Math.Min(Size, length - c * Size)), Wake(length));
}
