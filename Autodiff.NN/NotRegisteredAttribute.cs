namespace Autodiff.NN;

/// <summary>Keeps a field of a <see cref="Module"/> out of automatic registration: what it holds is not trained, saved or
/// printed as part of this module, and a collection in it is not checked.</summary>
/// <remarks>For a reference that must not make the module its owner: a back-reference to a parent module (which would
/// otherwise be a cycle), a module shared with and registered by another model, a frozen teacher network, or a cache
/// of tensors. On an auto-property write <c>[field: NotRegistered]</c>.</remarks>
/// <example><code>
/// [NotRegistered] private readonly Module _parent;   // a back-reference, not a submodule
/// </code></example>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false, Inherited = false)]
public sealed class NotRegisteredAttribute : Attribute;
