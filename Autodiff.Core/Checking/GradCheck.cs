using System.Globalization;

namespace Autodiff;

/// <summary>Compares the tape's gradients with central differences in float64. Same idea as <c>torch.autograd.gradcheck</c>.</summary>
/// <remarks>
/// For every output element <c>o</c> and every element <c>j</c> of every input that requires grad, the analytic
/// Jacobian entry (from a Backward seeded with the one-hot gradient of <c>o</c>) is compared with the numeric one
/// <c>(f(x + ε eⱼ) - f(x - ε eⱼ))[o] / 2ε</c>. An entry passes when <c>|analytic - numeric| ≤ atol + rtol · |numeric|</c>.
/// Inputs must be float64: in float32 the rounding error of the differences swamps the gradient.
/// </remarks>
public static class GradCheck
{
    /// <summary>Checks <paramref name="function"/> at <paramref name="inputs"/> and returns the worst entry.</summary>
    /// <param name="function">Builds the output from the inputs using ops; called many times. Must not mutate its inputs.</param>
    /// <param name="inputs">Float64 tensors; those with <see cref="Tensor.RequiresGrad"/> are checked, the rest held constant.</param>
    /// <param name="name">What is checked (usually the op), quoted in the report.</param>
    /// <param name="eps">The step of the central differences.</param>
    /// <param name="absoluteTolerance">atol in the pass criterion.</param>
    /// <param name="relativeTolerance">rtol in the pass criterion.</param>
    /// <exception cref="ArgumentException">An input is not float64, or no input requires grad.</exception>
    public static GradCheckResult Run(Func<Tensor[], Tensor> function, Tensor[] inputs, string name = "function",
        double eps = 1e-6, double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5) =>
        RunCore(function, inputs, name, eps, absoluteTolerance, relativeTolerance, recordWhileEvaluating: false);

    /// <summary>Checks second derivatives (PyTorch's <c>gradgradcheck</c>): the first derivatives
    /// <c>∂(v · function)/∂input</c>, computed by <c>Backward(createGraph: true)</c> for a fixed random v, are themselves
    /// differentiated by the tape and compared with central differences of those first derivatives.</summary>
    /// <remarks>For a scalar function v = 1, so the tape's Jacobian of the gradient is the Hessian.</remarks>
    /// <inheritdoc cref="Run"/>
    public static GradCheckResult RunSecondOrder(Func<Tensor[], Tensor> function, Tensor[] inputs, string name = "function",
        double eps = 1e-6, double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        // Not under NoGrad: the function may itself take gradients (Autograd.Grad), to check third derivatives.
        var outputShape = function(inputs).Shape;
        var v = outputShape.Numel == 1 ? Tensor.Ones(outputShape.ToArray(), DType.Float64) : Tensor.Randn(outputShape.ToArray(), 12345, DType.Float64);
        Tensor FirstDerivatives(Tensor[] xs)
        {
            var wrt = xs.Where(x => x.RequiresGrad).ToArray();
            var y = function(xs);
            if (!y.RequiresGrad) return Tensor.Zeros([wrt.Sum(x => x.Numel)], DType.Float64);
            var grads = Autograd.Grad([y], wrt, createGraph: true, gradOutputs: [v], allowUnused: true);
            return Ops.Cat(grads.Select((g, i) => Ops.Reshape(g ?? Tensor.ZerosLike(wrt[i]), wrt[i].Numel)).ToArray());
        }
        // Each op has one derivative rule, run unrecorded by a plain Backward and recorded here, so the first derivatives
        // differentiated below are the ones Run checks against central differences.
        return RunCore(FirstDerivatives, inputs, name + " (second order)", eps, absoluteTolerance, relativeTolerance, recordWhileEvaluating: true);
    }

    /// <summary><see cref="RunSecondOrder"/>, throwing when it fails.</summary>
    /// <exception cref="GradCheckException">Some second derivative disagrees.</exception>
    public static void AssertSecondOrder(Func<Tensor[], Tensor> function, Tensor[] inputs, string name = "function",
        double eps = 1e-6, double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5)
    {
        var result = RunSecondOrder(function, inputs, name, eps, absoluteTolerance, relativeTolerance);
        if (!result.Passed) throw new GradCheckException(result);
    }

    private static GradCheckResult RunCore(Func<Tensor[], Tensor> function, Tensor[] inputs, string name,
        double eps, double absoluteTolerance, double relativeTolerance, bool recordWhileEvaluating)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var x in inputs)
            if (x.DType != DType.Float64)
                Check.Fail("GradCheck", $"input {x.Label} is {x.DType}; gradient checks need Float64 inputs (use To(DType.Float64)).", nameof(inputs));
        if (!inputs.Any(x => x.RequiresGrad)) Check.Fail("GradCheck", "no input requires grad; nothing to check.", nameof(inputs));

        var output = function(inputs);
        var analytic = AnalyticJacobians(output, inputs);
        GradCheckResult? failure = null, worst = null;
        double worstRatio = -1;

        for (int k = 0; k < inputs.Length && failure is null; k++)
        {
            if (!inputs[k].RequiresGrad) continue;
            var data = inputs[k].F64;
            for (int j = 0; j < data.Length && failure is null; j++)
            {
                double saved = data[j];
                data[j] = saved + eps;
                var plus = Evaluate(function, inputs, recordWhileEvaluating);
                data[j] = saved - eps;
                var minus = Evaluate(function, inputs, recordWhileEvaluating);
                data[j] = saved;
                for (int o = 0; o < plus.Length; o++)
                {
                    double numeric = (plus[o] - minus[o]) / (2 * eps);
                    double a = analytic[k][o, j];
                    double error = Math.Abs(a - numeric);
                    double ratio = a == numeric ? 0 : error / (absoluteTolerance + relativeTolerance * Math.Abs(numeric));
                    bool passed = ratio <= 1;                                   // NaN on either side fails
                    if (passed && ratio <= worstRatio) continue;
                    var result = new GradCheckResult(name, passed, k, j, o, a, numeric, error,
                        Describe(name, inputs[k], k, j, output, o, a, numeric, error, passed));
                    if (!passed) { failure = result; break; }
                    (worst, worstRatio) = (result, ratio);
                }
            }
        }
        return failure ?? worst ?? new GradCheckResult(name, true, -1, -1, -1, 0, 0, 0, $"GradCheck passed for {name}: no elements to compare.");
    }

    /// <summary>Runs the check and throws when it fails.</summary>
    /// <exception cref="GradCheckException">Some Jacobian entry disagrees; the message names the op, input, element,
    /// output element, and the analytic and numeric values.</exception>
    /// <exception cref="ArgumentException">An input is not float64, or no input requires grad.</exception>
    public static void Assert(Func<Tensor[], Tensor> function, Tensor[] inputs, string name = "function",
        double eps = 1e-6, double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5)
    {
        var result = Run(function, inputs, name, eps, absoluteTolerance, relativeTolerance);
        if (!result.Passed) throw new GradCheckException(result);
    }

    /// <summary>Row o, column j of the Jacobian of output with respect to each input, by one Backward per output element.</summary>
    private static double[][,] AnalyticJacobians(Tensor output, Tensor[] inputs)
    {
        var jacobians = inputs.Select(x => new double[output.Numel, x.Numel]).ToArray();
        if (!output.RequiresGrad) return jacobians;                           // constant in every input: all zeros
        var saved = inputs.Select(x => x.PeekGrad()).ToArray();
        for (int o = 0; o < output.Numel; o++)
        {
            foreach (var x in inputs) x.Grad = null;
            var seed = Compute.Zeros(output.Shape, DType.Float64);
            seed.F64[o] = 1.0;
            output.Backward(seed, retainGraph: o < output.Numel - 1);
            for (int k = 0; k < inputs.Length; k++)
            {
                var g = inputs[k].PeekGrad();
                if (g is null) continue;
                var gs = g.F64;
                for (int j = 0; j < gs.Length; j++) jacobians[k][o, j] = gs[j];
            }
        }
        for (int k = 0; k < inputs.Length; k++) inputs[k].Grad = saved[k];
        return jacobians;
    }

    private static double[] Evaluate(Func<Tensor[], Tensor> function, Tensor[] inputs, bool recording)
    {
        if (recording) return function(inputs).ToDoubleArray();         // a function that differentiates needs the tape
        using (Tape.NoGrad()) return function(inputs).ToDoubleArray();
    }

    private static string Describe(string name, Tensor input, int k, int j, Tensor output, int o, double a, double n, double error, bool passed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"GradCheck {(passed ? "passed" : "FAILED")} for {name}: d output{Index(output.Shape, o)} / d input {k}{Index(input.Shape, j)} " +
            $"(input shape {input.Shape}, output shape {output.Shape}): analytic {a:G10}, numeric {n:G10}, |difference| {error:G3}.");

    private static string Index(Shape shape, int flat)
    {
        var index = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            index[d] = flat % Math.Max(shape[d], 1);
            flat /= Math.Max(shape[d], 1);
        }
        return Shape.Format(index);
    }
}

/// <summary>The outcome of a <see cref="GradCheck"/>: the worst Jacobian entry found (the first failing one if any failed).</summary>
/// <param name="Name">What was checked.</param>
/// <param name="Passed">True when every entry was within tolerance.</param>
/// <param name="InputIndex">Which input the reported entry belongs to (-1 if none was compared).</param>
/// <param name="ElementIndex">The flat index of the input element.</param>
/// <param name="OutputIndex">The flat index of the output element.</param>
/// <param name="Analytic">The tape's value of that Jacobian entry.</param>
/// <param name="Numeric">The central-difference value.</param>
/// <param name="Error">Their absolute difference.</param>
/// <param name="Message">A sentence naming all of the above.</param>
public sealed record GradCheckResult(string Name, bool Passed, int InputIndex, int ElementIndex, int OutputIndex,
    double Analytic, double Numeric, double Error, string Message)
{
    /// <summary>The message.</summary>
    public override string ToString() => Message;
}

/// <summary>Thrown by <see cref="GradCheck.Assert"/> when the tape and central differences disagree.</summary>
public sealed class GradCheckException : Exception
{
    /// <summary>Creates the exception from a failed result.</summary>
    public GradCheckException(GradCheckResult result) : base(result.Message) => Result = result;

    /// <summary>The failing entry.</summary>
    public GradCheckResult Result { get; }
}
