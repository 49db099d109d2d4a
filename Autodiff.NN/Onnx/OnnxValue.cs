namespace Autodiff.NN;

/// <summary>A value in an ONNX graph being written: its name, and a sample of it (shape and dtype, as traced through the
/// model), so <see cref="OnnxExportContext"/>'s typed helpers can resolve negative dims and check shapes as the op would.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="Sample">A tensor of the value's shape and dtype at the traced sizes.</param>
public readonly record struct OnnxValue(string Name, Tensor Sample);
