using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Autodiff.Kernels;

namespace Autodiff;

/// <summary>A seeded source of random numbers. Same idea as <c>torch.Generator</c>; <see cref="Default"/> and
/// <see cref="ManualSeed"/> are <c>torch.default_generator</c> and <c>torch.manual_seed</c>.</summary>
/// <remarks>
/// <para>Uses xoshiro256** seeded through SplitMix64, so a seed gives the same numbers on every machine, runtime version
/// and run (not the numbers PyTorch gives for that seed: the algorithms differ).</para>
/// <para>Every layer, dropout module, shuffling <c>DataLoader</c> and random factory given no generator draws from
/// <see cref="Default"/>, so two new layers start different and a program seeded once with <see cref="ManualSeed"/> is
/// reproducible. Unseeded, the default starts from the fixed seed 67280421310721, as PyTorch's CPU generator does, so a
/// program is also reproducible run to run without <see cref="ManualSeed"/>.</para>
/// <para>Thread safety: a lock. Every public draw takes it, and a tensor fill takes it once for the whole tensor, so
/// draws from several threads never race: no value is lost or repeated. A seeded single-threaded program is
/// bit-reproducible; draws interleaved from several threads are race-free but their order depends on scheduling, as in
/// PyTorch. Give each thread its own generator when the order matters.</para>
/// </remarks>
/// <example><code>
/// Generator.ManualSeed(42);                       // as torch.manual_seed(42)
/// var net = new Sequential(new Linear(784, 100), new ReLU(), new Linear(100, 10));   // the same weights every run
/// var noise = Tensor.Randn(64, 784);              // drawn from Generator.Default
/// var mine = Tensor.Randn([64, 784], new Generator(7));   // a stream of its own
/// </code></example>
public sealed class Generator
{
    /// <summary>The seed <see cref="Default"/> starts from when nothing reseeds it: PyTorch's default CPU seed.</summary>
    public const long DefaultSeed = 67280421310721;

    private readonly Lock _lock = new();
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(long seed) => Reset(seed);

    /// <summary>The process-wide generator that layers, dropout, shuffling and random factories draw from when no
    /// generator is passed. Same as <c>torch.default_generator</c>.</summary>
    /// <remarks>Always the same object: <see cref="ManualSeed"/> reseeds it in place, so a reference kept earlier stays
    /// the default. Starts from <see cref="DefaultSeed"/>. Shared by all threads (see the class remarks).</remarks>
    public static Generator Default { get; } = new(DefaultSeed);

    /// <summary>Reseeds <see cref="Default"/> so that it draws what <c>new Generator(seed)</c> would, and returns it.
    /// Same as <c>torch.manual_seed</c>.</summary>
    /// <remarks>Call it once at the start of a program (or before building a model) to make every default draw that
    /// follows reproducible. Generators created with their own seed are not affected.</remarks>
    public static Generator ManualSeed(long seed)
    {
        Default.Reset(seed);
        return Default;
    }

    /// <summary>The seed this generator was created with or last reseeded with. Same as <c>Generator.initial_seed()</c>
    /// (<c>Generator.Default.InitialSeed</c> is <c>torch.initial_seed()</c>).</summary>
    public long InitialSeed { get; private set; }

    private void Reset(long seed)
    {
        lock (_lock)
        {
            ulong x = (ulong)seed;
            _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
            _spareNormal = null;
            InitialSeed = seed;
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        lock (_lock) return Bits();
    }

    /// <summary>A uniform double in <c>[0, 1)</c> with 53 random bits.</summary>
    public double NextDouble()
    {
        lock (_lock) return Unit();
    }

    /// <summary>A uniform integer in <c>[0, maxExclusive)</c>, without modulo bias.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not positive.</exception>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) Check.FailRange("Generator.NextInt", $"maxExclusive must be positive, got {maxExclusive}.", nameof(maxExclusive));
        lock (_lock) return (int)Below((ulong)maxExclusive);
    }

    /// <summary>A standard normal sample (mean 0, variance 1), by the Box-Muller transform.</summary>
    public double NextNormal()
    {
        lock (_lock) return Normal();
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates), holding the lock once for the whole shuffle.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        lock (_lock)
        {
            for (int i = items.Length - 1; i > 0; i--)
            {
                int j = (int)Below((ulong)(i + 1));
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
    }

    /// <summary><c>destination[i] = low + (high - low) · u</c>, u uniform in <c>[0, 1)</c>: the same values, in order, as
    /// calling <see cref="NextDouble"/> once per element, under one lock. Every value is in <c>[low, high)</c> (see
    /// <see cref="UniformValue{T}"/>).</summary>
    /// <remarks>The state is copied into locals for the loop (so it stays in registers) and written back once; float and
    /// double convert four or eight draws at a time in vectors (the same double arithmetic, rounded once: the same bits).</remarks>
    internal void FillUniform<T>(Span<T> destination, double low = 0, double high = 1) where T : struct, IFloatingPointIeee754<T>
    {
        T top = T.CreateTruncating(high);
        bool clamp = top > T.CreateTruncating(low);                 // else nothing lies below high: keep the value (see UniformValue)
        double range = high - low;
        lock (_lock)
        {
            var state = State;
            int i = 0;
            if (typeof(T) == typeof(float))
                i = FillUniformVectors(ref state, MemoryMarshal.Cast<T, float>(destination), low, range, float.CreateTruncating(top), clamp);
            else if (typeof(T) == typeof(double))
                i = FillUniformVectors(ref state, MemoryMarshal.Cast<T, double>(destination), low, range, double.CreateTruncating(top), clamp);
            for (; i < destination.Length; i++)
            {
                T value = T.CreateTruncating(low + range * state.NextUnit());
                destination[i] = clamp && value >= top ? T.BitDecrement(top) : value;
            }
            State = state;
        }
    }

    /// <summary>Whole vectors of <see cref="FillUniform{T}(Span{T}, double, double)"/> for float; returns how many values it wrote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FillUniformVectors(ref Xoshiro state, Span<float> destination, double low, double range, float high, bool clamp)
    {
        var (top, below) = (Vector256.Create(high), Vector256.Create(float.BitDecrement(high)));
        int i = 0;
        for (; i + 8 <= destination.Length; i += 8)
        {
            var value = Vector256.Narrow(
                UniformLanes(Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()), low, range),
                UniformLanes(Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()), low, range));
            if (clamp) value = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(value, top), below, value);
            value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)i);
        }
        return i;
    }

    /// <summary>Whole vectors of <see cref="FillUniform{T}(Span{T}, double, double)"/> for double; returns how many values it wrote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FillUniformVectors(ref Xoshiro state, Span<double> destination, double low, double range, double high, bool clamp)
    {
        var (top, below) = (Vector256.Create(high), Vector256.Create(double.BitDecrement(high)));
        int i = 0;
        for (; i + 4 <= destination.Length; i += 4)
        {
            var value = UniformLanes(Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()), low, range);
            if (clamp) value = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(value, top), below, value);
            value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)i);
        }
        return i;
    }

    /// <summary><c>low + range·u</c> for four draws, <c>u = (d >> 11)·2⁻⁵³</c> exactly as <see cref="NextDouble"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> UniformLanes(Vector256<ulong> bits, double low, double range) =>
        Vector256.Create(low) + Vector256.Create(range) *
        (Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11).AsInt64()) * Vector256.Create(1.0 / (1UL << 53)));

    /// <summary>Fills a tensor in place, in its dtype, as <see cref="FillUniform{T}(Span{T}, double, double)"/>. The
    /// caller marks it modified.</summary>
    internal void FillUniform(Tensor destination, double low, double high)
    {
        if (destination.DType == DType.Float32) FillUniform(destination.F32, low, high);
        else FillUniform(destination.F64, low, high);
    }

    /// <summary><c>low + (high - low) · u</c> rounded to <typeparamref name="T"/>, kept below <paramref name="high"/>.</summary>
    /// <remarks>For u close to 1 the rounding (to float32 from u ≥ 1 − 2⁻²⁵ with [0, 1); to float64 in some ranges too)
    /// can give exactly <c>high</c>, which <c>[low, high)</c> excludes; that value becomes the largest one below
    /// <c>high</c>, so every other value is unchanged. When low and high round to the same value there is nothing below,
    /// and that value is returned, as <c>torch.empty(n).uniform_(a, a)</c> gives <c>a</c>.</remarks>
    internal static T UniformValue<T>(double low, double high, double u) where T : IFloatingPointIeee754<T>
    {
        T value = T.CreateTruncating(low + (high - low) * u);
        T top = T.CreateTruncating(high);
        return value >= top && top > T.CreateTruncating(low) ? T.BitDecrement(top) : value;
    }

    /// <summary>Standard normal samples by the Box-Muller transform, from the uniforms <see cref="NextNormal"/> would draw:
    /// a pending spare first, then for each pair of elements <c>u1 = 1 - U</c>, <c>u2 = U</c> (two draws), giving
    /// <c>r·cos(2π·u2)</c> and <c>r·sin(2π·u2)</c> with <c>r = √(-2 ln u1)</c>; an odd count leaves the last sine as the spare
    /// (so a following <see cref="NextNormal"/> continues the stream), all under one lock.</summary>
    /// <remarks>
    /// <para>Float64 computes every pair with <see cref="Math"/> in double: exactly the values of <see cref="NextNormal"/>,
    /// called once per element. Float32 computes eight pairs at a time in <see cref="Vector256{T}"/> with VectorMath's
    /// float log, sine and cosine (the angle first reduced to <c>[-π, π)</c> in double): the same draws, so each value is
    /// the float64 one to within about 1e-6·(1 + |z|), not its exact rounding, many times faster than a call per element.
    /// The result depends on the seed and the element's index alone; the spare an odd count leaves is computed in double,
    /// as <see cref="NextNormal"/> would.</para>
    /// </remarks>
    internal void FillNormal<T>(Span<T> destination) where T : struct, IFloatingPoint<T>
    {
        if (typeof(T) == typeof(float)) FillNormal(MemoryMarshal.Cast<T, float>(destination));
        else if (typeof(T) == typeof(double)) FillNormal(MemoryMarshal.Cast<T, double>(destination));
        else
            lock (_lock)
                for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateTruncating(Normal());
    }

    private void FillNormal(Span<double> destination)
    {
        lock (_lock)
        {
            int i = 0;
            if (destination.Length > 0 && _spareNormal is double spare) (destination[i++], _spareNormal) = (spare, null);
            var state = State;
            for (; i < destination.Length; i += 2)
            {
                double u1 = 1.0 - state.NextUnit(), u2 = state.NextUnit();                // as Normal(): u1 in (0, 1]
                double r = Math.Sqrt(-2.0 * Math.Log(u1));
                destination[i] = r * Math.Cos(2.0 * Math.PI * u2);
                double sine = r * Math.Sin(2.0 * Math.PI * u2);
                if (i + 1 < destination.Length) destination[i + 1] = sine;
                else _spareNormal = sine;
            }
            State = state;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillNormal(Span<float> destination)
    {
        const int pairs = 8;                                             // one Vector256<float> of radii and of angles
        Span<float> u1 = stackalloc float[pairs], angle = stackalloc float[pairs];
        Span<float> cosine = stackalloc float[pairs], sine = stackalloc float[pairs];
        lock (_lock)
        {
            int i = 0;
            if (destination.Length > 0 && _spareNormal is double spare) (destination[i++], _spareNormal) = ((float)spare, null);
            var state = State;
            for (; i + 2 * pairs <= destination.Length; i += 2 * pairs)               // whole groups of 16 values
            {
                // Sixteen draws, built into vectors in registers (stored and reloaded, they would stall on store forwarding).
                var (radius, theta) = BoxMullerInputs(
                    Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()),
                    Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()),
                    Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()),
                    Vector256.Create(state.Next(), state.Next(), state.Next(), state.Next()));
                var (c, s) = BoxMuller(radius, theta);
                Vector256.Shuffle(Vector256.Create(c.GetLower(), s.GetLower()), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7))
                    .StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)i);               // c0 s0 c1 s1 ...
                Vector256.Shuffle(Vector256.Create(c.GetUpper(), s.GetUpper()), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7))
                    .StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)(i + pairs));
            }
            if (i < destination.Length)                                                   // the last, partial group
            {
                int count = destination.Length - i, used = (count + 1) / 2;
                double lastU1 = 0, lastU2 = 0;
                for (int p = 0; p < pairs; p++)
                {
                    if (p < used)
                    {
                        (lastU1, lastU2) = (1.0 - state.NextUnit(), state.NextUnit());
                        u1[p] = (float)lastU1;
                        angle[p] = (float)(2.0 * Math.PI * (lastU2 >= 0.5 ? lastU2 - 1.0 : lastU2));
                    }
                    else (u1[p], angle[p]) = (1f, 0f);                                  // unused lanes: r = 0
                }
                var (c, s) = BoxMuller(Vector256.Create<float>(u1), Vector256.Create<float>(angle));
                c.CopyTo(cosine);
                s.CopyTo(sine);
                for (int p = 0; p < used; p++)
                {
                    destination[i + 2 * p] = cosine[p];
                    if (2 * p + 1 < count) destination[i + 2 * p + 1] = sine[p];
                }
                if (count % 2 == 1)                                                      // the last pair's sine: the spare, in double
                    _spareNormal = Math.Sqrt(-2.0 * Math.Log(lastU1)) * Math.Sin(2.0 * Math.PI * lastU2);
            }
            State = state;
        }
    }

    /// <summary>The float inputs of eight Box-Muller pairs from sixteen draws, pair p taking draws 2p and 2p + 1, vectorized: with
    /// <c>u = (d >> 11)·2⁻⁵³</c> (exact in double, as <see cref="NextDouble"/>), <c>u1 = 1 - u</c> and the angle
    /// <c>2π·u2</c> reduced to <c>[-π, π)</c>, each computed in double and rounded to float once: the bits the scalar
    /// conversions of a partial group give.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> U1, Vector256<float> Theta) BoxMullerInputs(Vector256<ulong> d0, Vector256<ulong> d1, Vector256<ulong> d2,
        Vector256<ulong> d3)
    {
        var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var first = Vector256.Shuffle(Vector256.Narrow(BoxMullerLanes(d0), BoxMullerLanes(d1)), order);   // u1 of pairs 0-3, θ of pairs 0-3
        var second = Vector256.Shuffle(Vector256.Narrow(BoxMullerLanes(d2), BoxMullerLanes(d3)), order);
        return (Vector256.Create(first.GetLower(), second.GetLower()), Vector256.Create(first.GetUpper(), second.GetUpper()));
    }

    /// <summary>Four draws <c>(u1, u2, u1, u2)</c> as <c>(1 - u, 2π·u', ...)</c> in double, u' being u reduced to <c>[-½, ½)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> BoxMullerLanes(Vector256<ulong> bits)
    {
        var u = Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11).AsInt64()) * Vector256.Create(1.0 / (1UL << 53));
        var reduced = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, Vector256.Create(0.5)), u - Vector256<double>.One, u);
        var even = Vector256.Create(-1L, 0, -1L, 0).AsDouble();                          // lanes holding a u1 draw
        return Vector256.ConditionalSelect(even, Vector256<double>.One - u, Vector256.Create(2.0 * Math.PI) * reduced);
    }

    /// <summary><c>r·cos θ</c> and <c>r·sin θ</c> with <c>r = √(-2 ln u1)</c>, lane by lane, with VectorMath's float functions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Cosine, Vector256<float> Sine) BoxMuller(Vector256<float> u1, Vector256<float> theta)
    {
        var r = Vector256.Sqrt(Vector256.Create(-2f) * VectorMath.Log(u1));
        return (r * VectorMath.SinCos(theta, cosine: true), r * VectorMath.SinCos(theta, cosine: false));
    }

    /// <summary>Fills a tensor in place, in its dtype, as <see cref="FillNormal{T}(Span{T})"/>. The caller marks it
    /// modified.</summary>
    internal void FillNormal(Tensor destination)
    {
        if (destination.DType == DType.Float32) FillNormal(destination.F32);
        else FillNormal(destination.F64);
    }

    /// <summary><c>destination[i] = value</c> with probability <paramref name="probability"/> (when a uniform draw is below
    /// it), else 0; one <see cref="NextDouble"/> per element, under one lock. A dropout mask.</summary>
    internal void FillBernoulli<T>(Span<T> destination, double probability, double value) where T : IFloatingPoint<T>
    {
        T on = T.CreateTruncating(value);
        lock (_lock)
        {
            for (int i = 0; i < destination.Length; i++) destination[i] = Unit() < probability ? on : T.Zero;
        }
    }

    /// <summary>Uniform integers in <c>[low, high)</c>, without modulo bias, under one lock. The caller checks
    /// <c>low &lt; high</c>.</summary>
    internal void FillIntegers<T>(Span<T> destination, long low, long high) where T : INumberBase<T>
    {
        ulong range = (ulong)(high - low);   // wraps correctly even when high - low overflows a long
        lock (_lock)
        {
            for (int i = 0; i < destination.Length; i++) destination[i] = typeof(T) == typeof(long)
                    ? T.CreateTruncating(low + (long)Below(range)) : T.CreateTruncating((double)(low + (long)Below(range)));
        }
    }

    // The draws below assume the lock is held.

    /// <summary>The generator's state as a value, so a fill can keep it in registers: copied out, advanced, written back.</summary>
    private Xoshiro State
    {
        get => new(_s0, _s1, _s2, _s3);
        set => (_s0, _s1, _s2, _s3) = (value.S0, value.S1, value.S2, value.S3);
    }

    private ulong Bits()
    {
        var state = State;
        ulong result = state.Next();
        State = state;
        return result;
    }

    private double Unit() => (Bits() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in <c>[0, bound)</c>: rejects the lowest <c>2^64 mod bound</c> values so every residue is equally likely.</summary>
    private ulong Below(ulong bound)
    {
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = Bits();
            if (r >= threshold) return r % bound;
        }
    }

    private double Normal()
    {
        if (_spareNormal is double spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1 = 1.0 - Unit(); // (0, 1], so the log is finite
        double u2 = Unit();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2.0 * Math.PI * u2);
        return r * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>xoshiro256** (Blackman and Vigna): the state and one step, as a struct a loop can hold in registers.</summary>
internal struct Xoshiro(ulong s0, ulong s1, ulong s2, ulong s3)
{
    public ulong S0 = s0, S1 = s1, S2 = s2, S3 = s3;

    /// <summary>The next 64 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next()
    {
        ulong result = ulong.RotateLeft(S1 * 5, 7) * 9;
        ulong t = S1 << 17;
        S2 ^= S0; S3 ^= S1; S1 ^= S2; S0 ^= S3;
        S2 ^= t;
        S3 = ulong.RotateLeft(S3, 45);
        return result;
    }

    /// <summary>A uniform double in <c>[0, 1)</c> from the top 53 bits of the next draw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextUnit() => (Next() >> 11) * (1.0 / (1UL << 53));
}
