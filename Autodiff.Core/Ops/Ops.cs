namespace Autodiff;

/// <summary>Every differentiable operation, one file per op in <c>Ops/</c>: <c>Ops.Mul</c> is in <c>Ops/Mul.cs</c>, its
/// forward and backward side by side. The same ops are reachable as tensor methods and operators (<c>a * b</c>, <c>x.Relu()</c>).</summary>
/// <remarks>Each op validates its inputs (errors name the op and the shapes), computes its result through a span
/// kernel, and records on the tape its derivative once: one rule per input that returns that input's gradient, written
/// with ops, which a plain Backward runs unrecorded and <c>createGraph</c> runs recorded. Composite ops (Mean, Softmax,
/// Stack) are built from primitives and record nothing of their own. One name each: a rule receives the incoming
/// gradient as <c>g</c>; a named backward op (<c>ReluBackward(dy, x)</c>) takes it as <c>dy</c>, and returns <c>dx</c>.</remarks>
public static partial class Ops;
