namespace Autodiff.NN;

// Walking the module tree as PyTorch's nn.Module does: children, modules, apply, requires_grad_.
public abstract partial class Module
{
    /// <summary>The direct submodules with their names, explicit ones in registration order then those held in fields.
    /// Same as <c>named_children()</c>.</summary>
    /// <remarks>A module registered twice on this module (<c>new Sequential(relu, linear, relu)</c>) is listed once, under
    /// its first name, as PyTorch's <c>named_children()</c> does. A snapshot: later registrations are seen by the next call.</remarks>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        SyncFields();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return ChildEntries().Where(c => seen.Add(c.Module)).ToList();
    }

    /// <summary>The direct submodules, each once, in the order of <see cref="NamedChildren"/>. Same as <c>children()</c>.</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module).ToList();

    /// <summary>This module and every module under it, with dotted names: <c>("", this)</c> first, then depth first in
    /// registration order (<c>"0"</c>, <c>"block"</c>, <c>"block.fc1"</c>, ...). Same as <c>named_modules()</c>.</summary>
    /// <param name="prefix">Put before every name (<c>"encoder"</c> gives <c>"encoder"</c>, <c>"encoder.0"</c>, ...).</param>
    /// <param name="removeDuplicate">True (the default, as PyTorch): a module reached twice (shared by two parents, or
    /// registered under two names) is listed once, under its first name, and its subtree is not walked again. False lists
    /// it, with its subtree, at every place it is reached.</param>
    /// <remarks>A snapshot of the tree taken by the call: changes made while enumerating do not affect it.</remarks>
    /// <example><code>
    /// foreach (var (name, m) in model.NamedModules())
    ///     if (m is Linear linear) Console.WriteLine($"{name}: {linear.InFeatures} -> {linear.OutFeatures}");
    /// </code></example>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "", bool removeDuplicate = true)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        SyncTree();
        var result = new List<(string Name, Module Module)>();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string Name, Module Module)>();
        stack.Push((prefix, this));
        while (stack.Count > 0)
        {
            var (name, module) = stack.Pop();
            if (removeDuplicate && !seen.Add(module)) continue;
            result.Add((name, module));
            var children = module.ChildEntries().ToList();
            for (int i = children.Count - 1; i >= 0; i--)   // pushed in reverse, so popped in registration order
                stack.Push((name.Length == 0 ? children[i].Name : name + "." + children[i].Name, children[i].Module));
        }
        return result;
    }

    /// <summary>This module and every module under it, each once, in the order of <see cref="NamedModules"/>. Same as
    /// <c>modules()</c>.</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module).ToList();

    /// <summary>Calls <paramref name="fn"/> on every submodule, recursively, and then on this module; returns this module.
    /// Same as <c>apply(fn)</c>: children first (each child's own subtree before the next child), self last.</summary>
    /// <remarks>As PyTorch's, it walks <see cref="Children"/> of each module, so a module shared by two parents is visited
    /// once under each (use <see cref="Modules"/> to visit every module exactly once). The children of each module are read
    /// before recursing into them, so <paramref name="fn"/> may replace a module's submodules.</remarks>
    /// <example><code>
    /// model.Apply(m => { if (m is Linear l) { Init.XavierUniform_(l.Weight); if (l.Bias is { } b) Init.Zeros_(b); } });
    /// </code></example>
    /// <exception cref="ArgumentNullException"><paramref name="fn"/> is null.</exception>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        foreach (var child in Children()) child.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Sets <see cref="Tensor.RequiresGrad"/> of every parameter of this module and its submodules: false freezes
    /// them (no gradient is computed for them, so optimizers skip them), true unfreezes them. Returns this module. Same as
    /// <c>requires_grad_(requires_grad)</c>.</summary>
    /// <remarks>Buffers are not touched. Freezing keeps a gradient already accumulated; call <see cref="ZeroGrad"/> too if
    /// an optimizer should not apply it.</remarks>
    /// <example><code>
    /// backbone.RequiresGrad_(false);                       // fine-tune only the head
    /// var optimizer = new Adam(model.Parameters(), lr: 1e-3);
    /// </code></example>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
        return this;
    }
}
