namespace Autodiff.Memory;

/// <summary>Arrays given back by disposed tensors, kept per thread and per exact length for the next tensor of that
/// size. A training loop asks for the same sizes every step, so after the first step it allocates almost nothing.</summary>
/// <remarks>
/// <para>Only arrays of at least <see cref="MinimumLength"/> elements are kept: small ones are cheaper for the GC than
/// for a lookup. Each thread keeps at most <see cref="MaximumPerLength"/> arrays of one length and
/// <see cref="MaximumBytes"/> in all; beyond that a returned array is left to the GC.</para>
/// <para>A rented array holds whatever its last user wrote: callers that need zeros clear it (Compute.Zeros).</para>
/// </remarks>
internal static class BufferPool
{
    public const int MinimumLength = 256;
    public const int MaximumPerLength = 32;
    public const long MaximumBytes = 256L << 20;

    public static float[] RentFloat(int length) => Pool<float>.Rent(length);

    public static double[] RentDouble(int length) => Pool<double>.Rent(length);

    public static void Return(float[]? f32, double[]? f64)
    {
        if (f32 is not null) Pool<float>.Return(f32);
        if (f64 is not null) Pool<double>.Return(f64);
    }

    /// <summary>Bytes currently held by the calling thread's pools (for tests and diagnostics).</summary>
    public static long HeldBytes => Pool<float>.HeldBytes + Pool<double>.HeldBytes;

    private static class Pool<T> where T : unmanaged
    {
        [ThreadStatic] private static Dictionary<int, Stack<T[]>>? t_byLength;
        [ThreadStatic] private static long t_heldBytes;

        public static long HeldBytes => t_heldBytes;

        public static T[] Rent(int length)
        {
            if (length >= MinimumLength && t_byLength is { } byLength
                && byLength.TryGetValue(length, out var stack) && stack.TryPop(out var array))
            {
                t_heldBytes -= (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
                return array;
            }
            return GC.AllocateUninitializedArray<T>(length);
        }

        public static void Return(T[] array)
        {
            long bytes = (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            if (array.Length < MinimumLength || t_heldBytes + bytes > MaximumBytes) return;
            var byLength = t_byLength ??= [];
            if (!byLength.TryGetValue(array.Length, out var stack)) byLength[array.Length] = stack = new Stack<T[]>();
            if (stack.Count >= MaximumPerLength) return;
            stack.Push(array);
            t_heldBytes += bytes;
        }
    }
}
