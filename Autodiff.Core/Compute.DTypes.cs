using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

/// <summary>A kernel call for any dtype, floating-point or not (copies, conversions, layout): <see cref="Compute.RunAny{TKernel}"/>
/// runs it with <c>float</c>, <c>double</c>, <c>long</c> or <c>bool</c>.</summary>
internal interface IAnyKernel
{
    void Run<T>() where T : struct;
}

/// <summary>A kernel call for the numeric dtypes (Float32, Float64, Int64): <see cref="Compute.RunNumber{TKernel}"/>.</summary>
internal interface INumberKernel
{
    void Run<T>() where T : struct, INumber<T>;
}

/// <summary>An element-wise comparison <c>x ? y</c>, evaluated in the element type both sides share.</summary>
internal interface IComparison
{
    bool Invoke<T>(T x, T y) where T : struct, INumber<T>;
}

// The dtypes beyond the floating-point ones: Int64 and Bool tensors hold plain long[] / bool[] arrays (not pooled: a
// disposed one is left to the GC), the float kernels' dispatch Run refuses them, and the few kernels that make sense for
// them (copy, convert, compare, logical, broadcast) dispatch here.
internal static partial class Compute
{
    /// <summary>True for Float32 and Float64.</summary>
    public static bool IsFloating(DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>A zeroed Int64 or Bool tensor (a plain, unpooled array).</summary>
    private static Tensor ZerosOf(Shape shape, DType dtype) => dtype switch
    {
        DType.Int64 => new Tensor(shape, new long[shape.Numel]),
        DType.Bool => new Tensor(shape, new bool[shape.Numel]),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), $"Compute: unknown dtype {dtype}."),
    };

    /// <summary>Fills an Int64 tensor with <paramref name="value"/> truncated toward zero, a Bool one with <c>value ≠ 0</c>.</summary>
    private static void FillOther(Tensor t, double value)
    {
        if (t.DType == DType.Int64) t.I64.Fill(long.CreateSaturating(value));
        else t.B8.Fill(value != 0);
    }

    /// <summary>The loud failure of <see cref="Run{TKernel}"/> for a dtype that has no floating-point kernels. Ops check
    /// their inputs first (<see cref="Check.Floating"/>, called by <see cref="Check.NotNull"/> and
    /// <see cref="Check.Broadcast"/>) and so name themselves; this is the backstop for a path that did not.</summary>
    private static void NotFloating(DType dtype) =>
        throw new NotSupportedException($"Compute: a floating-point kernel was asked to run on a {dtype} tensor; only Float32 and " +
            $"Float64 tensors have them. Convert with To(DType.Float32) first.");

    /// <summary>Runs <paramref name="kernel"/> with the element type of any dtype.</summary>
    public static void RunAny<TKernel>(DType dtype, TKernel kernel) where TKernel : struct, IAnyKernel
    {
        switch (dtype)
        {
            case DType.Float32: kernel.Run<float>(); break;
            case DType.Float64: kernel.Run<double>(); break;
            case DType.Int64: kernel.Run<long>(); break;
            default: kernel.Run<bool>(); break;
        }
    }

    /// <summary>Runs <paramref name="kernel"/> with the element type of a numeric dtype (Float32, Float64, Int64).</summary>
    /// <exception cref="NotSupportedException">The dtype is Bool.</exception>
    public static void RunNumber<TKernel>(DType dtype, TKernel kernel) where TKernel : struct, INumberKernel
    {
        switch (dtype)
        {
            case DType.Float32: kernel.Run<float>(); break;
            case DType.Float64: kernel.Run<double>(); break;
            case DType.Int64: kernel.Run<long>(); break;
            default: throw new NotSupportedException("Compute: a numeric kernel was asked to run on a Bool tensor; convert it with To(DType.Int64) first.");
        }
    }

    // ---- conversion ---------------------------------------------------------------------------------------------

    /// <summary>Writes <paramref name="source"/>'s values into <paramref name="destination"/> (same shape) in its dtype:
    /// between floating-point types by rounding, to Int64 truncated toward zero (saturating; NaN becomes 0), to Bool as
    /// <c>value ≠ 0</c> (NaN is true), from Bool as 1/0. Same rules as PyTorch's <c>tensor.to(dtype)</c>.</summary>
    public static void Convert(Tensor source, Tensor destination)
    {
        if (source.DType == destination.DType) Copy(source, destination);
        else RunAny(source.DType, new ConvertFrom(source, destination));
    }

    private readonly struct ConvertFrom(Tensor x, Tensor y) : IAnyKernel
    {
        public void Run<TFrom>() where TFrom : struct => RunAny(y.DType, new ConvertInto<TFrom>(x, y));
    }

    private readonly struct ConvertInto<TFrom>(Tensor x, Tensor y) : IAnyKernel where TFrom : struct
    {
        public void Run<TTo>() where TTo : struct => DTypeConversion.Convert<TFrom, TTo>(x.Data<TFrom>(), y.Data<TTo>());
    }

    // ---- broadcasting any dtype -----------------------------------------------------------------------------------

    /// <summary>Materializes <paramref name="x"/> broadcast to <paramref name="shape"/>, for any dtype (see <see cref="Expand"/>,
    /// which <see cref="Gather"/> makes work for any dtype too).</summary>
    public static Tensor ExpandAny(Tensor x, Shape shape) => Expand(x, shape);

    /// <summary>The strided read of <see cref="Gather"/> for Int64 and Bool tensors (views: transpose, slice, expand).</summary>
    private readonly struct StridedAnyKernel(Tensor source, Tensor y, int offset, int[] strides) : IAnyKernel
    {
        public void Run<T>() where T : struct =>
            DTypeConversion.Strided<T>(source.Data<T>(), offset, strides, y.Shape.ToArray(), y.Data<T>());
    }

    /// <summary>A mask of <paramref name="dtype"/> (1 where set, 0 elsewhere) from a Bool mask, or the mask itself when
    /// it already has that dtype: lets the float kernels of Where and MaskedFill take PyTorch's bool masks.</summary>
    public static Tensor AsMask(Tensor mask, DType dtype)
    {
        if (mask.DType == dtype || mask.DType != DType.Bool) return mask;
        var converted = Empty(mask.Shape, dtype);
        Convert(mask, converted);
        return converted;
    }

    // ---- comparison and logic -------------------------------------------------------------------------------------

    /// <summary>The dtype two operands of different dtypes are compared in: PyTorch's promotion, Bool &lt; Int64 &lt;
    /// Float32 &lt; Float64.</summary>
    public static DType Promote(DType a, DType b) => Math.Max(Rank(a), Rank(b)) switch { 0 => DType.Bool, 1 => DType.Int64, 2 => DType.Float32, _ => DType.Float64 };

    private static int Rank(DType d) => d switch { DType.Bool => 0, DType.Int64 => 1, DType.Float32 => 2, _ => 3 };

    /// <summary><paramref name="x"/> in <paramref name="dtype"/>: itself when it has it, else a converted copy.</summary>
    public static Tensor ConvertTo(Tensor x, DType dtype)
    {
        if (x.DType == dtype) return x;
        var y = Empty(x.Shape, dtype);
        Convert(x, y);
        return y;
    }

    /// <summary><c>y = a ? b</c> element-wise into a Bool tensor, with broadcasting and dtype promotion (Bool operands compared as 1/0).</summary>
    public static Tensor Compare<TCmp>(string op, Tensor a, Tensor b, TCmp cmp = default) where TCmp : struct, IComparison
    {
        Check.NotNullAnyDType(op, a, "input");
        Check.NotNullAnyDType(op, b, "other");
        var shape = Shape.TryBroadcast(a.Shape, b.Shape)
            ?? throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} cannot be broadcast together.");
        var common = Promote(a.DType, b.DType);
        if (common == DType.Bool) common = DType.Int64;
        var x = ExpandAny(ConvertTo(a, common), shape);
        var z = ExpandAny(ConvertTo(b, common), shape);
        var y = Empty(shape, DType.Bool);
        RunNumber(common, new CompareKernel<TCmp>(cmp, x, z, y));
        return y;
    }

    /// <summary><c>y = a ? value</c> element-wise into a Bool tensor, each element compared as a double (Bool as 1/0).</summary>
    public static Tensor Compare<TCmp>(string op, Tensor a, double value, TCmp cmp = default) where TCmp : struct, IComparison
    {
        Check.NotNullAnyDType(op, a, "input");
        Check.NotNaN(op, value, "other");
        var x = ConvertTo(a, a.DType == DType.Bool ? DType.Int64 : a.DType);
        var y = Empty(a.Shape, DType.Bool);
        RunNumber(x.DType, new CompareScalarKernel<TCmp>(cmp, x, value, y));
        return y;
    }

    private readonly struct CompareKernel<TCmp>(TCmp cmp, Tensor a, Tensor b, Tensor y) : INumberKernel where TCmp : struct, IComparison
    {
        public void Run<T>() where T : struct, INumber<T> => DTypeConversion.Compare(cmp, a.Data<T>(), b.Data<T>(), y.B8);
    }

    private readonly struct CompareScalarKernel<TCmp>(TCmp cmp, Tensor a, double value, Tensor y) : INumberKernel where TCmp : struct, IComparison
    {
        public void Run<T>() where T : struct, INumber<T> => DTypeConversion.Compare(cmp, a.Data<T>(), value, y.B8);
    }

    /// <summary><c>y = a ∧ b</c> (<paramref name="and"/>) or <c>a ∨ b</c> element-wise into a Bool tensor, with
    /// broadcasting; any dtype, non-zero counting as true.</summary>
    public static Tensor Logical(string op, Tensor a, Tensor b, bool and)
    {
        Check.NotNullAnyDType(op, a, "input");
        Check.NotNullAnyDType(op, b, "other");
        var shape = Shape.TryBroadcast(a.Shape, b.Shape)
            ?? throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} cannot be broadcast together.");
        var x = ExpandAny(ConvertTo(a, DType.Bool), shape).B8;
        var z = ExpandAny(ConvertTo(b, DType.Bool), shape).B8;
        var y = Empty(shape, DType.Bool);
        var d = y.B8;
        if (and) for (int i = 0; i < d.Length; i++) d[i] = x[i] & z[i];
        else for (int i = 0; i < d.Length; i++) d[i] = x[i] | z[i];
        return y;
    }

    /// <summary><c>y = ¬x</c> element-wise into a Bool tensor; any dtype, non-zero counting as true.</summary>
    public static Tensor LogicalNot(string op, Tensor x)
    {
        Check.NotNullAnyDType(op, x, "input");
        var b = ConvertTo(x, DType.Bool).B8;
        var y = Empty(x.Shape, DType.Bool);
        var d = y.B8;
        for (int i = 0; i < d.Length; i++) d[i] = !b[i];
        return y;
    }
}
