using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Autodiff.NN;

// Registration of submodules and parameters held in fields: the one place the library uses reflection.
//
// What happens. Before any read of the registry (Parameters, NamedParameters, NamedBuffers, NamedChildren, StateDict,
// LoadStateDict, Train/Eval, ZeroGrad, ParameterCount, ToString, Save...) every module in the tree syncs its fields:
//   - the fields are found once per Type (cached, thread-safe): instance fields, public or private, base class first,
//     each class in declaration order (MetadataToken); auto-property backing fields and captured primary-constructor
//     parameters count as fields named after the property or parameter; fields of Module itself and fields marked
//     [NotRegistered] are skipped; only fields whose type could hold a Module or Tensor are kept (Module types, Tensor,
//     object, interfaces a Module may implement, and collections and tuples of those);
//   - a field holding a Module becomes a submodule, and a field holding a leaf Tensor that requires grad, or whose
//     RequiresGrad was set at all (a frozen parameter, PyTorch's nn.Parameter(t, requires_grad=False)), becomes a
//     parameter, named after the field with one leading underscore dropped (_fc1 -> fc1, property Hidden -> Hidden);
//     a plain tensor nobody marked (a mask, a table) stays a plain field, as PyTorch's plain tensor attributes;
//   - a field initializer that sets a non-leaf tensor requiring grad fails at construction naming the field: it is almost
//     surely `Tensor.Randn(3, 2).RequireGrad() * 0.1f`, a parameter that could never be trained (later, a non-leaf in a
//     field is an activation cached by Forward, as in PyTorch, and is left alone);
//   - a field whose object is already registered is not registered again: an object registered explicitly on this
//     module (Sequential's own array of its modules, a module caching its parameter) is left under its explicit name,
//     and an object found anywhere inside this module's other registrations (a typed shortcut `_last = body[2]`) is left
//     where it is. PyTorch's setattr would register the shortcut a second time (state dict keys `last.weight` and
//     `body.2.weight`); C# code keeps such typed references often, and a second name would break weight exchange;
//   - a reassigned field replaces its registration, as PyTorch's __setattr__ does: a parameter field given a new leaf
//     tensor keeps it as the parameter (made to require grad unless its RequiresGrad was set), given anything else (a
//     computed tensor) fails, as PyTorch's TypeError, and given null drops it; a field that held an explicitly
//     registered object writes its new value through to that explicit name (`_fc = RegisterModule("fc", ...)`, later
//     `_fc = new Linear(...)`, replaces "fc");
//   - a field holding a collection or tuple (List<Linear>, Module[], Dictionary<string, Module>, List<Tensor>,
//     (Linear, Linear)) whose modules or requires-grad leaf tensors are not all registered fails loudly naming the field
//     and the fix (ModuleList, ModuleDict, ParameterList). PyTorch silently ignores such a list; we do not. A change of
//     its elements (by reference, one level deep) is seen at the next read;
//   - a field that leads back to the module holding it is a cycle, reported naming the field ([NotRegistered] for a
//     back-reference to a parent).
// Use RegisterBuffer for unmarked tensors that must be saved. A module or tensor reached only through an object that
// is none of the above (a holder class, a closure) is not seen; Backward(diagnose: model) names such a tensor when it
// feeds the loss. Order: each module's explicit registrations (call order) come before its field registrations
// (declaration order).
//
// Cost. A sync reads each candidate field (FieldInfo.GetValue: no allocation for reference fields; a list or array is
// read by index) and compares it with what it saw last time; it rebinds only when a field, a collection's elements, or
// the registrations of a module somebody has read changed (a process-wide structure counter, incremented atomically;
// modules still being built, such as a slice made in Forward, do not touch it). The flattened state behind
// Parameters() is cached per root on that counter, so a training step's ZeroGrad allocates nothing here. Rebinding
// walks the module's subtree. Snapshots are immutable and replaced whole, so concurrent reads see old or new state.
//
// Why reflection. TorchSharp asks for an explicit RegisterComponents() call at the end of each constructor (also
// reflection, once): forgetting it is the same silent trap. A source generator would be trim-proof and free at run
// time, but needs `partial` on every user module (forgetting it is silent again, or another diagnostic to write) and a
// generator project to ship. A first-use reflection pass needs nothing from the user and sees reassignment. Trimming
// and NativeAOT: Module carries [DynamicallyAccessedMembers(PublicFields | NonPublicFields)], which the trimmer applies
// to every derived type, so their fields survive trimming.
public abstract partial class Module
{
    private const DynamicallyAccessedMemberTypes RegisteredFieldMembers =
        DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields;

    private const int MaxDepth = 10_000;

    /// <summary>Incremented whenever any module's registrations change; thread-safe (Interlocked), never reset.</summary>
    private static long s_structureVersion;

    /// <summary>The modules this thread is rebinding, innermost last: reaching one again while walking is a cycle.</summary>
    [ThreadStatic] private static List<Module>? t_rebinding;

    private static readonly ConcurrentDictionary<Type, FieldSlot[]> s_slots = new();

    private FieldSlot[]? _slots;
    private FieldState? _fieldState;
    private bool[]? _initializedAsParameter;      // by slot: a field initializer set it to a marked leaf tensor

    /// <summary>Notes the fields that the derived classes' field initializers (which C# runs before this constructor)
    /// set to a parameter (a leaf tensor whose RequiresGrad was set), so that replacing one with a plain tensor before
    /// the model is first read keeps it a parameter, as a replacement after the first read does.</summary>
    /// <exception cref="InvalidOperationException">A field initializer set a field to a tensor that requires grad but is not
    /// a leaf (<c>Tensor.Randn(3, 2).RequireGrad() * 0.1f</c>): a parameter that could never be trained.</exception>
    protected Module()
    {
        var slots = _slots = SlotsOf(GetType());
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i].Field.FieldType != typeof(Tensor) || slots[i].Field.GetValue(this) is not Tensor t) continue;
            if (t is { IsLeaf: true, RequiresGradSet: true }) (_initializedAsParameter ??= new bool[slots.Length])[i] = true;
            else if (t is { Creator: { } creator, RequiresGrad: true })
                // Only at construction: later, a field holding a non-leaf is an activation cached by Forward, as in PyTorch.
                Check.FailState(GetType().Name, $"field '{slots[i].DisplayName}' is initialized to {t.Label}, the result of {creator.Op}, " +
                    "which requires grad but is not a leaf, so it cannot be a parameter and would never be trained. Make it a " +
                    "leaf: (Tensor.Randn(...) * 0.1f).RequireGrad() computes first, then marks.");
        }
    }

    private static void StructureChanged() => Interlocked.Increment(ref s_structureVersion);

    /// <summary>Set on the first sync: from then on this module may be part of a tree whose state is cached.</summary>
    private bool _observed;

    /// <summary>Invalidates cached trees after this module's registrations changed. A module nobody has read yet (being
    /// built: a constructor's registrations, a slice made in Forward) cannot be in a cached tree, so it does not count:
    /// building modules elsewhere never makes a training model rebuild its state.</summary>
    private void OnStructureChanged()
    {
        if (_observed) StructureChanged();
    }

    /// <summary>A field that may hold a module or tensor: how it is read, the name it registers under, and the name
    /// messages show (the property's for a backing field).</summary>
    private sealed record FieldSlot(FieldInfo Field, string Name, string DisplayName)
    {
        public bool IsValueType { get; } = Field.FieldType.IsValueType;
    }

    private enum FieldRole : byte { None, Bound, Module, Parameter, Alias }

    /// <summary>What the fields held at the last sync and what that registered; immutable.</summary>
    private sealed class FieldState(long version, object?[] values, int[] signatures, FieldRole[] roles, string?[] bound,
        (string Name, Tensor Parameter)[] parameters, (string Name, Module Module)[] children)
    {
        public long Version { get; } = version;
        public object?[] Values { get; } = values;
        public int[] Signatures { get; } = signatures;
        public FieldRole[] Roles { get; } = roles;
        public string?[] Bound { get; } = bound;          // the explicit name a field writes through to
        public (string Name, Tensor Parameter)[] Parameters { get; } = parameters;
        public (string Name, Module Module)[] Children { get; } = children;

        public bool Matches(Module owner, FieldSlot[] slots)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                object? value = slots[i].Field.GetValue(owner);
                // A struct field (a tuple) is boxed anew by each read: compare its elements (the signature), not the box.
                if ((!slots[i].IsValueType && !ReferenceEquals(value, Values[i])) || Signature(value) != Signatures[i]) return false;
            }
            return true;
        }
    }

    /// <summary>What, besides the reference, makes a field's registration change: a tensor's requires-grad/leaf state,
    /// a collection's or tuple's elements (by reference; a list or array is read by index, without allocating).
    /// Collections nested in collections are seen only through their own references.</summary>
    private static int Signature(object? value)
    {
        switch (value)
        {
            case null or Module or string:
                return 0;
            case Tensor t:
                return (t.RequiresGrad ? 1 : 0) | (t.IsLeaf ? 2 : 0) | (t.RequiresGradSet ? 4 : 0);
        }
        if (!HoldsRegistrable(value.GetType())) return 0;
        var hash = new HashCode();
        switch (value)
        {
            case IList list:
                hash.Add(list.Count);
                for (int i = 0; i < list.Count; i++) hash.Add(Identity(list[i]));
                break;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++) hash.Add(Identity(tuple[i]));
                break;
            case IDictionary dictionary:
                hash.Add(dictionary.Count);
                foreach (var item in dictionary.Values) hash.Add(Identity(item));
                break;
            case IEnumerable items:
                foreach (var item in items) hash.Add(Identity(item));
                break;
        }
        return hash.ToHashCode();

        // An element by reference; a boxed struct element (a pair, a tuple) by its contents, since each read boxes anew.
        static int Identity(object? item) => item is null ? 0 : item.GetType().IsValueType ? item.GetHashCode() : RuntimeHelpers.GetHashCode(item);
    }

    private static readonly ConcurrentDictionary<Type, bool> s_holdsRegistrable = new();

    /// <summary><see cref="MayHoldRegistrable"/> for a collection or tuple's run-time type, cached.</summary>
    private static bool HoldsRegistrable(Type type) =>
        s_holdsRegistrable.TryGetValue(type, out bool holds) ? holds : s_holdsRegistrable.GetOrAdd(type, t =>
            (typeof(IEnumerable).IsAssignableFrom(t) || typeof(ITuple).IsAssignableFrom(t)) && MayHoldRegistrable(t));

    /// <summary>Syncs the fields of this module and of every module under it.</summary>
    private void SyncTree(int depth = 0)
    {
        if (depth > MaxDepth)
            Check.FailState(GetType().Name, $"modules are nested more than {MaxDepth} deep; a module probably contains itself.");
        SyncFields();
        for (int i = 0; i < _children.Count; i++) _children[i].Module?.SyncTree(depth + 1);
        if (_fieldState is { } state)
            foreach (var (_, child) in state.Children) child.SyncTree(depth + 1);
    }

    /// <summary>Brings this module's field registrations up to date; allocation-free when nothing changed.</summary>
    private void SyncFields()
    {
        _observed = true;
        var slots = _slots ??= SlotsOf(GetType());
        if (slots.Length == 0) return;
        var state = _fieldState;
        if (state is not null && state.Version == Volatile.Read(ref s_structureVersion) && state.Matches(this, slots)) return;
        Rebind(slots, state);
    }

    private void Rebind(FieldSlot[] slots, FieldState? old)
    {
        var rebinding = t_rebinding ??= [];
        if (rebinding.Contains(this))
            Check.FailState(GetType().Name, "this module contains itself through its fields (a cycle); mark a back-reference [NotRegistered].");
        rebinding.Add(this);
        try
        {
            RebindCore(slots, old);
        }
        finally
        {
            rebinding.RemoveAt(rebinding.Count - 1);
        }
    }

    private void RebindCore(FieldSlot[] slots, FieldState? old)
    {
        long version = Volatile.Read(ref s_structureVersion);
        int n = slots.Length;
        var values = new object?[n];
        var signatures = new int[n];
        var roles = new FieldRole[n];
        var bound = new string?[n];
        var modules = new List<(int Slot, Module Module)>();
        var tensors = new List<(int Slot, Tensor Tensor)>();
        var collections = new List<int>();
        bool wrote = false;

        for (int i = 0; i < n; i++)
        {
            object? value = slots[i].Field.GetValue(this);
            (values[i], signatures[i]) = (value, Signature(value));
            bool sameAsBefore = old is not null && ReferenceEquals(old.Values[i], value);
            if (ExplicitNameOf(value) is { } name)
            {
                (roles[i], bound[i]) = (FieldRole.Bound, name);
                continue;
            }
            if (old?.Bound[i] is { } previous && !sameAsBefore)
            {
                WriteThrough(slots[i], previous, value);
                (roles[i], bound[i], wrote) = (FieldRole.Bound, previous, true);
                continue;
            }
            bool wasParameter = old is not null ? old.Roles[i] == FieldRole.Parameter : _initializedAsParameter?[i] == true;
            switch (value)
            {
                case not null when wasParameter && !sameAsBefore && value is not Tensor { IsLeaf: true }:
                    // PyTorch refuses this too (TypeError: cannot assign ... as parameter): the parameter would silently vanish.
                    Check.FailState(GetType().Name, $"field '{slots[i].DisplayName}' held a parameter and now holds " +
                        $"{DescribeValue(value)}{(value is Tensor { Creator: { } c } ? $", the result of {c.Op}" : "")}, which cannot be a " +
                        "parameter: assign a leaf tensor (x.Detach() for computed values), or null to remove it.");
                    break;
                case Module m:
                    if (ReferenceEquals(m, this)) FailCycle($"field '{slots[i].DisplayName}'", m);
                    modules.Add((i, m));
                    break;
                case Tensor { IsLeaf: true } t when t.RequiresGrad || t.RequiresGradSet || wasParameter:
                    // Declared trainable or frozen (RequiresGrad was set), or a new tensor replacing a parameter.
                    if (!t.RequiresGradSet) signatures[i] = Signature(t.RequireGrad());
                    tensors.Add((i, t));
                    break;
                case IEnumerable or ITuple when value is not string && HoldsRegistrable(value.GetType()):
                    collections.Add(i);
                    break;
            }
        }

        // Everything strictly inside this module's other registrations: a field holding one of these is a shortcut.
        var covered = new HashSet<object>(ReferenceEqualityComparer.Instance);
        for (int c = 0; c < _children.Count; c++)
            if (_children[c].Module is { } child) Cover(child, $"submodule '{_children[c].Name}'", covered);
        foreach (var (slot, m) in modules) Cover(m, $"field '{slots[slot].DisplayName}'", covered);

        var used = new Dictionary<string, FieldSlot>();   // registered name -> field, to report two fields with one name
        var children = new List<(string Name, Module Module)>();
        foreach (var (slot, m) in modules)
        {
            if (covered.Contains(m) || children.Exists(c => ReferenceEquals(c.Module, m))) { roles[slot] = FieldRole.Alias; continue; }
            children.Add((ClaimName(slots[slot], used), m));
            roles[slot] = FieldRole.Module;
        }
        var parameters = new List<(string Name, Tensor Parameter)>();
        foreach (var (slot, t) in tensors)
        {
            if (covered.Contains(t) || parameters.Exists(p => ReferenceEquals(p.Parameter, t))) { roles[slot] = FieldRole.Alias; continue; }
            parameters.Add((ClaimName(slots[slot], used), t));
            roles[slot] = FieldRole.Parameter;
        }
        foreach (int slot in collections) CheckCollection(slots[slot], values[slot]!, covered, children, parameters);


        // A first sync changes no cached tree: whoever syncs this module reads the structure version afterwards.
        bool changed = wrote || (old is not null &&
            (!SameRegistrations(old.Children, children) || !SameRegistrations(old.Parameters, parameters)));
        _fieldState = new FieldState(version, values, signatures, roles, bound, [.. parameters], [.. children]);
        if (changed) StructureChanged();
    }

    private static bool SameRegistrations<T>((string Name, T Value)[] before, List<(string Name, T Value)> now) where T : class
    {
        if (before.Length != now.Count) return false;
        for (int i = 0; i < before.Length; i++)
            if (before[i].Name != now[i].Name || !ReferenceEquals(before[i].Value, now[i].Value)) return false;
        return true;
    }

    /// <summary>The explicit name under which <paramref name="value"/> (by reference) is registered on this module.</summary>
    private string? ExplicitNameOf(object? value)
    {
        switch (value)
        {
            case Module m:
                foreach (var (name, child) in _children) if (ReferenceEquals(child, m)) return name;
                break;
            case Tensor t:
                foreach (var (name, p) in _parameters) if (ReferenceEquals(p, t)) return name;
                foreach (var (name, b) in _buffers) if (ReferenceEquals(b, t)) return name;
                break;
        }
        return null;
    }

    /// <summary>A field that held an explicitly registered object was reassigned: the new value replaces that registration.</summary>
    private void WriteThrough(FieldSlot slot, string name, object? value)
    {
        int index = _children.FindIndex(c => c.Name == name);
        if (index >= 0 && value is null or Module)
        {
            if (ReferenceEquals(value, this)) FailCycle($"field '{slot.DisplayName}'", this);
            _children[index] = (name, (Module?)value);
        }
        else if (_parameters.ContainsKey(name) && value is null or Tensor { IsLeaf: true })
            _parameters[name] = AsParameter(name, (Tensor?)value);
        else if (_buffers.ContainsKey(name) && value is null or Tensor)
            _buffers[name] = (Tensor?)value;
        else
            Check.FailState(GetType().Name, $"field '{slot.DisplayName}' held what is registered as '{name}' and now holds " +
                $"{DescribeValue(value)}, which cannot replace it. Assign a {(index >= 0 ? "Module" : "leaf Tensor")}, or mark the field [NotRegistered].");
    }

    /// <summary>Adds the modules and tensors strictly inside <paramref name="root"/> to <paramref name="covered"/>,
    /// syncing each module on the way, and fails on a cycle back to <paramref name="root"/> or to a module being rebound.</summary>
    private void Cover(Module root, string via, HashSet<object> covered)
    {
        var stack = new Stack<Module>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var m = stack.Pop();
            if (t_rebinding!.Contains(m)) FailCycle(via, root);
            m.SyncFields();
            foreach (var (_, p) in m.OwnParameters()) covered.Add(p);
            foreach (var name in m._bufferNames) if (m._buffers[name] is { } b) covered.Add(b);
            foreach (var (_, child) in m.ChildEntries())
            {
                if (ReferenceEquals(child, root)) FailCycle(via, root);
                if (covered.Add(child)) stack.Push(child);
            }
        }
    }

    [DoesNotReturn]
    private void FailCycle(string via, Module root) =>
        Check.FailState(GetType().Name, $"{via} holds {(ReferenceEquals(root, this) ? "this very module" : $"a {root.GetType().Name} that contains this {GetType().Name}")}: " +
            "a module cannot contain itself (a cycle). If the field is a back-reference (e.g. to a parent), mark it [NotRegistered].");

    /// <summary>Checks, when registering <paramref name="module"/> under <paramref name="name"/>, that it does not contain this module.</summary>
    private void CheckNoCycle(string name, Module module)
    {
        if (ReferenceEquals(module, this))
            Check.Fail(GetType().Name, $"cannot register '{name}': it is this very module (a cycle).", nameof(module));
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance) { module };
        var stack = new Stack<Module>([module]);
        while (stack.Count > 0)
        {
            var m = stack.Pop();
            m.SyncFields();
            foreach (var (_, child) in m.ChildEntries())
            {
                if (ReferenceEquals(child, this))
                    Check.Fail(GetType().Name, $"cannot register '{name}': the {module.GetType().Name} contains this {GetType().Name} (a cycle).", nameof(module));
                if (seen.Add(child)) stack.Push(child);
            }
        }
    }

    /// <summary><c>'_fc' (in Base)</c>: the field and, for messages about two fields of one name, the class declaring it.</summary>
    private static string Where(FieldSlot slot) => $"'{slot.DisplayName}' (in {slot.Field.DeclaringType?.Name})";

    private string ClaimName(FieldSlot slot, Dictionary<string, FieldSlot> used)
    {
        if (IsExplicitName(slot.Name))
            Check.FailState(GetType().Name, $"field '{slot.DisplayName}' would be registered as '{slot.Name}', a name already " +
                "registered explicitly (RegisterModule/RegisterParameter/RegisterBuffer). Rename the field, or mark it [NotRegistered].");
        if (!used.TryAdd(slot.Name, slot))
            Check.FailState(GetType().Name, $"fields {Where(used[slot.Name])} and {Where(slot)} would both be registered as '{slot.Name}'. " +
                "Rename one, or mark it [NotRegistered].");
        return slot.Name;
    }

    /// <summary>Fails unless every module, and every leaf tensor that requires grad, in the collection is registered.</summary>
    private void CheckCollection(FieldSlot slot, object collection, HashSet<object> covered,
        List<(string Name, Module Module)> children, List<(string Name, Tensor Parameter)> parameters)
    {
        bool Registered(object item) =>
            covered.Contains(item) || ExplicitNameOf(item) is not null ||
            children.Exists(c => ReferenceEquals(c.Module, item)) || parameters.Exists(p => ReferenceEquals(p.Parameter, item));

        void Visit(object? item, string where, int depth)
        {
            switch (item)
            {
                case Module m when !Registered(m):
                    Check.FailState(GetType().Name, $"field '{slot.DisplayName}' is a {FriendlyName(collection.GetType())} whose {where} " +
                        $"({m.Describe()}) is not registered, so it would not be trained, saved or printed. Hold the modules in a " +
                        "ModuleList (a ModuleDict for keyed ones) or register each with RegisterModule; mark the field [NotRegistered] " +
                        "if they are registered elsewhere.");
                    break;
                case Tensor t when t.IsLeaf && t.RequiresGrad && !Registered(t):
                    Check.FailState(GetType().Name, $"field '{slot.DisplayName}' is a {FriendlyName(collection.GetType())} whose {where} " +
                        $"({t.Label}) requires grad but is not registered, so it would not be trained or saved. Hold the tensors in " +
                        "a ParameterList or register each with RegisterParameter; mark the field [NotRegistered] if they are registered elsewhere.");
                    break;
                case IEnumerable or ITuple when depth < 4 && item is not string and not Module && HoldsRegistrable(item.GetType()):
                    VisitAll(item, where + " ", depth + 1);
                    break;
            }
        }

        void VisitAll(object items, string prefix, int depth)
        {
            if (items is ITuple tuple)
            {
                for (int i = 0; i < tuple.Length; i++) Visit(tuple[i], $"{prefix}item {i + 1}", depth);
                return;
            }
            if (items is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary) Visit(entry.Value, $"{prefix}entry '{entry.Key}'", depth);
                return;
            }
            int index = 0;
            foreach (var item in (IEnumerable)items) Visit(item, $"{prefix}element {index++}", depth);
        }

        VisitAll(collection, "", 0);
    }

    private static string DescribeValue(object? value) => value switch
    {
        null => "null",
        Tensor t => $"tensor {t.Label}",
        Module m => m.Describe(),
        _ => $"a {FriendlyName(value.GetType())}",
    };

    /// <summary><c>List&lt;Linear&gt;</c> rather than <c>List`1</c>.</summary>
    private static string FriendlyName(Type type)
    {
        if (type.IsArray) return FriendlyName(type.GetElementType()!) + "[]";
        if (!type.IsGenericType) return type.Name;
        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(FriendlyName))}>";
    }

    /// <summary>Whether a value of this type could be, or contain, a module or a tensor.</summary>
    private static bool MayHoldRegistrable(Type type, int depth = 0)
    {
        if (type == typeof(object) || type == typeof(Tensor) || typeof(Module).IsAssignableFrom(type)) return true;
        if (depth > 3 || type == typeof(string) || type.IsPrimitive || type.IsEnum || typeof(Delegate).IsAssignableFrom(type)) return false;
        if (type.IsArray) return MayHoldRegistrable(type.GetElementType()!, depth + 1);
        if (type.IsGenericType) return type.GetGenericArguments().Any(a => MayHoldRegistrable(a, depth + 1));   // List<T>, KeyValuePair<K, V>
        return !type.IsValueType && typeof(IEnumerable).IsAssignableFrom(type);   // a non-generic collection: checked at run time
    }

    /// <summary>A field's place in its class's declaration: its metadata token. NativeAOT keeps no tokens (the getter
    /// throws); there every field gets 0 and the stable sort keeps the order GetFields returns, which NativeAOT's
    /// reflection metadata lists in declaration order (the NativeAOT packaging test checks a state dict's key order).</summary>
    private static int DeclarationOrder(FieldInfo field)
    {
        try
        {
            return field.MetadataToken;
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }

    private static FieldSlot[] SlotsOf([DynamicallyAccessedMembers(RegisteredFieldMembers)] Type type) =>
        s_slots.TryGetValue(type, out var slots) ? slots : s_slots.GetOrAdd(type, DiscoverSlots(type));

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification =
        "Module's [DynamicallyAccessedMembers(PublicFields | NonPublicFields)] applies to every type derived from Module, " +
        "so each base type walked here (all derive from Module) keeps its fields.")]
    private static FieldSlot[] DiscoverSlots([DynamicallyAccessedMembers(RegisteredFieldMembers)] Type type)
    {
        var chain = new List<Type>();
        for (Type? t = type; t is not null && t != typeof(Module); t = t.BaseType) chain.Add(t);
        chain.Reverse();   // base class fields first, as PyTorch registers in a base __init__ before a derived one's
        var slots = new List<FieldSlot>();
        foreach (var t in chain)
        {
            var fields = t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            foreach (var field in fields.OrderBy(DeclarationOrder))
            {
                var fieldType = field.FieldType;
                // An interface-typed field may hold a Module that implements it; a tuple may hold several.
                bool candidate = fieldType == typeof(object) || fieldType == typeof(Tensor) || typeof(Module).IsAssignableFrom(fieldType) ||
                    fieldType.IsInterface || ((typeof(IEnumerable).IsAssignableFrom(fieldType) || typeof(ITuple).IsAssignableFrom(fieldType)) && MayHoldRegistrable(fieldType));
                if (!candidate || field.IsDefined(typeof(NotRegisteredAttribute), inherit: false)) continue;
                string display = SourceName(field.Name);
                string name = display.StartsWith('_') && display.Length > 1 ? display[1..] : display;
                slots.Add(new FieldSlot(field, name, display));
            }
        }
        return [.. slots];
    }

    /// <summary>The name a field has in source: <c>Hidden</c> for <c>&lt;Hidden&gt;k__BackingField</c>, <c>inner</c> for
    /// a captured primary-constructor parameter <c>&lt;inner&gt;P</c>.</summary>
    private static string SourceName(string fieldName) =>
        fieldName.StartsWith('<') && fieldName.IndexOf('>', StringComparison.Ordinal) is > 1 and var end ? fieldName[1..end] : fieldName;
}
