using System.Diagnostics.CodeAnalysis;

namespace Autodiff;

/// <summary>Argument checks for ops and modules, and the one place where their exception messages are written.</summary>
/// <remarks>Every message starts with the op or module name and quotes the shapes and values involved, e.g.
/// <c>MatMul: shapes [3, 4] and [5, 2] are not compatible (inner dims 4 != 5).</c> Shapes and values are checked
/// before any buffer is touched, so a kernel never indexes out of range.</remarks>
public static class Check
{
    /// <summary>Throws an <see cref="ArgumentException"/> whose message is <c>"{op}: {message}"</c>.</summary>
    /// <exception cref="ArgumentException">Always.</exception>
    [DoesNotReturn]
    public static void Fail(string op, string message, string? paramName = null) =>
        throw new ArgumentException($"{op}: {message}", paramName);

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> (a dim or an index) whose message starts with the op.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Always.</exception>
    [DoesNotReturn]
    public static void FailRange(string op, string message, string? paramName = null) =>
        throw new ArgumentOutOfRangeException(paramName, $"{op}: {message}");

    /// <summary>Throws an <see cref="InvalidOperationException"/> (bad state, not a bad argument) whose message starts with the op.</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    [DoesNotReturn]
    public static void FailState(string op, string message) =>
        throw new InvalidOperationException($"{op}: {message}");

    /// <summary>Checks that a tensor argument is not null and is floating-point (<see cref="Floating"/>): the first check of
    /// every op that computes with its input's values.</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">The tensor is <see cref="DType.Int64"/> or <see cref="DType.Bool"/>.</exception>
    public static void NotNull(string op, [NotNull] Tensor? t, string paramName)
    {
        if (t is null) throw new ArgumentNullException(paramName, $"{op}: {paramName} must not be null.");
        Floating(op, t, paramName);
    }

    /// <summary>Checks that a tensor argument is not null, whatever its dtype: for ops that take Int64 and Bool tensors
    /// too (comparisons, conversions, masks, views).</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public static void NotNullAnyDType(string op, [NotNull] Tensor? t, string paramName)
    {
        if (t is null) throw new ArgumentNullException(paramName, $"{op}: {paramName} must not be null.");
    }

    /// <summary>Class indices held in an Int64 tensor (PyTorch's LongTensor of targets), as the <c>int[]</c> the losses take.</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">It is not Int64 (float targets are class probabilities in PyTorch, which
    /// this library does not take), not 1-D, or holds a value outside the int range.</exception>
    public static int[] ClassIndices(string op, [NotNull] Tensor? targets, string paramName)
    {
        NotNullAnyDType(op, targets, paramName);
        if (targets.DType != DType.Int64)
            Fail(op, $"{paramName} {targets.Label} is {targets.DType}; class indices are Int64 (convert with To(DType.Int64)).", paramName);
        if (targets.Rank != 1) Fail(op, $"{paramName} {targets.Label} must be 1-D: one class index per row.", paramName);
        var values = targets.ToInt64Array();
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < int.MinValue || values[i] > int.MaxValue)
                Fail(op, $"{paramName} holds {values[i]} at position {i}, outside the range of a class index.", paramName);
            indices[i] = (int)values[i];
        }
        return indices;
    }

    /// <summary>Checks that a tensor is Float32 or Float64: the floating-point ops refuse Int64 and Bool tensors with a
    /// message naming the op and the dtype, rather than compute a wrong answer. Same as PyTorch's refusal of, e.g.,
    /// <c>torch.exp</c> on a bool tensor.</summary>
    /// <exception cref="ArgumentException">The tensor is <see cref="DType.Int64"/> or <see cref="DType.Bool"/>.</exception>
    public static void Floating(string op, Tensor t, string? paramName = null)
    {
        if (!t.IsFloatingPoint)
            Fail(op, $"{(paramName is null ? t.Label : $"{paramName} ({t.Label})")} is {t.DType}, but {op} needs a floating-point tensor " +
                $"(Float32 or Float64); convert it with To(DType.Float32).", paramName);
    }

    /// <summary>Checks that a tensor argument is not null and is numeric (Float32, Float64 or Int64): for ops that order or
    /// add values and so take integer tensors too (Max, Min, Argmax, TopK, Sort), but not Bool ones.</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">The tensor is <see cref="DType.Bool"/>.</exception>
    public static void Numeric(string op, [NotNull] Tensor? t, string paramName)
    {
        NotNullAnyDType(op, t, paramName);
        if (t.DType == DType.Bool)
            Fail(op, $"{paramName} ({t.Label}) is Bool, but {op} needs a numeric tensor (Float32, Float64 or Int64); convert it " +
                "with To(DType.Int64).", paramName);
    }

    /// <summary>Checks that a non-tensor argument (a shape, an index or target array, a list) is not null.</summary>
    /// <exception cref="ArgumentNullException">The argument is null.</exception>
    public static void NotNullArg(string op, [NotNull] object? value, string paramName)
    {
        if (value is null) throw new ArgumentNullException(paramName, $"{op}: {paramName} must not be null.");
    }

    /// <summary>Checks a shape argument of a factory or op (not null, no negative dims, not too many elements) and returns it.</summary>
    /// <exception cref="ArgumentNullException">The shape is null.</exception>
    /// <exception cref="ArgumentException">A dimension is negative, or the element count overflows.</exception>
    public static Shape ShapeArg(string op, [NotNull] int[]? dims, string paramName = "shape")
    {
        NotNullArg(op, dims, paramName);
        Shape.CountElements(op, dims, paramName);
        return new Shape(dims);
    }

    /// <summary>Checks that two tensors have the same element type.</summary>
    /// <exception cref="ArgumentException">The dtypes differ.</exception>
    /// <remarks>Both must be floating-point (<see cref="Floating"/>): ops that take tensors of one dtype compute with them.</remarks>
    public static void SameDType(string op, Tensor a, Tensor b)
    {
        Floating(op, a);
        Floating(op, b);
        if (a.DType != b.DType)
            Fail(op, $"dtypes {a.DType} {a.Shape} and {b.DType} {b.Shape} must match; convert one with To(DType).");
    }

    /// <summary>Checks that two tensors have the same shape and dtype.</summary>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static void SameShape(string op, Tensor a, Tensor b)
    {
        SameDType(op, a, b);
        if (a.Shape != b.Shape) Fail(op, $"shapes {a.Shape} and {b.Shape} must match.");
    }

    /// <summary>Returns the NumPy broadcast of two tensors' shapes after checking that their dtypes match.</summary>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Shape Broadcast(string op, [NotNull] Tensor? a, [NotNull] Tensor? b)
    {
        NotNull(op, a, nameof(a));
        NotNull(op, b, nameof(b));
        SameDType(op, a, b);
        return Shape.TryBroadcast(a.Shape, b.Shape)
            ?? throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} cannot be broadcast together.");
    }

    /// <summary>Normalizes a possibly negative dim (<c>-1</c> is the last) and checks it is in range for <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is outside <c>[-rank, rank)</c>.</exception>
    public static int Dim(string op, int dim, Shape shape) => Dim(op, dim, shape, shape.Rank);

    /// <summary>Normalizes a dim against a rank that may differ from the shape's (e.g. Unsqueeze allows rank + 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is outside <c>[-rank, rank)</c>.</exception>
    public static int Dim(string op, int dim, Shape shape, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank || rank == 0)
            FailRange(op, $"dim {dim} is out of range for shape {shape} (rank {shape.Rank}).", nameof(dim));
        return d;
    }

    /// <summary>Checks a position in a container of <paramref name="count"/> <paramref name="items"/> (e.g. "modules"):
    /// <c>[0, count)</c>, or <c>[0, count]</c> for an insertion.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside that range.</exception>
    public static int Index(string op, int index, int count, string items, bool insert = false)
    {
        if (index < 0 || index > count || (index == count && !insert))
            FailRange(op, insert
                ? $"insert index {index} is outside [0, {count}] ({count} {items})."
                : $"index {index} is out of range for {count} {items}{(index < 0 ? $" (PyTorch's [{index}] is [^{-index}] in C#)" : "")}.", nameof(index));
        return index;
    }

    /// <summary>Checks that a tensor holds exactly one element.</summary>
    /// <exception cref="ArgumentException">The tensor has more or fewer elements.</exception>
    public static void OneElement(string op, Tensor t)
    {
        if (t.Numel != 1) Fail(op, $"expects a tensor with one element, got shape {t.Shape} ({t.Numel} elements).");
    }

    /// <summary>Checks that a tensor has the given rank.</summary>
    /// <exception cref="ArgumentException">The rank differs.</exception>
    public static void Rank(string op, Tensor t, int rank, string what)
    {
        if (t.Rank != rank) Fail(op, $"{what} must have rank {rank}, got shape {t.Shape}.");
    }

    /// <summary>Checks class scores [N, C] against one class index per row (the targets of CrossEntropy and NllLoss) and
    /// returns (N, C). Scores of another rank fail with the reshape that fixes the usual case, a sequence [B, T, V].</summary>
    /// <remarks>PyTorch also takes [N, C, d1, ...] with the classes in dim 1 and targets [N, d1, ...]; with flat
    /// <c>int[]</c> targets that form cannot be told apart from [B, T, V] with classes last when C equals the last dim,
    /// so only 2-D scores are accepted.</remarks>
    /// <exception cref="ArgumentException">The scores are not 2-D, or the target count is not N.</exception>
    public static (int N, int C) ClassScores(string op, Tensor scores, int[] targets, string what, string paramName)
    {
        if (scores.Rank != 2)
        {
            long rows = 1;                                                   // B*T: every dim but the last
            for (int d = 0; d < scores.Rank - 1; d++) rows *= scores.Shape[d];
            string fix = scores.Rank < 2
                ? "for one sample, use shape [1, C]."
                : $"if the classes are the last dim ([B, T, V]), reshape {what} to [B*T, V] = [{rows}, {scores.Shape[scores.Rank - 1]}] " +
                  $"({what}.Reshape(-1, {scores.Shape[scores.Rank - 1]})) and targets to B*T = {rows} entries; " +
                  "PyTorch's [N, C, d1, ...] layout (classes in dim 1) is not accepted: move the classes to the last dim first.";
            Fail(op, $"{what} must have rank 2 ([N, C]), got {scores.Shape} with {targets.Length} target{(targets.Length == 1 ? "" : "s")}; {fix}", paramName);
        }
        int n = scores.Shape[0], c = scores.Shape[1];
        if (targets.Length != n)
            Fail(op, $"{what} {scores.Shape} has {n} rows but targets has {targets.Length} entries.", nameof(targets));
        return (n, c);
    }

    /// <summary>Checks that a scalar argument is a finite number or, where allowed, positive infinity.</summary>
    /// <exception cref="ArgumentException">The value is NaN.</exception>
    public static void NotNaN(string op, double value, string paramName)
    {
        if (double.IsNaN(value)) Fail(op, $"{paramName} must not be NaN.", paramName);
    }

    /// <summary>Throws because <paramref name="t"/> does not require grad, saying why when it is known: a NoGrad scope
    /// computed it (or what it was computed from) from tensors that require grad, or it is (computed from) a gradient a
    /// <c>createGraph</c> pass produced without recording it.</summary>
    /// <exception cref="ArgumentException">Always.</exception>
    [DoesNotReturn]
    internal static void NotRequiringGrad(string op, Tensor t, string? what = null, string? paramName = null)
    {
        string subject = what is null ? t.Label : $"{what} ({t.Label})";
        const string fix = "so nothing was recorded; compute the loss outside `using (Tape.NoGrad())`.";
        if (t.UnrecordedOp is { } by)
            Fail(op, t.UnrecordedDirectly
                ? $"{subject} was computed by {by} inside a NoGrad scope, {fix}"
                : $"{subject} does not require grad: it was computed from a result of {by} inside a NoGrad scope, {fix}", paramName);
        if (t.ConstantGradientFrom is { } from)
            Fail(op, $"{subject} does not require grad: it is, or is computed from, a gradient computed with createGraph that depends " +
                $"on no recorded op (the backward of {from} returned it unrecorded): some op or Function on the path has a Backward " +
                "that is not differentiable (override Function.OnceDifferentiable to make this fail at the op), or the gradient " +
                "is constant.", paramName);
        Fail(op, $"{subject} does not require grad and no recorded op produced it; set RequiresGrad on the leaves first.", paramName);
    }

    /// <summary>Checks what a custom <see cref="Function"/>'s Backward returned: one gradient (or null) per input, each of
    /// its input's dtype and of its input's shape or a shape the input broadcasts to (the engine sums it back).</summary>
    /// <exception cref="InvalidOperationException">The array is null, its length differs from the inputs', or a gradient's
    /// dtype or shape does not fit its input.</exception>
    internal static void FunctionGradients(string function, [NotNull] Tensor?[]? grads, Tensor[] inputs)
    {
        if (grads is null)
            FailState(function, $"Backward returned null; return an array with one gradient (or null) per input, {inputs.Length} in all.");
        if (grads.Length != inputs.Length)
            FailState(function, $"Backward returned {grads.Length} gradient(s) for {inputs.Length} input(s) " +
                $"({string.Join(", ", inputs.Select(x => x.Label))}); return one per input, null for an input that gets none.");
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } g) continue;
            if (g.DType != inputs[i].DType)
                FailState(function, $"Backward's gradient {i} is {g.DType} {g.Shape}, but input {i} ({inputs[i].Label}) is {inputs[i].DType}; " +
                    "return gradients of each input's dtype.");
            if (g.Shape != inputs[i].Shape && Shape.TryBroadcast(inputs[i].Shape, g.Shape) != g.Shape)
                FailState(function, $"Backward's gradient {i} has shape {g.Shape}, but input {i} is {inputs[i].Label}; " +
                    $"return a gradient of shape {inputs[i].Shape} (or of a shape it broadcasts to).");
        }
    }

    /// <summary>Checks that a tensor list is not empty and that its tensors share a dtype.</summary>
    /// <exception cref="ArgumentException">The list is empty, holds a null, or mixes dtypes.</exception>
    public static void NonEmptyList(string op, IReadOnlyList<Tensor> tensors, string paramName)
    {
        NotNullArg(op, tensors, paramName);
        if (tensors.Count == 0) Fail(op, $"{paramName} must hold at least one tensor.", paramName);
        for (int i = 0; i < tensors.Count; i++)
        {
            NotNull(op, tensors[i], $"{paramName}[{i}]");
            SameDType(op, tensors[0], tensors[i]);
        }
    }
}
