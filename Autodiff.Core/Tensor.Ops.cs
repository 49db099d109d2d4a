namespace Autodiff;

// Shortcuts so that code reads like PyTorch: x.MatMul(w) + b, y.Relu().Sum(). Each forwards to Ops; no math here.
public sealed partial class Tensor
{
    /// <summary>Element-wise sum with broadcasting; see <see cref="Ops.Add"/>.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    /// <summary>Element-wise difference with broadcasting; see <see cref="Ops.Sub"/>.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    /// <summary>Element-wise product with broadcasting; see <see cref="Ops.Mul"/>.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    /// <summary>Element-wise quotient with broadcasting; see <see cref="Ops.Div"/>.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    /// <summary>Negation; see <see cref="Ops.Neg"/>.</summary>
    public static Tensor operator -(Tensor x) => Ops.Neg(x);

    // A constant takes the tensor's dtype, as a Python number does in PyTorch: a double (Python float) with a Float32 or
    // Float64 tensor stays in it, and turns an Int64 or Bool tensor into Float32 (torch.tensor([1, 2]) * 0.5 is float32);
    // an integer (Python int) keeps an Int64 tensor Int64 and makes a Bool one Int64 (torch.tensor([1, 2]) + 1 is int64).

    /// <summary>Adds a constant to every element (Float32 for an Int64 or Bool tensor, as PyTorch with a Python float).</summary>
    public static Tensor operator +(Tensor a, double b) => Ops.Add(a, ScalarFor(a, b));
    /// <summary>Adds a constant to every element (Float32 for an Int64 or Bool tensor, as PyTorch with a Python float).</summary>
    public static Tensor operator +(double a, Tensor b) => Ops.Add(ScalarFor(b, a), b);
    /// <summary>Subtracts a constant from every element (Float32 for an Int64 or Bool tensor).</summary>
    public static Tensor operator -(Tensor a, double b) => Ops.Sub(a, ScalarFor(a, b));
    /// <summary>Subtracts every element from a constant (Float32 for an Int64 or Bool tensor).</summary>
    public static Tensor operator -(double a, Tensor b) => Ops.Sub(ScalarFor(b, a), b);
    /// <summary>Multiplies every element by a constant (Float32 for an Int64 or Bool tensor).</summary>
    public static Tensor operator *(Tensor a, double b) => Ops.Mul(a, ScalarFor(a, b));
    /// <summary>Multiplies every element by a constant (Float32 for an Int64 or Bool tensor).</summary>
    public static Tensor operator *(double a, Tensor b) => Ops.Mul(ScalarFor(b, a), b);
    /// <summary>Divides every element by a constant (Float32 for an Int64 or Bool tensor).</summary>
    public static Tensor operator /(Tensor a, double b) => Ops.Div(a, ScalarFor(a, b));
    /// <summary>Divides a constant by every element (Float32 for an Int64 or Bool tensor).</summary>
    public static Tensor operator /(double a, Tensor b) => Ops.Div(ScalarFor(b, a), b);

    /// <summary>Adds an integer to every element: an Int64 tensor stays Int64 and a Bool one becomes Int64, as PyTorch
    /// with a Python int; a floating-point tensor keeps its dtype.</summary>
    public static Tensor operator +(Tensor a, long b) => Ops.Add(a, ScalarFor(a, b));
    /// <summary>Adds an integer to every element (Int64 for an Int64 or Bool tensor).</summary>
    public static Tensor operator +(long a, Tensor b) => Ops.Add(ScalarFor(b, a), b);
    /// <summary>Subtracts an integer from every element (Int64 for an Int64 or Bool tensor).</summary>
    public static Tensor operator -(Tensor a, long b) => Ops.Sub(a, ScalarFor(a, b));
    /// <summary>Subtracts every element from an integer (Int64 for an Int64 or Bool tensor).</summary>
    public static Tensor operator -(long a, Tensor b) => Ops.Sub(ScalarFor(b, a), b);
    /// <summary>Multiplies every element by an integer (Int64 for an Int64 or Bool tensor).</summary>
    public static Tensor operator *(Tensor a, long b) => Ops.Mul(a, ScalarFor(a, b));
    /// <summary>Multiplies every element by an integer (Int64 for an Int64 or Bool tensor).</summary>
    public static Tensor operator *(long a, Tensor b) => Ops.Mul(ScalarFor(b, a), b);
    /// <summary>Divides every element by an integer: true division, so Float32 for an Int64 or Bool tensor (as <c>torch.div</c>).</summary>
    public static Tensor operator /(Tensor a, long b) => Ops.Div(a, ScalarFor(a, b));
    /// <summary>Divides an integer by every element: true division, so Float32 for an Int64 or Bool tensor.</summary>
    public static Tensor operator /(long a, Tensor b) => Ops.Div(ScalarFor(b, a), b);

    /// <summary>A double constant beside <paramref name="t"/>: in its dtype when floating-point, else Float32.</summary>
    private static Tensor ScalarFor(Tensor? t, double value) => Scalar(value, t is { IsFloatingPoint: true } ? t.DType : DType.Float32);

    /// <summary>An integer constant beside <paramref name="t"/>: in its dtype when floating-point, else an exact Int64.</summary>
    private static Tensor ScalarFor(Tensor? t, long value) =>
        t is { IsFloatingPoint: true } ? Scalar(value, t.DType) : new Tensor(Shape.Scalar, new long[] { value });

    /// <summary>Starts a scope in which no op is recorded. Same as <c>torch.no_grad()</c>; see <see cref="Tape.NoGrad"/>.</summary>
    public static NoGradScope NoGrad() => Tape.NoGrad();

    /// <summary>See <see cref="Ops.Add"/>.</summary>
    public Tensor Add(Tensor other) => Ops.Add(this, other);
    /// <summary>See <see cref="Ops.Sub"/>.</summary>
    public Tensor Sub(Tensor other) => Ops.Sub(this, other);
    /// <summary>See <see cref="Ops.Mul"/>.</summary>
    public Tensor Mul(Tensor other) => Ops.Mul(this, other);
    /// <summary>See <see cref="Ops.Div"/>.</summary>
    public Tensor Div(Tensor other) => Ops.Div(this, other);
    /// <summary>See <see cref="Ops.Neg"/>.</summary>
    public Tensor Neg() => Ops.Neg(this);
    /// <summary>See <see cref="Ops.Exp"/>.</summary>
    public Tensor Exp() => Ops.Exp(this);

    /// <summary>Draws 0/1 with this tensor's elements as probabilities; see <see cref="Ops.Bernoulli"/>.</summary>
    /// <param name="generator">The random source; null for <see cref="Generator.Default"/>.</param>
    public Tensor Bernoulli(Generator? generator = null) => Ops.Bernoulli(this, generator);
    /// <summary>See <see cref="Ops.Log"/>.</summary>
    public Tensor Log() => Ops.Log(this);
    /// <summary>See <see cref="Ops.Log1p"/>.</summary>
    public Tensor Log1p() => Ops.Log1p(this);
    /// <summary>See <see cref="Ops.Tanh"/>.</summary>
    public Tensor Tanh() => Ops.Tanh(this);
    /// <summary>See <see cref="Ops.Sigmoid"/>.</summary>
    public Tensor Sigmoid() => Ops.Sigmoid(this);
    /// <summary>See <see cref="Ops.Relu"/>.</summary>
    public Tensor Relu() => Ops.Relu(this);
    /// <summary>See <see cref="Ops.LeakyRelu"/>.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) => Ops.LeakyRelu(this, negativeSlope);
    /// <summary>See <see cref="Ops.Gelu"/>.</summary>
    public Tensor Gelu(bool approximateTanh = false) => Ops.Gelu(this, approximateTanh);
    /// <summary>See <see cref="Ops.Softplus"/>.</summary>
    public Tensor Softplus(double beta = 1, double threshold = 20) => Ops.Softplus(this, beta, threshold);
    /// <summary>See <see cref="Ops.Sqrt"/>.</summary>
    public Tensor Sqrt() => Ops.Sqrt(this);
    /// <summary>See <see cref="Ops.Abs"/>.</summary>
    public Tensor Abs() => Ops.Abs(this);
    /// <summary>See <see cref="Ops.Pow"/>.</summary>
    public Tensor Pow(float exponent) => Ops.Pow(this, exponent);
    /// <summary>See <see cref="Ops.Pow"/>.</summary>
    public Tensor Pow(double exponent) => Ops.Pow(this, exponent);
    /// <summary>See <see cref="Ops.Clamp"/>.</summary>
    public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity) => Ops.Clamp(this, min, max);
    /// <summary>See <see cref="Ops.Maximum"/>.</summary>
    public Tensor Maximum(Tensor other) => Ops.Maximum(this, other);
    /// <summary>See <see cref="Ops.Minimum"/>.</summary>
    public Tensor Minimum(Tensor other) => Ops.Minimum(this, other);
    /// <summary>See <see cref="Ops.MatMul"/>.</summary>
    public Tensor MatMul(Tensor other) => Ops.MatMul(this, other);
    /// <summary>See <see cref="Ops.Sum(Tensor)"/>.</summary>
    public Tensor Sum() => Ops.Sum(this);
    /// <summary>See <see cref="Ops.Sum(Tensor, int, bool)"/>.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Ops.Sum(this, dim, keepDim);
    /// <summary>See <see cref="Ops.Mean(Tensor)"/>.</summary>
    public Tensor Mean() => Ops.Mean(this);
    /// <summary>See <see cref="Ops.Mean(Tensor, int, bool)"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Ops.Mean(this, dim, keepDim);
    /// <summary>See <see cref="Ops.Max(Tensor)"/>.</summary>
    public Tensor Max() => Ops.Max(this);
    /// <summary>See <see cref="Ops.Max(Tensor, int, bool)"/>.</summary>
    public Tensor Max(int dim, bool keepDim = false) => Ops.Max(this, dim, keepDim);
    /// <summary>See <see cref="Ops.Min(Tensor)"/>.</summary>
    public Tensor Min() => Ops.Min(this);
    /// <summary>See <see cref="Ops.Min(Tensor, int, bool)"/>.</summary>
    public Tensor Min(int dim, bool keepDim = false) => Ops.Min(this, dim, keepDim);
    /// <summary>See <see cref="Ops.Argmax"/>.</summary>
    public Tensor Argmax(int dim, bool keepDim = false) => Ops.Argmax(this, dim, keepDim);

    /// <summary>See <see cref="Ops.TopK"/>.</summary>
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true, bool sorted = true) => Ops.TopK(this, k, dim, largest, sorted);

    /// <summary>See <see cref="Ops.Sort"/>.</summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false) => Ops.Sort(this, dim, descending);

    /// <summary>See <see cref="Ops.ArgSort"/>.</summary>
    public Tensor ArgSort(int dim = -1, bool descending = false) => Ops.ArgSort(this, dim, descending);
    /// <summary>See <see cref="Ops.Softmax"/>.</summary>
    public Tensor Softmax(int dim) => Ops.Softmax(this, dim);
    /// <summary>See <see cref="Ops.LogSoftmax"/>.</summary>
    public Tensor LogSoftmax(int dim) => Ops.LogSoftmax(this, dim);
    /// <summary>See <see cref="Ops.Reshape"/>.</summary>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);
    /// <summary>See <see cref="Ops.Flatten"/>.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1) => Ops.Flatten(this, startDim, endDim);
    /// <summary>See <see cref="Ops.Transpose"/>.</summary>
    public Tensor Transpose(int dim0, int dim1) => Ops.Transpose(this, dim0, dim1);
    /// <summary>See <see cref="Ops.Permute"/>.</summary>
    public Tensor Permute(params int[] dims) => Ops.Permute(this, dims);
    /// <summary>See <see cref="Ops.Unsqueeze"/>.</summary>
    public Tensor Unsqueeze(int dim) => Ops.Unsqueeze(this, dim);
    /// <summary>See <see cref="Ops.Squeeze(Tensor, int)"/>.</summary>
    public Tensor Squeeze(int dim) => Ops.Squeeze(this, dim);
    /// <summary>See <see cref="Ops.Squeeze(Tensor)"/>.</summary>
    public Tensor Squeeze() => Ops.Squeeze(this);
    /// <summary>See <see cref="Ops.Expand"/>.</summary>
    public Tensor Expand(params int[] shape) => Ops.Expand(this, shape);
    /// <summary>See <see cref="Ops.Slice"/>.</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1) => Ops.Slice(this, dim, start, end, step);
    /// <summary>See <see cref="Ops.Select"/>.</summary>
    public Tensor Select(int dim, int index) => Ops.Select(this, dim, index);
    /// <summary>See <see cref="Ops.IndexSelect(Tensor, int, int[])"/>.</summary>
    public Tensor IndexSelect(int dim, int[] indices) => Ops.IndexSelect(this, dim, indices);

    /// <summary>See <see cref="Ops.IndexSelect(Tensor, int, Tensor)"/>.</summary>
    public Tensor IndexSelect(int dim, Tensor index) => Ops.IndexSelect(this, dim, index);

    /// <summary>See <see cref="Ops.Gather"/>.</summary>
    public Tensor Gather(int dim, Tensor index) => Ops.Gather(this, dim, index);

    /// <summary>See <see cref="Ops.ScatterAdd"/>.</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => Ops.ScatterAdd(this, dim, index, src);

    /// <summary>See <see cref="Ops.Scatter"/>.</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor src) => Ops.Scatter(this, dim, index, src);
    /// <summary>See <see cref="Ops.To"/>.</summary>
    public Tensor To(DType dtype) => Ops.To(this, dtype);

    /// <summary>See <see cref="Ops.Sin"/>.</summary>
    public Tensor Sin() => Ops.Sin(this);
    /// <summary>See <see cref="Ops.Cos"/>.</summary>
    public Tensor Cos() => Ops.Cos(this);
    /// <summary>See <see cref="Ops.Square"/>.</summary>
    public Tensor Square() => Ops.Square(this);
    /// <summary>See <see cref="Ops.Rsqrt"/>.</summary>
    public Tensor Rsqrt() => Ops.Rsqrt(this);
    /// <summary>See <see cref="Ops.LogSumExp"/>.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => Ops.LogSumExp(this, dim, keepDim);
    /// <summary>See <see cref="Ops.Var"/>.</summary>
    public Tensor Var(int? dim = null, double correction = 1, bool keepDim = false) => Ops.Var(this, dim, correction, keepDim);
    /// <summary>See <see cref="Ops.Std"/>.</summary>
    public Tensor Std(int? dim = null, double correction = 1, bool keepDim = false) => Ops.Std(this, dim, correction, keepDim);
    /// <summary>See <see cref="Ops.CumSum"/>.</summary>
    public Tensor CumSum(int dim) => Ops.CumSum(this, dim);
    /// <summary>See <see cref="Ops.Norm"/> (PyTorch's <c>x.norm(p, dim, keepdim)</c> for vectors).</summary>
    public Tensor Norm(double p = 2, int? dim = null, bool keepDim = false) => Ops.Norm(this, p, dim, keepDim);
    /// <summary>See <see cref="Ops.Tril"/>.</summary>
    public Tensor Tril(int diagonal = 0) => Ops.Tril(this, diagonal);
    /// <summary>See <see cref="Ops.Triu"/>.</summary>
    public Tensor Triu(int diagonal = 0) => Ops.Triu(this, diagonal);
    /// <summary>See <see cref="Ops.MaskedFill"/>.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Ops.MaskedFill(this, mask, value);

    /// <summary>The transpose of a matrix, recorded. Same as PyTorch's <c>x.T</c> for a 2-D tensor.</summary>
    /// <remarks><c>Ops.Transpose(x, 0, 1)</c>. PyTorch deprecates <c>.T</c> on other ranks (it reverses all dims), so here it
    /// throws; use <see cref="MT"/> to swap the last two dims of a batch, or <see cref="Permute"/>.</remarks>
    /// <exception cref="InvalidOperationException">The tensor is not 2-D (the message names its shape).</exception>
    public Tensor T
    {
        get
        {
            if (Rank != 2)
                Check.FailState("T", $"expects a 2-D tensor, got shape {Shape} (rank {Rank}); use MT to transpose the last two dims, " +
                    "or Permute to reverse them all.");
            return Ops.Transpose(this, 0, 1);
        }
    }

    /// <summary>The last two dims swapped (the transpose of every matrix in a batch), recorded. Same as PyTorch's <c>x.mT</c>.</summary>
    /// <remarks><c>Ops.Transpose(x, -2, -1)</c>.</remarks>
    /// <exception cref="InvalidOperationException">The tensor has fewer than 2 dims (the message names its shape).</exception>
    public Tensor MT
    {
        get
        {
            if (Rank < 2)
                Check.FailState("MT", $"expects a matrix or a batch of matrices (at least 2 dims), got shape {Shape} (rank {Rank}).");
            return Ops.Transpose(this, -2, -1);
        }
    }
}
