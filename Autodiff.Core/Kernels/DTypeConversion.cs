using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>Span loops for the dtypes beyond float and double: conversion between any two of float, double, long and
/// bool, broadcasting, and comparisons into bool.</summary>
internal static class DTypeConversion
{
    /// <summary><c>destination = (TTo) source</c> with PyTorch's rules: floating-point to long truncates toward zero
    /// (saturating, NaN to 0), anything to bool is <c>≠ 0</c> (NaN is true), bool is 1/0.</summary>
    public static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination) where TFrom : struct where TTo : struct
    {
        if (typeof(TFrom) == typeof(float) && typeof(TTo) == typeof(double))
            TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<TFrom, float>(source), MemoryMarshal.Cast<TTo, double>(destination));
        else if (typeof(TFrom) == typeof(double) && typeof(TTo) == typeof(float))
            TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<TFrom, double>(source), MemoryMarshal.Cast<TTo, float>(destination));
        else if (typeof(TTo) == typeof(bool))
        {
            var d = MemoryMarshal.Cast<TTo, bool>(destination);
            for (int i = 0; i < d.Length; i++) d[i] = AsDouble(source[i]) != 0;                 // NaN != 0 too
        }
        else if (typeof(TTo) == typeof(long))
        {
            var d = MemoryMarshal.Cast<TTo, long>(destination);
            if (typeof(TFrom) == typeof(bool)) { var s = MemoryMarshal.Cast<TFrom, bool>(source); for (int i = 0; i < d.Length; i++) d[i] = s[i] ? 1 : 0; }
            else for (int i = 0; i < d.Length; i++) d[i] = long.CreateSaturating(AsDouble(source[i]));
        }
        else if (typeof(TTo) == typeof(float))
        {
            var d = MemoryMarshal.Cast<TTo, float>(destination);
            if (typeof(TFrom) == typeof(long)) { var s = MemoryMarshal.Cast<TFrom, long>(source); for (int i = 0; i < d.Length; i++) d[i] = s[i]; }
            else for (int i = 0; i < d.Length; i++) d[i] = (float)AsDouble(source[i]);
        }
        else
        {
            var d = MemoryMarshal.Cast<TTo, double>(destination);
            for (int i = 0; i < d.Length; i++) d[i] = AsDouble(source[i]);
        }
    }

    /// <summary>One element as double (bool as 1/0; long rounded to the nearest double beyond 2^53).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double AsDouble<T>(T value) where T : struct
    {
        if (typeof(T) == typeof(float)) return (float)(object)value;
        if (typeof(T) == typeof(double)) return (double)(object)value;
        if (typeof(T) == typeof(long)) return (long)(object)value;
        return (bool)(object)value ? 1 : 0;
    }

    /// <summary>Reads <paramref name="source"/> from <paramref name="offset"/> through <paramref name="strides"/> (0 for a
    /// broadcast dim) into the contiguous <paramref name="destination"/> of <paramref name="shape"/>: Layout.Gather for
    /// element types without arithmetic.</summary>
    public static void Strided<T>(ReadOnlySpan<T> source, int offset, ReadOnlySpan<int> strides, ReadOnlySpan<int> shape, Span<T> destination) where T : struct
    {
        int rank = shape.Length;
        Span<int> index = stackalloc int[rank];
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source[offset];
            for (int d = rank - 1; d >= 0; d--)                  // odometer: advance the last dim, carry into the ones before
            {
                offset += strides[d];
                if (++index[d] < shape[d]) break;
                offset -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary><c>destination[i] = cmp(a[i], b[i])</c>.</summary>
    public static void Compare<TCmp, T>(TCmp cmp, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> destination)
        where TCmp : struct, IComparison where T : struct, INumber<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = cmp.Invoke(a[i], b[i]);
    }

    /// <summary><c>destination[i] = cmp((double) a[i], value)</c>.</summary>
    public static void Compare<TCmp, T>(TCmp cmp, ReadOnlySpan<T> a, double value, Span<bool> destination)
        where TCmp : struct, IComparison where T : struct, INumber<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = cmp.Invoke(double.CreateTruncating(a[i]), value);
    }
}
