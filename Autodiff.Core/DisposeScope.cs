namespace Autodiff;

/// <summary>Owns the tensors ops produce while it is the innermost scope, and disposes them when it is disposed, so a
/// training loop reuses its buffers instead of allocating them every step. Create one with
/// <see cref="Tensor.NewDisposeScope"/>. Same idea as TorchSharp's <c>DisposeScope</c>.</summary>
/// <remarks>Scopes nest; the current one flows with async calls like <see cref="Tape.NoGrad"/>. Owned are: results of
/// ops (including views such as Reshape, whose buffer is shared and goes back to the pool only when every tensor viewing
/// it is disposed) and tensors passed to <see cref="Include"/>. Not owned: tensors made with factories (Zeros, Randn,
/// FromArray ...), parameters, gradients and optimizer state.</remarks>
public sealed class DisposeScope : IDisposable
{
    private static readonly AsyncLocal<DisposeScope?> s_current = new();
    private static int s_open;                        // scopes begun and not yet disposed, on any thread
    private readonly List<Tensor> _owned = [];
    private bool _disposed;

    private DisposeScope(DisposeScope? parent) => Parent = parent;

    /// <summary>The innermost scope of this thread or async flow, or null.</summary>
    public static DisposeScope? Current => Volatile.Read(ref s_open) == 0 ? null : s_current.Value;   // skips the AsyncLocal read when no scope is open

    /// <summary>The scope that was current when this one began, or null.</summary>
    public DisposeScope? Parent { get; }

    /// <summary>How many tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    internal static DisposeScope Begin()
    {
        var scope = new DisposeScope(s_current.Value);
        s_current.Value = scope;
        Interlocked.Increment(ref s_open);
        return scope;
    }

    /// <summary>Makes this scope own <paramref name="tensor"/> too (moving it from another scope), e.g. a batch the data
    /// loader produced before the scope began. Returns the tensor.</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public Tensor Include(Tensor tensor)
    {
        Check.NotNullAnyDType("DisposeScope.Include", tensor, nameof(tensor));
        tensor.Scope?.Remove(tensor);
        Add(tensor);
        return tensor;
    }

    /// <summary>Called by Tape.Record for every op result made while this scope is current: the scope takes it.</summary>
    internal void Adopt(Tensor output)
    {
        if (output.Scope is null) Add(output);
    }

    internal void Add(Tensor tensor)
    {
        if (_disposed)
            Check.FailState("DisposeScope", $"cannot take {tensor.Label}: the scope was already disposed.");
        tensor.Scope = this;
        _owned.Add(tensor);
    }

    internal void Remove(Tensor tensor)
    {
        tensor.Scope = null;
        int i = _owned.LastIndexOf(tensor);                 // usually the most recent
        if (i >= 0) _owned.RemoveAt(i);
    }

    /// <summary>Disposes every tensor the scope still owns and makes its parent current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Decrement(ref s_open);
        foreach (var tensor in _owned)
        {
            tensor.Scope = null;
            tensor.Dispose();
        }
        _owned.Clear();
        if (s_current.Value == this) s_current.Value = Parent;
    }
}
