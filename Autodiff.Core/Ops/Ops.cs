namespace Autodiff;

/// <summary>Every differentiable operation, one file per op in <c>Ops/</c>: <c>Ops.Mul</c> is in <c>Ops/Mul.cs</c>, its
/// forward and backward side by side. The same ops are reachable as tensor methods and operators (<c>a * b</c>, <c>x.Relu()</c>).</summary>
/// <remarks>Each op validates its inputs (errors name the op and the shapes), computes its result through a span
/// kernel, and records on the tape a closure that accumulates the gradient of each input by its local derivative.
/// Composite ops (Mean, Softmax, Stack) are built from primitives and record nothing of their own.</remarks>
public static partial class Ops
{
}
