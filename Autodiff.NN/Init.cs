using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>In-place initialisation of parameters. Same as <c>torch.nn.init</c>: <see cref="Uniform_"/>,
/// <see cref="Normal_"/>, <see cref="Constant_"/>, <see cref="Zeros_"/>, <see cref="Ones_"/>,
/// <see cref="XavierUniform_"/>, <see cref="XavierNormal_"/>, <see cref="KaimingUniform_"/>, <see cref="KaimingNormal_"/>,
/// <see cref="Orthogonal_"/>, with <see cref="CalculateGain"/> and <see cref="CalculateFanInAndFanOut"/>.</summary>
/// <remarks>
/// <para>Every function overwrites the values of the tensor it is given and returns that tensor, as PyTorch's run under
/// <c>torch.no_grad()</c>: nothing is recorded on the tape, the tensor stays the same object (an optimizer built earlier
/// keeps training it, and <see cref="Tensor.RequiresGrad"/>, a frozen layer, is kept), and the write counts as an in-place
/// modification (<see cref="Tensor.Version"/>), so a recorded graph that saved the old values refuses to backward through
/// them. Float32 and Float64 tensors are filled alike; random values come from the generator passed in, or from
/// <see cref="Generator.Default"/> (seeded with <see cref="Generator.ManualSeed"/>) when it is null.</para>
/// <para>Fans are PyTorch's (<c>_calculate_fan_in_and_fan_out</c>): for a weight <c>[out, in, k...]</c>, fanIn is
/// <c>in · Πk</c> and fanOut is <c>out · Πk</c>, so Linear <c>[out, in]</c> and Conv2d <c>[out, in/groups, kH, kW]</c>
/// weights get the numbers PyTorch gives them. The values drawn differ from PyTorch's (another random generator), their
/// distributions do not.</para>
/// </remarks>
/// <example><code>
/// model.Apply(m =>
/// {
///     if (m is Linear l) { Init.KaimingNormal_(l.Weight, nonlinearity: "relu"); if (l.Bias is { } b) Init.Zeros_(b); }
/// });
/// </code></example>
public static class Init
{
    private static readonly string[] s_linearNames =
        ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"];

    /// <summary>The recommended gain for a nonlinearity, by PyTorch's name. Same as <c>torch.nn.init.calculate_gain</c>.</summary>
    /// <remarks>linear, conv1d/2d/3d, conv_transpose1d/2d/3d and sigmoid: 1; tanh: 5/3; relu: √2; leaky_relu:
    /// <c>√(2 / (1 + slope²))</c> with slope <paramref name="param"/> (0.01 when null); selu: 3/4.</remarks>
    /// <param name="nonlinearity">The function's name, lower case as PyTorch spells it (<c>"relu"</c>, <c>"leaky_relu"</c>).</param>
    /// <param name="param">The negative slope for <c>"leaky_relu"</c>; ignored by the others.</param>
    /// <exception cref="ArgumentException">The nonlinearity is not one of those names.</exception>
    public static double CalculateGain(string nonlinearity, double? param = null)
    {
        Check.NotNullArg("Init.CalculateGain", nonlinearity, nameof(nonlinearity));
        if (Array.IndexOf(s_linearNames, nonlinearity) >= 0 || nonlinearity == "sigmoid") return 1;
        switch (nonlinearity)
        {
            case "tanh": return 5.0 / 3;
            case "relu": return Math.Sqrt(2.0);
            case "leaky_relu":
                double slope = param ?? 0.01;
                return Math.Sqrt(2.0 / (1 + slope * slope));
            case "selu": return 3.0 / 4;
        }
        Check.Fail("Init.CalculateGain", $"unsupported nonlinearity '{nonlinearity}'; expected one of " +
            $"{string.Join(", ", s_linearNames)}, sigmoid, tanh, relu, leaky_relu, selu.", nameof(nonlinearity));
        return 0;
    }

    /// <summary>The fan-in and fan-out of a weight, as PyTorch's <c>torch.nn.init._calculate_fan_in_and_fan_out</c>:
    /// for shape <c>[out, in, k...]</c>, <c>fanIn = in · Πk</c> and <c>fanOut = out · Πk</c>.</summary>
    /// <param name="tensor">A weight of rank 2 or more: Linear <c>[out, in]</c>, Conv2d <c>[out, in/groups, kH, kW]</c>.</param>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor) => Fans("Init.CalculateFanInAndFanOut", tensor);

    private static (int FanIn, int FanOut) Fans(string op, Tensor tensor)
    {
        Check.NotNull(op, tensor, nameof(tensor));
        if (tensor.Rank < 2)
            Check.Fail(op, $"fan in and fan out can not be computed for {tensor.Label}, which has fewer than 2 dimensions.", nameof(tensor));
        int receptiveField = 1;
        for (int d = 2; d < tensor.Rank; d++) receptiveField *= tensor.Shape[d];
        return (tensor.Shape[1] * receptiveField, tensor.Shape[0] * receptiveField);
    }

    /// <summary>Fills <paramref name="tensor"/> with values drawn uniformly from <c>[a, b)</c>. Same as
    /// <c>torch.nn.init.uniform_</c>.</summary>
    /// <remarks>The values, in row-major order, are those <c>Tensor.Uniform(shape, a, b, generator)</c> would give.</remarks>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">a or b is not finite, or a &gt; b.</exception>
    public static Tensor Uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
    {
        Check.NotNull("Init.Uniform_", tensor, nameof(tensor));
        CheckBounds("Init.Uniform_", a, b);
        (generator ?? Generator.Default).FillUniform(tensor, a, b);
        return Modified(tensor);
    }

    /// <summary>Fills <paramref name="tensor"/> with values drawn from the normal distribution <c>N(mean, std²)</c>. Same as
    /// <c>torch.nn.init.normal_</c>.</summary>
    /// <remarks>Each value is <c>mean + std · z</c>, computed in double and then rounded to the tensor's dtype, with z the
    /// standard normal samples <c>Tensor.Randn</c> draws in the tensor's dtype, in row-major order.</remarks>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">mean is not finite, or std is negative or not finite.</exception>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        Check.NotNull("Init.Normal_", tensor, nameof(tensor));
        CheckNormal("Init.Normal_", mean, std);
        return FillNormal(tensor, mean, std, generator);
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/> (rounded to its dtype). Same as
    /// <c>torch.nn.init.constant_</c>.</summary>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        Check.NotNull("Init.Constant_", tensor, nameof(tensor));
        Compute.Run(tensor.DType, new FillKernel(tensor, value));
        return Modified(tensor);
    }

    /// <summary>Fills <paramref name="tensor"/> with zeros. Same as <c>torch.nn.init.zeros_</c>.</summary>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public static Tensor Zeros_(Tensor tensor)
    {
        Check.NotNull("Init.Zeros_", tensor, nameof(tensor));
        return Constant_(tensor, 0);
    }

    /// <summary>Fills <paramref name="tensor"/> with ones. Same as <c>torch.nn.init.ones_</c>.</summary>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public static Tensor Ones_(Tensor tensor)
    {
        Check.NotNull("Init.Ones_", tensor, nameof(tensor));
        return Constant_(tensor, 1);
    }

    /// <summary>Glorot initialisation: fills <paramref name="tensor"/> uniformly from <c>[-bound, bound)</c> with
    /// <c>bound = gain · √(6 / (fanIn + fanOut))</c>. Same as <c>torch.nn.init.xavier_uniform_</c>.</summary>
    /// <remarks>The standard deviation is <c>gain · √(2 / (fanIn + fanOut))</c>; see <see cref="CalculateFanInAndFanOut"/>.</remarks>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions, or gain is negative or not finite.</exception>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans("Init.XavierUniform_", tensor);
        CheckGain("Init.XavierUniform_", gain);
        double bound = Math.Sqrt(3.0) * gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return tensor.Numel == 0 ? tensor : Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot initialisation: fills <paramref name="tensor"/> from <c>N(0, std²)</c> with
    /// <c>std = gain · √(2 / (fanIn + fanOut))</c>. Same as <c>torch.nn.init.xavier_normal_</c>.</summary>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions, or gain is negative or not finite.</exception>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans("Init.XavierNormal_", tensor);
        CheckGain("Init.XavierNormal_", gain);
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return tensor.Numel == 0 ? tensor : FillNormal(tensor, 0, std, generator);
    }

    /// <summary>He initialisation: fills <paramref name="tensor"/> uniformly from <c>[-bound, bound)</c> with
    /// <c>bound = gain · √(3 / fan)</c>, gain = <c>CalculateGain(nonlinearity, a)</c>. Same as
    /// <c>torch.nn.init.kaiming_uniform_</c>.</summary>
    /// <remarks>The standard deviation is <c>gain / √fan</c>. PyTorch's defaults (<c>a = 0</c>, leaky_relu) give
    /// gain √2. A tensor with no elements is left as it is (PyTorch warns and does the same).</remarks>
    /// <param name="tensor">The weight, of rank 2 or more.</param>
    /// <param name="a">The negative slope of the rectifier after this layer (leaky_relu only).</param>
    /// <param name="mode"><c>"fan_in"</c> (the default) keeps the variance of the activations in the forward pass,
    /// <c>"fan_out"</c> that of the gradients in the backward pass; case-insensitive, as PyTorch.</param>
    /// <param name="nonlinearity">The nonlinearity after this layer, as named by <see cref="CalculateGain"/>; PyTorch
    /// recommends <c>"relu"</c> or <c>"leaky_relu"</c> (the default).</param>
    /// <param name="generator">The random generator, or null for <see cref="Generator.Default"/>.</param>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor, mode or nonlinearity is null.</exception>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions, or the mode or nonlinearity is not a
    /// known name.</exception>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
        Generator? generator = null)
    {
        Check.NotNull("Init.KaimingUniform_", tensor, nameof(tensor));
        if (tensor.Numel == 0) return tensor;
        double std = KaimingStd("Init.KaimingUniform_", tensor, a, mode, nonlinearity);
        return Uniform_(tensor, -Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std, generator);
    }

    /// <summary>He initialisation: fills <paramref name="tensor"/> from <c>N(0, std²)</c> with <c>std = gain / √fan</c>,
    /// gain = <c>CalculateGain(nonlinearity, a)</c>. Same as <c>torch.nn.init.kaiming_normal_</c>.</summary>
    /// <inheritdoc cref="KaimingUniform_"/>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
        Generator? generator = null)
    {
        Check.NotNull("Init.KaimingNormal_", tensor, nameof(tensor));
        if (tensor.Numel == 0) return tensor;
        double std = KaimingStd("Init.KaimingNormal_", tensor, a, mode, nonlinearity);
        return FillNormal(tensor, 0, std, generator);
    }

    private static double KaimingStd(string op, Tensor tensor, double a, string mode, string nonlinearity)
    {
        Check.NotNullArg(op, mode, nameof(mode));
        Check.NotNullArg(op, nonlinearity, nameof(nonlinearity));
        var (fanIn, fanOut) = Fans(op, tensor);
        int fan = mode.ToLowerInvariant() switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => FailMode(op, mode),
        };
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static int FailMode(string op, string mode)
    {
        Check.Fail(op, $"mode '{mode}' is not supported; use 'fan_in' or 'fan_out'.", nameof(mode));
        return 0;
    }

    /// <summary>Fills <paramref name="tensor"/> with a (semi-)orthogonal matrix times <paramref name="gain"/>. Same as
    /// <c>torch.nn.init.orthogonal_</c>.</summary>
    /// <remarks>As PyTorch: the tensor is seen as a matrix <c>[rows, cols]</c> with rows its first dimension and cols the
    /// product of the others; a matrix of that shape is drawn from a standard normal, its QR decomposition taken (of its
    /// transpose when rows &lt; cols), and Q, with the signs that make R's diagonal positive, written in. So the
    /// columns are orthonormal when rows ≥ cols (<c>QᵀQ = I</c>) and the rows when rows ≤ cols (<c>QQᵀ = I</c>), before the
    /// multiplication by gain: the Haar-distributed orthogonal matrices of Saxe et al. (2013). The QR runs in double
    /// (Gram-Schmidt with reorthogonalisation) whatever the tensor's dtype. A tensor with no elements is left as it is.</remarks>
    /// <returns>The same tensor.</returns>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions, or gain is not finite.</exception>
    public static Tensor Orthogonal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        Check.NotNull("Init.Orthogonal_", tensor, nameof(tensor));
        if (tensor.Rank < 2)
            Check.Fail("Init.Orthogonal_", $"only tensors with 2 or more dimensions are supported, got {tensor.Label}.", nameof(tensor));
        if (!double.IsFinite(gain)) Check.Fail("Init.Orthogonal_", $"gain must be finite, got {Format(gain)}.", nameof(gain));
        if (tensor.Numel == 0) return tensor;
        int rows = tensor.Shape[0], cols = tensor.Numel / rows;
        var drawn = new double[rows * cols];                        // [rows, cols], row-major
        (generator ?? Generator.Default).FillNormal<double>(drawn);

        // The vectors to orthonormalize are the columns of the tall matrix: of [rows, cols] when rows >= cols, of its
        // transpose (the rows) otherwise. vectors[k] holds vector k contiguously.
        bool tall = rows >= cols;
        int count = Math.Min(rows, cols), length = Math.Max(rows, cols);
        var vectors = new double[count][];
        for (int k = 0; k < count; k++)
        {
            var v = vectors[k] = new double[length];
            for (int i = 0; i < length; i++) v[i] = tall ? drawn[i * cols + k] : drawn[k * cols + i];
        }
        Orthonormalize(vectors);

        var values = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                values[r * cols + c] = gain * (tall ? vectors[c][r] : vectors[r][c]);
        Compute.Run(tensor.DType, new WriteKernel(tensor, values));
        return Modified(tensor);
    }

    /// <summary>Gram-Schmidt, twice per vector ("twice is enough", Giraud et al. 2005): vector k becomes column k of the Q
    /// of the QR decomposition whose R has a positive diagonal. The vectors are independent with probability one.</summary>
    private static void Orthonormalize(double[][] vectors)
    {
        for (int k = 0; k < vectors.Length; k++)
        {
            var v = vectors[k];
            for (int pass = 0; pass < 2; pass++)
                for (int j = 0; j < k; j++)
                {
                    var q = vectors[j];
                    double dot = 0;
                    for (int i = 0; i < v.Length; i++) dot += q[i] * v[i];
                    for (int i = 0; i < v.Length; i++) v[i] -= dot * q[i];
                }
            double norm = 0;
            for (int i = 0; i < v.Length; i++) norm += v[i] * v[i];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < v.Length; i++) v[i] /= norm;
        }
    }

    private static Tensor FillNormal(Tensor tensor, double mean, double std, Generator? generator)
    {
        Compute.Run(tensor.DType, new NormalKernel(tensor, mean, std, generator ?? Generator.Default));   // mean + std·z
        return Modified(tensor);
    }

    private static Tensor Modified(Tensor tensor)
    {
        tensor.MarkModified();   // a graph that saved the old values refuses to backward through them
        return tensor;
    }

    private static void CheckBounds(string op, double a, double b)
    {
        if (!double.IsFinite(a) || !double.IsFinite(b))
            Check.Fail(op, $"bounds must be finite, got a = {Format(a)}, b = {Format(b)}.", double.IsFinite(a) ? nameof(b) : nameof(a));
        if (a > b) Check.Fail(op, $"a must not exceed b, got a = {Format(a)}, b = {Format(b)}.", nameof(a));
    }

    private static void CheckNormal(string op, double mean, double std)
    {
        if (!double.IsFinite(mean)) Check.Fail(op, $"mean must be finite, got {Format(mean)}.", nameof(mean));
        if (!(std >= 0) || double.IsInfinity(std)) Check.Fail(op, $"std must be non-negative and finite, got {Format(std)}.", nameof(std));
    }

    private static void CheckGain(string op, double gain)
    {
        if (!(gain >= 0) || double.IsInfinity(gain)) Check.Fail(op, $"gain must be non-negative and finite, got {Format(gain)}.", nameof(gain));
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>tensor[i] = value</c>, rounded to the tensor's dtype.</summary>
    private readonly struct FillKernel(Tensor tensor, double value) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => tensor.Data<T>().Fill(T.CreateTruncating(value));
    }

    /// <summary><c>tensor[i] = mean + std·z[i]</c>, z drawn as <c>Tensor.Randn</c> draws it in the tensor's dtype, the affine
    /// map computed in double and rounded to the dtype.</summary>
    private readonly struct NormalKernel(Tensor tensor, double mean, double std, Generator generator) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var span = tensor.Data<T>();
            generator.FillNormal(span);
            for (int i = 0; i < span.Length; i++) span[i] = T.CreateTruncating(mean + std * double.CreateTruncating(span[i]));
        }
    }

    /// <summary><c>tensor[i] = values[i]</c>, rounded to the tensor's dtype.</summary>
    private readonly struct WriteKernel(Tensor tensor, double[] values) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var span = tensor.Data<T>();
            for (int i = 0; i < span.Length; i++) span[i] = T.CreateTruncating(values[i]);
        }
    }
}
