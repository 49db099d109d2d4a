using System.Globalization;

namespace Autodiff;

/// <summary>Checks on the tape that a sequence model is causal: output position t does not depend on any input position
/// after t. A silent mask bug (a causal mask shifted by one, <c>isCausal</c> forgotten) lets a language model see the
/// token it must predict; its training loss then drops to near zero and it generates nonsense.</summary>
/// <remarks>
/// <para>How: one forward pass recorded with the input as a leaf, then for each output position t one backward pass
/// (<see cref="Autograd.Grad"/>, the graph retained) of <c>Σ w ⊙ output[.., t, ..]</c> with respect to the input; any
/// gradient above the tolerance at an input position <c>t' &gt; t</c> (along <c>timeDim</c>) is a leak. The weights w
/// are fixed random numbers, not ones: a plain sum would hide a leak behind a softmax or a layer norm, whose outputs sum
/// to a constant. A NaN gradient counts as a leak. Cost: one forward pass and T backward passes.</para>
/// <para>The gradient is taken with respect to a floating-point input: for a model that starts from token indices, check
/// the part after the embedding (e.g. <c>x =&gt; blocks.Forward(x)</c> on embedded inputs). Dropout makes the passes
/// differ only in the masks, not in which positions are connected; checking in eval mode is simpler to read.</para>
/// </remarks>
/// <example><code>
/// CausalityCheck.Assert(x => model.Forward(x), Tensor.Randn([2, 16, 32]));   // throws naming the first leaking pair
/// </code></example>
public static class CausalityCheck
{
    private const string Name = "CausalityCheck";

    /// <summary>The first leaking pair: the smallest output position t with a nonzero gradient at an input position
    /// <c>t' &gt; t</c>, and the smallest such t'; null when the model is causal on this input.</summary>
    /// <param name="model">The model, called once on a copy of <paramref name="input"/> that requires grad.</param>
    /// <param name="input">A floating-point input, e.g. [B, T, C].</param>
    /// <param name="timeDim">The time (sequence) dim, of the input and of the output; negative counts from the end.</param>
    /// <param name="tolerance">The largest gradient magnitude not counted as a dependence.</param>
    /// <returns>(output position, input position) of the first leak, or null.</returns>
    /// <exception cref="ArgumentNullException">model or input is null.</exception>
    /// <exception cref="ArgumentException">The input is not floating-point, the tolerance is negative or NaN, or the model's
    /// output does not depend on the input through the tape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">timeDim is out of range for the input's or the output's shape.</exception>
    public static (int Output, int Input)? FindLeak(Func<Tensor, Tensor> model, Tensor input, int timeDim = 1, double tolerance = 0) =>
        Run(model, input, timeDim, tolerance).Leak;

    /// <summary>Throws when <see cref="FindLeak"/> finds a leak, naming the first leaking pair and the shapes.</summary>
    /// <inheritdoc cref="FindLeak"/>
    /// <exception cref="CausalityException">Output position t depends on an input position t' &gt; t.</exception>
    public static void Assert(Func<Tensor, Tensor> model, Tensor input, int timeDim = 1, double tolerance = 0)
    {
        var (leak, inputShape, outputShape, dim, gradient) = Run(model, input, timeDim, tolerance);
        if (leak is not (int t, int source)) return;
        throw new CausalityException(t, source, string.Create(CultureInfo.InvariantCulture,
            $"{Name}: output position {t} depends on input position {source} > {t} (gradient {gradient:G6}; input {inputShape}, " +
            $"output {outputShape}, timeDim {dim}). Is the causal mask missing or shifted?"));
    }

    private static ((int, int)? Leak, Shape Input, Shape Output, int Dim, double Gradient) Run(Func<Tensor, Tensor> model, Tensor input, int timeDim,
        double tolerance)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check.NotNull(Name, input, nameof(input));
        if (!(tolerance >= 0)) Check.Fail(Name, $"tolerance must be a non-negative number, got {tolerance}.", nameof(tolerance));
        int dim = Check.Dim(Name, timeDim, input.Shape);
        var x = input.Detach().RequireGrad();
        var y = model(x);
        if (y is null || !y.RequiresGrad)
            Check.Fail(Name, $"the model's output {(y is null ? "is null" : y.Label + " does not depend on the input through the tape")}; " +
                "is it run under NoGrad, or does it start from Int64 token indices (check the part after the embedding)?", nameof(model));
        int outDim = timeDim < 0 ? timeDim + y.Rank : timeDim;
        if (outDim < 0 || outDim >= y.Rank)
            Check.FailRange(Name, $"timeDim {timeDim} is out of range for the output {y.Shape} (input {input.Shape}).", nameof(timeDim));
        int steps = y.Shape[outDim], length = x.Shape[dim];
        var w = Tensor.Randn(y.Shape.ToArray(), new Generator(20261206), DType.Float64).ToDoubleArray();
        var (outer, size, inner) = y.Shape.Around(outDim);
        var (inOuter, inSize, inInner) = x.Shape.Around(dim);
        for (int t = 0; t < steps && t < length - 1; t++)
        {
            var s = new double[y.Numel];                                                  // w at output position t, 0 elsewhere
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++) s[(o * size + t) * inner + i] = w[(o * size + t) * inner + i];
            var seed = Tensor.FromArray(s, y.Shape.ToArray()).To(y.DType);
            var g = Autograd.Grad([y], [x], gradOutputs: [seed], retainGraph: true, allowUnused: true)[0];
            if (g is null) continue;
            var values = g.ToDoubleArray();
            for (int source = t + 1; source < inSize; source++)
                for (int o = 0; o < inOuter; o++)
                    for (int i = 0; i < inInner; i++)
                    {
                        double v = values[(o * inSize + source) * inInner + i];
                        if (!(Math.Abs(v) <= tolerance)) return ((t, source), input.Shape, y.Shape, dim, v);
                    }
        }
        return (null, input.Shape, y.Shape, dim, 0);
    }
}

/// <summary>Thrown by <see cref="CausalityCheck.Assert"/>: an output position depends on a later input position.</summary>
public sealed class CausalityException : Exception
{
    /// <summary>Creates the exception for the pair (output position, input position).</summary>
    public CausalityException(int output, int input, string message) : base(message) => (Output, Input) = (output, input);

    /// <summary>The output position t that leaks.</summary>
    public int Output { get; }

    /// <summary>The first input position t' &gt; t it depends on.</summary>
    public int Input { get; }
}
