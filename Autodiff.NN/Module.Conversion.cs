using System.Collections;
using System.Runtime.CompilerServices;

namespace Autodiff.NN;

// Converting a model's parameters and buffers to another dtype: PyTorch's module.to(dtype), .double(), .float().
//
// A tensor's dtype is fixed (its buffer is a float[] or a double[]), so conversion replaces each parameter and buffer by
// a converted tensor, where PyTorch, by default, swaps the buffer under the same Parameter object (param.data = ...).
// The difference shows in one place: an optimizer built before the conversion holds the old tensors. Every converted
// tensor is remembered here (weakly), and Optimizer.Step fails naming the conversion when it holds one, instead of
// silently updating tensors the model no longer uses.
public abstract partial class Module
{
    /// <summary>Old tensor -> the tensor that replaced it in a conversion; weak keys, thread-safe.</summary>
    private static readonly ConditionalWeakTable<Tensor, Tensor> s_convertedTo = new();

    /// <summary>Conversions done so far, process-wide (Interlocked): an optimizer looks up its parameters only when it moved.</summary>
    private static long s_conversions;

    /// <summary>How many times some module converted a tensor; changes whenever <see cref="ConvertedTo"/> may answer anew.</summary>
    internal static long ConversionCount => Interlocked.Read(ref s_conversions);

    /// <summary>The tensor that replaced <paramref name="tensor"/> when a module holding it was converted by
    /// <see cref="To(DType)"/>, or null if it never was.</summary>
    internal static Tensor? ConvertedTo(Tensor tensor) => s_convertedTo.TryGetValue(tensor, out var replacement) ? replacement : null;

    /// <summary>Converts every floating-point parameter and buffer of this module and its submodules to
    /// <paramref name="dtype"/> and returns this module. Same as <c>module.to(dtype)</c>.</summary>
    /// <remarks>
    /// <para>Each parameter and buffer whose dtype differs is <b>replaced</b> by a converted copy, registered under the same
    /// name: <see cref="Tensor.RequiresGrad"/> (a frozen layer stays frozen), the tensor's <see cref="Tensor.Name"/>, its
    /// gradient (converted too) and weight tying (a tensor registered twice is converted once) are kept, and fields
    /// holding it (a parameter held in a field, a <c>Tensor[]</c> or <c>List&lt;Tensor&gt;</c> of registered tensors, as
    /// <see cref="ParameterList"/> keeps) are updated. Tensors already of that dtype are left as they are (the same
    /// objects), so <c>model.Float()</c> on a float32 model changes nothing. Plain tensors a module holds without
    /// registering them (a mask in a field) are not converted, as in PyTorch.</para>
    /// <para><b>Build the optimizer after converting.</b> PyTorch swaps the data under the same Parameter objects; here the
    /// objects are new (a tensor's dtype is fixed), so an optimizer built before the conversion holds tensors the model no
    /// longer uses: its <see cref="Autodiff.Optim.Optimizer.Step"/> throws, naming the conversion, rather than train
    /// nothing. Anything else holding the old tensors (a variable, a field marked <see cref="NotRegisteredAttribute"/>, a
    /// parent module's field when only a submodule is converted) keeps the old ones: read them again from the model.</para>
    /// <para>Int64 and Bool buffers (BatchNorm's <c>num_batches_tracked</c>, a mask) keep their dtype, as PyTorch's
    /// <c>module.to(dtype)</c> casts only floating-point tensors.</para>
    /// </remarks>
    /// <example><code>
    /// var model = new Sequential(new Linear(3, 8), new Tanh(), new Linear(8, 1)).Double();   // model.double()
    /// var optimizer = new Adam(model.Parameters(), lr: 1e-3);                                 // built after converting
    /// </code></example>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a floating-point dtype.</exception>
    /// <exception cref="InvalidOperationException">A field holds a tensor to convert inside a container that cannot be
    /// updated in place (a tuple, a read-only or unindexed collection); nothing is changed.</exception>
    public Module To(DType dtype)
    {
        if (!IsFloatingPoint(dtype))
            Check.Fail("Module.To", $"{dtype} is not a floating-point dtype; a module's parameters and buffers convert to Float32 or Float64.", nameof(dtype));
        CurrentState();                                                 // syncs the tree and names its tensors (for messages)
        var modules = NamedModules().Select(m => m.Module).ToList();   // each module once

        // Plan: every registered tensor to convert, once each (tied weights stay tied).
        var converted = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        void Plan(Tensor? t)
        {
            if (t is null || t.DType == dtype || !IsFloatingPoint(t.DType) || converted.ContainsKey(t)) return;
            converted[t] = ConvertedCopy(t, dtype);
        }
        foreach (var m in modules)
        {
            foreach (var (_, p) in m.OwnParameters()) Plan(p);
            foreach (var name in m._bufferNames) Plan(m._buffers[name]);            // Int64/Bool buffers are skipped by Plan
        }
        if (converted.Count == 0) return this;

        // Every write, checked before any is made, so a field that cannot be updated changes nothing.
        var writes = new List<Action>();
        foreach (var m in modules) m.PlanFieldWrites(converted, writes);

        foreach (var m in modules)
        {
            foreach (var name in m._parameterNames)
                if (m._parameters[name] is { } p && converted.TryGetValue(p, out var np)) m._parameters[name] = np;
            foreach (var name in m._bufferNames)
                if (m._buffers[name] is { } b && converted.TryGetValue(b, out var nb)) m._buffers[name] = nb;
        }
        foreach (var write in writes) write();
        foreach (var (old, fresh) in converted) s_convertedTo.AddOrUpdate(old, fresh);
        Interlocked.Increment(ref s_conversions);
        StructureChanged();   // every cached tree (Parameters(), StateDict()) is read anew, fields rebound
        return this;
    }

    /// <summary>Converts every floating-point parameter and buffer to Float64 and returns this module. Same as
    /// <c>module.double()</c>; see <see cref="To(DType)"/> (build the optimizer afterwards).</summary>
    /// <remarks>What a float64 model is for: checking a whole model's gradients with <see cref="GradCheck"/>, comparing
    /// with a float64 reference, or training where float32 rounding matters.</remarks>
    /// <example><code>
    /// var model = new Sequential(new Linear(3, 5), new ReLU(), new Linear(5, 2)).Double();
    /// var x = Tensor.Randn([4, 3], seed: 0, DType.Float64);
    /// GradCheck.Assert(xs => model.Forward(xs[0]), [x.RequireGrad(), .. model.Parameters()], "model");
    /// </code></example>
    /// <exception cref="InvalidOperationException">A field holds a tensor to convert in a container that cannot be updated.</exception>
    public Module Double() => To(DType.Float64);

    /// <summary>Converts every floating-point parameter and buffer to Float32 and returns this module. Same as
    /// <c>module.float()</c>; see <see cref="To(DType)"/> (build the optimizer afterwards).</summary>
    /// <exception cref="InvalidOperationException">A field holds a tensor to convert in a container that cannot be updated.</exception>
    public Module Float() => To(DType.Float32);

    private static bool IsFloatingPoint(DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>A new leaf holding <paramref name="source"/>'s values in <paramref name="dtype"/>, with its RequiresGrad
    /// (when set), name and gradient. Not owned by any DisposeScope: it becomes a parameter or buffer.</summary>
    private static Tensor ConvertedCopy(Tensor source, DType dtype)
    {
        var copy = ConvertedValues(source, dtype);
        if (source.RequiresGradSet) copy.RequiresGrad = source.RequiresGrad;   // a buffer stays unmarked, so fields keep it a plain tensor
        copy.Name = source.Name;
        if (source.PeekGrad() is { } grad) copy.Grad = ConvertedValues(grad, dtype);
        return copy;
    }

    /// <summary>A new, unrecorded leaf with <paramref name="source"/>'s values converted to <paramref name="dtype"/>.</summary>
    private static Tensor ConvertedValues(Tensor source, DType dtype) => Compute.Empty(source.Shape, dtype).Copy_(source);

    /// <summary>Adds to <paramref name="writes"/> the updates of this module's fields that hold a converted tensor:
    /// the field itself, or the element of an array, list or dictionary it holds (nested up to 4 deep).</summary>
    /// <exception cref="InvalidOperationException">A converted tensor sits where it cannot be replaced in place.</exception>
    private void PlanFieldWrites(Dictionary<Tensor, Tensor> converted, List<Action> writes)
    {
        foreach (var slot in _slots ??= SlotsOf(GetType()))
        {
            object? value = slot.Field.GetValue(this);
            if (value is Tensor t)
            {
                if (converted.TryGetValue(t, out var fresh)) writes.Add(() => slot.Field.SetValue(this, fresh));
                continue;
            }
            if (value is null or Module or string || !HoldsRegistrable(value.GetType())) continue;
            PlanContainerWrites(slot, value, converted, writes, depth: 0);
        }
    }

    private void PlanContainerWrites(FieldSlot slot, object container, Dictionary<Tensor, Tensor> converted, List<Action> writes, int depth)
    {
        if (depth > 4) return;
        switch (container)
        {
            case IList list:
                for (int i = 0; i < list.Count; i++)
                {
                    int index = i;
                    if (list[i] is Tensor t && converted.TryGetValue(t, out var fresh))
                    {
                        if (list.IsReadOnly) FailField(slot, container, t);
                        writes.Add(() => list[index] = fresh);
                    }
                    else if (list[i] is { } item and not Module and not string) PlanContainerWrites(slot, item, converted, writes, depth + 1);
                }
                return;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                {
                    var key = entry.Key;
                    if (entry.Value is Tensor t && converted.TryGetValue(t, out var fresh))
                    {
                        if (dictionary.IsReadOnly) FailField(slot, container, t);
                        writes.Add(() => dictionary[key] = fresh);
                    }
                    else if (entry.Value is { } item and not Module and not string) PlanContainerWrites(slot, item, converted, writes, depth + 1);
                }
                return;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    if (tuple[i] is Tensor t && converted.ContainsKey(t)) FailField(slot, container, t);
                    else if (tuple[i] is { } item and not Module and not string) PlanContainerWrites(slot, item, converted, writes, depth + 1);
                return;
            case IEnumerable items when HoldsRegistrable(container.GetType()):
                foreach (var item in items)
                    if (item is Tensor t && converted.ContainsKey(t)) FailField(slot, container, t);
                return;
        }
    }

    private void FailField(FieldSlot slot, object container, Tensor tensor) =>
        Check.FailState("Module.To", $"field '{slot.DisplayName}' of {GetType().Name} holds {tensor.Label} in a " +
            $"{FriendlyName(container.GetType())}, which cannot be updated in place, so after the conversion it would go on " +
            "holding the old tensor. Hold registered tensors in a field of type Tensor, an array, a List or a Dictionary (or " +
            "read them from the model when needed), or mark the field [NotRegistered]; nothing was converted.");
}
