namespace Autodiff;

/// <summary>A custom differentiable op: you write its forward and its backward, the engine records it on the tape like
/// a built-in op. Same as <c>torch.autograd.Function</c>.</summary>
/// <remarks>
/// <para><b>Forward</b> runs unrecorded (as in PyTorch): use any ops, kernels or span writes, and save with
/// <see cref="FunctionContext.SaveForBackward"/> what the backward will read. <b>Backward</b> receives the gradient of the
/// output and <em>returns</em> one gradient per input (null for an input that gets none); the engine adds each into
/// its input through the same path as the built-in ops, so the function works with <c>Backward()</c>,
/// <see cref="Autograd.Grad"/> (no <c>.Grad</c> is written), broadcasting (a gradient of the broadcast shape is summed
/// back to the input's shape), <c>Backward(createGraph: true)</c> and <see cref="GradCheck"/>.</para>
/// <para><b>Second order.</b> In a plain Backward your Backward runs unrecorded; under <c>createGraph</c> it runs
/// recorded, so when it is written with ops its result can be differentiated again. A Backward that writes spans or
/// calls kernels must override <see cref="OnceDifferentiable"/> to return true, so that a gradient of its gradient
/// fails loudly rather than coming out as zero.</para>
/// <para><b>Checks.</b> Backward must return as many gradients as there were inputs, each of its input's dtype and of
/// its input's shape (or a shape the input broadcasts to); otherwise Backward throws naming the function and the
/// shapes. A tensor saved for backward (or an input) that is modified in place before Backward fails as it does for
/// the built-in ops (the version counter).</para>
/// <para><b>Instances.</b> Per-call state lives in the <see cref="FunctionContext"/>, never in the function object, so
/// one instance can be applied many times and from several graphs. Non-tensor arguments (a slope, a dim) are
/// constructor parameters held in readonly fields, where PyTorch passes them as extra arguments to <c>apply</c>. A tensor
/// field that is not readonly or is static, a field holding several tensors (an array, list or tuple of them, even
/// readonly), or an <c>object</c> field that is not readonly makes <see cref="Apply"/> throw: per-call tensors kept
/// there would be overwritten by the next call before the first call's Backward (PyTorch's static forward/backward
/// rule this out). Not seen: a tensor reached through another object, or a captured constructor parameter reassigned.</para>
/// <para>Differences from PyTorch: one output tensor (not a tuple); no <c>mark_dirty</c> (do not modify inputs in
/// Forward); the function's name on the tape is its type name (override <see cref="Name"/>).</para>
/// </remarks>
/// <example><code>
/// // y = x·σ(x); dy/dx = σ(x)·(1 + x·(1 − σ(x)))
/// public sealed class SiLU : Function
/// {
///     protected override Tensor Forward(FunctionContext ctx, IReadOnlyList&lt;Tensor&gt; inputs)
///     {
///         var x = inputs[0];
///         ctx.SaveForBackward(x);
///         return x * Ops.Sigmoid(x);
///     }
///
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
///     {
///         var x = ctx.SavedTensors[0];
///         var s = Ops.Sigmoid(x);
///         return [gradOutput * s * (1 + x * (1 - s))];
///     }
/// }
///
/// var y = new SiLU().Apply(x);
/// </code></example>
[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(
    System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicFields | System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract class Function
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string?> s_mutableTensorField = new();

    /// <summary>The first field of this function's type where a call could leave its tensors: a tensor field that is
    /// not readonly (a captured primary-constructor parameter is set once and allowed), a static tensor field, a field
    /// holding several tensors (an array or list of tensors, a tuple with a tensor), readonly or not, since its contents
    /// can change per call, and an <c>object</c> field that is not readonly. Per-call state kept there is overwritten by
    /// the next Apply before the first call's Backward.</summary>
    private string? MutableTensorField() =>
        s_mutableTensorField.TryGetValue(GetType(), out var name) ? name : s_mutableTensorField.GetOrAdd(GetType(), FindMutableTensorField(GetType()));

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification =
        "Function's [DynamicallyAccessedMembers(PublicFields | NonPublicFields)] applies to every type derived from Function, " +
        "so each base type walked here (all derive from Function) keeps its fields.")]
    private static string? FindMutableTensorField([System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(
        System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicFields | System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.NonPublicFields)] Type type)
    {
        const System.Reflection.BindingFlags fields = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static |
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly;
        for (Type? t = type; t is not null && t != typeof(Function); t = t.BaseType)
            foreach (var field in t.GetFields(fields))
            {
                var fieldType = field.FieldType;
                bool keeps = fieldType == typeof(Tensor)
                    ? field.IsStatic || (!field.IsInitOnly && !field.Name.EndsWith(">P", StringComparison.Ordinal))
                    : fieldType == typeof(object) ? !field.IsInitOnly && !field.IsLiteral : HoldsTensors(fieldType);
                if (keeps) return field.Name.StartsWith('<') ? field.Name[1..field.Name.IndexOf('>', StringComparison.Ordinal)] : field.Name;
            }
        return null;
    }

    /// <summary>An array, collection or tuple type whose elements are tensors (<c>Tensor[]</c>, <c>List&lt;Tensor?&gt;</c>,
    /// <c>(Tensor, int)</c>).</summary>
    private static bool HoldsTensors(Type type) =>
        type.IsArray ? type.GetElementType() == typeof(Tensor)
        : type.IsGenericType && (typeof(System.Collections.IEnumerable).IsAssignableFrom(type) || typeof(System.Runtime.CompilerServices.ITuple).IsAssignableFrom(type))
            && type.GetGenericArguments().Any(a => a == typeof(Tensor) || (a.IsGenericType && HoldsTensors(a)));

    /// <summary>The name printed on the tape and in error messages; the type's name unless overridden.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>True when <see cref="Backward"/> is not written with ops (span writes, kernels, copies through arrays), so
    /// it cannot be differentiated again: <c>Backward(createGraph: true)</c> through this function then throws instead of
    /// silently giving wrong second derivatives. False by default. Same as PyTorch's <c>@once_differentiable</c>.</summary>
    protected virtual bool OnceDifferentiable => false;

    /// <summary>What the tape prints as the local derivative; override to show your formula (e.g. <c>dx += g·σ(x)(1 + x(1 − σ(x)))</c>).</summary>
    public virtual string Formula => "dx = Backward(ctx, g)";

    /// <summary>Runs <see cref="Forward"/> on <paramref name="inputs"/> and, when recording and some input requires grad,
    /// records it so that a Backward reaching the result calls <see cref="Backward"/>. Same as <c>Function.apply</c>.</summary>
    /// <param name="inputs">The tensors the function reads; gradients flow back to those that require grad.</param>
    /// <returns>The output of <see cref="Forward"/>, requiring grad when the call was recorded.</returns>
    /// <exception cref="ArgumentNullException">The input array or one of the inputs is null.</exception>
    /// <exception cref="InvalidOperationException">Forward returned null, or marked as non-differentiable a tensor it did not
    /// return; or the function's type has a field that could keep a call's tensors (see the remarks).</exception>
    public Tensor Apply(params Tensor[] inputs)
    {
        Check.NotNullArg(Name, inputs, nameof(inputs));
        if (MutableTensorField() is { } field)
            Check.FailState(Name, $"field '{field}' can take a call's tensors, but one {Name} may be applied many times before any " +
                "Backward runs, so each call's tensors belong in its FunctionContext (ctx.SaveForBackward, ctx.Items). A constant " +
                "tensor set in the constructor belongs in a readonly Tensor field.");
        inputs = (Tensor[])inputs.Clone();                   // the caller may reuse its array; the tape keeps this one
        for (int i = 0; i < inputs.Length; i++) Check.NotNullAnyDType(Name, inputs[i], $"inputs[{i}]");

        bool recording = Tape.IsRecording;
        var needsInputGrad = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) needsInputGrad[i] = recording && inputs[i].RequiresGrad;
        var ctx = new FunctionContext(needsInputGrad);

        Tensor? output;
        using (Tape.NoGrad()) output = Forward(ctx, inputs);
        if (output is null) Check.FailState(Name, "Forward returned null; return the output tensor.");
        ctx.EndForward(Name, output);
        // A tensor that existed before (an input, or a captured tensor that requires grad) must not become this call's
        // result on the tape: that would turn someone's leaf into a non-leaf. Record a view of it instead.
        if (output.RequiresGrad || Array.IndexOf(inputs, output) >= 0) output = output.Detach();
        output.UnrecordedOp = null;                         // Forward ran unrecorded on purpose; Record re-marks it under a NoGrad of yours
        if (ctx.OutputIsNonDifferentiable)
        {
            foreach (var input in inputs) if (input.RequiresGrad) input.LastNonDifferentiableUse = Name;
            return output;
        }

        return Tape.Record(Name, output, inputs, Formula, g => RunBackward(ctx, inputs, g));
    }

    /// <summary>Computes the output from the inputs; runs with recording off. Save what <see cref="Backward"/> needs
    /// with <see cref="FunctionContext.SaveForBackward"/>. Same as PyTorch's <c>forward(ctx, *inputs)</c>.</summary>
    /// <param name="ctx">This call's context: saved tensors, <see cref="FunctionContext.NeedsInputGrad"/>, other state.</param>
    /// <param name="inputs">The tensors passed to <see cref="Apply"/>, in order.</param>
    /// <returns>The output; a new tensor (returning an input gives a view of it).</returns>
    protected abstract Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs);

    /// <summary>Computes the gradient of each input from the gradient of the output. Same as PyTorch's
    /// <c>backward(ctx, grad_output)</c>.</summary>
    /// <param name="ctx">The context <see cref="Forward"/> filled.</param>
    /// <param name="gradOutput">∂loss/∂output, of the output's shape. Do not modify it or keep it.</param>
    /// <returns>One entry per input, in order: ∂loss/∂input of the input's shape (or a shape it broadcasts to), or null
    /// for an input that gets no gradient (skip work for inputs where <see cref="FunctionContext.NeedsInputGrad"/> is false).
    /// A tensor made afresh here belongs to the engine once returned (it may add into it in place and recycle it): do not
    /// keep it in <see cref="FunctionContext.Items"/> or elsewhere.</returns>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput);

    /// <summary>Calls the user's Backward (recorded under createGraph, unrecorded otherwise) and checks what it returned.</summary>
    private Tensor?[] RunBackward(FunctionContext ctx, Tensor[] inputs, Tensor gradOutput)
    {
        ctx.CheckSavedVersions(Name);
        if (OnceDifferentiable && Tape.IsRecording)
            throw new NotSupportedException($"{Name}: its backward is not differentiable yet, so Backward(createGraph: true) cannot record it; " +
                $"gradients of gradients through {Name} are not implemented.");
        var grads = Backward(ctx, gradOutput);
        Check.FunctionGradients(Name, grads, inputs);
        return grads;
    }
}

/// <summary>The state of one <see cref="Function.Apply"/> call, shared by its Forward and Backward. Same as the
/// <c>ctx</c> of a PyTorch <c>autograd.Function</c>.</summary>
public sealed class FunctionContext
{
    private Tensor[] _saved = [];
    private int[] _savedVersions = [];
    private bool _inForward = true;
    private Tensor? _nonDifferentiable;
    private Dictionary<string, object?>? _items;

    internal FunctionContext(bool[] needsInputGrad) => NeedsInputGrad = needsInputGrad;

    /// <summary>For each input, whether a gradient for it is wanted (it requires grad and the call is recorded); Backward
    /// may return null for the others. Same as <c>ctx.needs_input_grad</c>.</summary>
    public IReadOnlyList<bool> NeedsInputGrad { get; }

    /// <summary>The tensors saved by <see cref="SaveForBackward"/>, in order. Same as <c>ctx.saved_tensors</c>.</summary>
    public IReadOnlyList<Tensor> SavedTensors => _saved;

    /// <summary>Non-tensor values Forward leaves for Backward (a shape, a dim, a scalar), as PyTorch's <c>ctx.name = value</c>.
    /// Save tensors with <see cref="SaveForBackward"/> instead, so in-place changes to them are caught.</summary>
    public IDictionary<string, object?> Items => _items ??= [];

    /// <summary>Keeps tensors for Backward (inputs, the output, or intermediate results); call it in Forward. Backward
    /// fails if one of them is modified in place in between. Same as <c>ctx.save_for_backward</c>.</summary>
    /// <param name="tensors">The tensors to keep; replaces any saved before.</param>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside Forward.</exception>
    public void SaveForBackward(params Tensor[] tensors)
    {
        Check.NotNullArg("SaveForBackward", tensors, nameof(tensors));
        if (!_inForward) Check.FailState("SaveForBackward", "call it inside Forward; Backward reads the tensors through SavedTensors.");
        for (int i = 0; i < tensors.Length; i++) Check.NotNullAnyDType("SaveForBackward", tensors[i], $"tensors[{i}]");
        _saved = (Tensor[])tensors.Clone();
    }

    /// <summary>Declares the output not differentiable (an index, a mask): the call is not recorded and the output does
    /// not require grad. Call it in Forward with the tensor Forward returns. Same as <c>ctx.mark_non_differentiable</c>.</summary>
    /// <param name="output">The tensor Forward returns.</param>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside Forward.</exception>
    public void MarkNonDifferentiable(Tensor output)
    {
        Check.NotNullAnyDType("MarkNonDifferentiable", output, nameof(output));
        if (!_inForward) Check.FailState("MarkNonDifferentiable", "call it inside Forward, with the tensor Forward returns.");
        _nonDifferentiable = output;
    }

    internal bool OutputIsNonDifferentiable { get; private set; }

    /// <summary>Closes Forward: checks the non-differentiable mark and takes the saved tensors' versions (as PyTorch packs
    /// saved tensors once forward has returned, so writes Forward itself made to them are allowed).</summary>
    internal void EndForward(string function, Tensor output)
    {
        _inForward = false;
        if (_nonDifferentiable is not null)
        {
            if (!ReferenceEquals(_nonDifferentiable, output))
                Check.FailState(function, $"MarkNonDifferentiable got {_nonDifferentiable.Label}, but Forward returned {output.Label}; mark the tensor Forward returns.");
            OutputIsNonDifferentiable = true;
        }
        _savedVersions = new int[_saved.Length];
        for (int i = 0; i < _saved.Length; i++) _savedVersions[i] = _saved[i].Version;
    }

    /// <summary>Fails like the built-in ops when a saved tensor was modified in place after Forward.</summary>
    internal void CheckSavedVersions(string function)
    {
        for (int i = 0; i < _saved.Length; i++)
            if (_saved[i].Version != _savedVersions[i])
                Check.FailState("Backward", $"saved tensor {i} of {function} ({_saved[i].Label}) was modified in place after {function} saved it " +
                    $"(version {_saved[i].Version}, saved {_savedVersions[i]}), so the gradient would be computed from the wrong values. " +
                    "Do not change tensors (e.g. optimizer.Step(), LoadStateDict, AsSpan writes) between a forward pass and its Backward.");
    }
}
