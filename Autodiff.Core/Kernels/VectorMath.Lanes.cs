using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>The lane operations the VectorMath formulas need beyond the arithmetic operators, for one vector width:
/// the formulas are written once, generic over <typeparamref name="TV"/> (<see cref="Simd256{T}"/> or
/// <see cref="Simd512{T}"/>), and every member here is a lane-wise IEEE operation (or a bit operation), so a lane's
/// result is the same at either width.</summary>
/// <remarks>The "integer" members reinterpret each lane's bits as a signed integer of the lane's size (int32 for float,
/// int64 for double), operate on it, and reinterpret the result back. No float-to-integer conversion is offered: its
/// out-of-range behaviour differs between instruction sets.</remarks>
internal interface ILanes<TV, T> where TV : struct where T : struct
{
    static abstract int Count { get; }
    static abstract TV Create(T value);
    /// <summary>Every lane holds the integer <paramref name="pattern"/> (truncated to the lane size) as its bits.</summary>
    static abstract TV Bits(long pattern);
    static abstract TV Load(ref T source, nuint index);
    static abstract void Store(TV value, ref T destination, nuint index);
    static abstract TV Equal(TV a, TV b);
    static abstract TV LessThan(TV a, TV b);
    static abstract TV LessThanOrEqual(TV a, TV b);
    static abstract TV GreaterThan(TV a, TV b);
    static abstract TV GreaterThanOrEqual(TV a, TV b);
    /// <summary><c>mask ? ifTrue : ifFalse</c> bit by bit (a comparison's mask selects whole lanes).</summary>
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);
    /// <summary>True when every lane of a comparison's mask is set.</summary>
    static abstract bool All(TV mask);
    /// <summary>True when some lane of a comparison's mask is set.</summary>
    static abstract bool Any(TV mask);
    static abstract TV AddInteger(TV a, TV b);
    static abstract TV SubtractInteger(TV a, TV b);
    static abstract TV ShiftLeft(TV a, int count);
    /// <summary>Arithmetic right shift of int32 lanes; float lanes only (int64 lanes have no AVX2 instruction for it).</summary>
    static abstract TV ShiftRightArithmetic(TV a, int count);
    /// <summary>Logical right shift of the integer lanes.</summary>
    static abstract TV ShiftRightLogical(TV a, int count);
    /// <summary>The int32 lanes converted to float (exact for the small integers the formulas convert); float lanes only.</summary>
    static abstract TV ConvertInteger(TV a);
    /// <summary>The correctly rounded square root.</summary>
    static abstract TV Sqrt(TV x);
    static abstract T GetElement(TV x, int index);
    static abstract TV WithElement(TV x, int index, T value);
}

/// <summary>A <see cref="Vector256{T}"/> with the arithmetic operators as interface implementations, so the VectorMath
/// formulas can be generic over the width (the .NET reference assemblies do not expose <see cref="Vector256{T}"/>'s own
/// operator interfaces). Each operator is the vector's own, inlined.</summary>
internal readonly struct Simd256<T>(Vector256<T> value) :
    IAdditionOperators<Simd256<T>, Simd256<T>, Simd256<T>>, ISubtractionOperators<Simd256<T>, Simd256<T>, Simd256<T>>,
    IMultiplyOperators<Simd256<T>, Simd256<T>, Simd256<T>>, IDivisionOperators<Simd256<T>, Simd256<T>, Simd256<T>>,
    IBitwiseOperators<Simd256<T>, Simd256<T>, Simd256<T>>
    where T : struct
{
    public readonly Vector256<T> Value = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator +(Simd256<T> a, Simd256<T> b) => new(a.Value + b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator -(Simd256<T> a, Simd256<T> b) => new(a.Value - b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator *(Simd256<T> a, Simd256<T> b) => new(a.Value * b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator /(Simd256<T> a, Simd256<T> b) => new(a.Value / b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator &(Simd256<T> a, Simd256<T> b) => new(a.Value & b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator |(Simd256<T> a, Simd256<T> b) => new(a.Value | b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator ^(Simd256<T> a, Simd256<T> b) => new(a.Value ^ b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator ~(Simd256<T> a) => new(~a.Value);
}

/// <summary><see cref="ILanes{TV, T}"/> over <see cref="Vector256{T}"/> of float or double.</summary>
internal readonly struct Lanes256<T> : ILanes<Simd256<T>, T> where T : struct
{
    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Create(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Bits(long pattern) =>
        new(typeof(T) == typeof(float) ? Vector256.Create((int)pattern).As<int, T>() : Vector256.Create(pattern).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Load(ref T source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd256<T> value, ref T destination, nuint index) => value.Value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Equal(Simd256<T> a, Simd256<T> b) => new(Vector256.Equals(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> LessThan(Simd256<T> a, Simd256<T> b) => new(Vector256.LessThan(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> LessThanOrEqual(Simd256<T> a, Simd256<T> b) => new(Vector256.LessThanOrEqual(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> GreaterThan(Simd256<T> a, Simd256<T> b) => new(Vector256.GreaterThan(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> GreaterThanOrEqual(Simd256<T> a, Simd256<T> b) => new(Vector256.GreaterThanOrEqual(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Select(Simd256<T> mask, Simd256<T> ifTrue, Simd256<T> ifFalse) => new(Vector256.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Simd256<T> mask) => Vector256.EqualsAll(mask.Value.AsInt32(), Vector256<int>.AllBitsSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Simd256<T> mask) => mask.Value.AsInt32() != Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> AddInteger(Simd256<T> a, Simd256<T> b) =>
        new(typeof(T) == typeof(float) ? (a.Value.AsInt32() + b.Value.AsInt32()).As<int, T>() : (a.Value.AsInt64() + b.Value.AsInt64()).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> SubtractInteger(Simd256<T> a, Simd256<T> b) =>
        new(typeof(T) == typeof(float) ? (a.Value.AsInt32() - b.Value.AsInt32()).As<int, T>() : (a.Value.AsInt64() - b.Value.AsInt64()).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> ShiftLeft(Simd256<T> a, int count) =>
        new(typeof(T) == typeof(float) ? Vector256.ShiftLeft(a.Value.AsInt32(), count).As<int, T>() : Vector256.ShiftLeft(a.Value.AsInt64(), count).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> ShiftRightArithmetic(Simd256<T> a, int count) => new(Vector256.ShiftRightArithmetic(a.Value.AsInt32(), count).As<int, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> ShiftRightLogical(Simd256<T> a, int count) =>
        new(typeof(T) == typeof(float) ? Vector256.ShiftRightLogical(a.Value.AsInt32(), count).As<int, T>() : Vector256.ShiftRightLogical(a.Value.AsInt64(), count).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> ConvertInteger(Simd256<T> a) => new(Vector256.ConvertToSingle(a.Value.AsInt32()).As<float, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Sqrt(Simd256<T> x) => new(Vector256.Sqrt(x.Value));

    public static T GetElement(Simd256<T> x, int index) => x.Value.GetElement(index);

    public static Simd256<T> WithElement(Simd256<T> x, int index, T value) => new(x.Value.WithElement(index, value));
}

/// <summary>A <see cref="Vector512{T}"/> with the arithmetic operators as interface implementations, so the VectorMath
/// formulas can be generic over the width (the .NET reference assemblies do not expose <see cref="Vector512{T}"/>'s own
/// operator interfaces). Each operator is the vector's own, inlined.</summary>
internal readonly struct Simd512<T>(Vector512<T> value) :
    IAdditionOperators<Simd512<T>, Simd512<T>, Simd512<T>>, ISubtractionOperators<Simd512<T>, Simd512<T>, Simd512<T>>,
    IMultiplyOperators<Simd512<T>, Simd512<T>, Simd512<T>>, IDivisionOperators<Simd512<T>, Simd512<T>, Simd512<T>>,
    IBitwiseOperators<Simd512<T>, Simd512<T>, Simd512<T>>
    where T : struct
{
    public readonly Vector512<T> Value = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator +(Simd512<T> a, Simd512<T> b) => new(a.Value + b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator -(Simd512<T> a, Simd512<T> b) => new(a.Value - b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator *(Simd512<T> a, Simd512<T> b) => new(a.Value * b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator /(Simd512<T> a, Simd512<T> b) => new(a.Value / b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator &(Simd512<T> a, Simd512<T> b) => new(a.Value & b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator |(Simd512<T> a, Simd512<T> b) => new(a.Value | b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator ^(Simd512<T> a, Simd512<T> b) => new(a.Value ^ b.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator ~(Simd512<T> a) => new(~a.Value);
}

/// <summary><see cref="ILanes{TV, T}"/> over <see cref="Vector512{T}"/> of float or double.</summary>
internal readonly struct Lanes512<T> : ILanes<Simd512<T>, T> where T : struct
{
    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Bits(long pattern) =>
        new(typeof(T) == typeof(float) ? Vector512.Create((int)pattern).As<int, T>() : Vector512.Create(pattern).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Load(ref T source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd512<T> value, ref T destination, nuint index) => value.Value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Equal(Simd512<T> a, Simd512<T> b) => new(Vector512.Equals(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> LessThan(Simd512<T> a, Simd512<T> b) => new(Vector512.LessThan(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> LessThanOrEqual(Simd512<T> a, Simd512<T> b) => new(Vector512.LessThanOrEqual(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> GreaterThan(Simd512<T> a, Simd512<T> b) => new(Vector512.GreaterThan(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> GreaterThanOrEqual(Simd512<T> a, Simd512<T> b) => new(Vector512.GreaterThanOrEqual(a.Value, b.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Select(Simd512<T> mask, Simd512<T> ifTrue, Simd512<T> ifFalse) => new(Vector512.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Simd512<T> mask) => Vector512.EqualsAll(mask.Value.AsInt32(), Vector512<int>.AllBitsSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Simd512<T> mask) => mask.Value.AsInt32() != Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> AddInteger(Simd512<T> a, Simd512<T> b) =>
        new(typeof(T) == typeof(float) ? (a.Value.AsInt32() + b.Value.AsInt32()).As<int, T>() : (a.Value.AsInt64() + b.Value.AsInt64()).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> SubtractInteger(Simd512<T> a, Simd512<T> b) =>
        new(typeof(T) == typeof(float) ? (a.Value.AsInt32() - b.Value.AsInt32()).As<int, T>() : (a.Value.AsInt64() - b.Value.AsInt64()).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> ShiftLeft(Simd512<T> a, int count) =>
        new(typeof(T) == typeof(float) ? Vector512.ShiftLeft(a.Value.AsInt32(), count).As<int, T>() : Vector512.ShiftLeft(a.Value.AsInt64(), count).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> ShiftRightArithmetic(Simd512<T> a, int count) => new(Vector512.ShiftRightArithmetic(a.Value.AsInt32(), count).As<int, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> ShiftRightLogical(Simd512<T> a, int count) =>
        new(typeof(T) == typeof(float) ? Vector512.ShiftRightLogical(a.Value.AsInt32(), count).As<int, T>() : Vector512.ShiftRightLogical(a.Value.AsInt64(), count).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> ConvertInteger(Simd512<T> a) => new(Vector512.ConvertToSingle(a.Value.AsInt32()).As<float, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Sqrt(Simd512<T> x) => new(Vector512.Sqrt(x.Value));

    public static T GetElement(Simd512<T> x, int index) => x.Value.GetElement(index);

    public static Simd512<T> WithElement(Simd512<T> x, int index, T value) => new(x.Value.WithElement(index, value));
}
