namespace Autodiff;

/// <summary>What <see cref="Autograd.Grad"/> collects during its backward pass: the gradients of the tensors it was asked
/// about, kept here instead of in their <see cref="Tensor.Grad"/>. Gradients for other leaves are dropped.</summary>
internal sealed class GradCapture(IReadOnlyList<Tensor> targets, bool createGraph)
{
    private readonly Tensor?[] _results = new Tensor?[targets.Count];

    public Tensor?[] Results => _results;

    private int IndexOf(Tensor t)
    {
        for (int i = 0; i < targets.Count; i++) if (ReferenceEquals(targets[i], t)) return i;
        return -1;
    }

    /// <summary>A leaf's share of the gradient: added to the result when it is a target, dropped otherwise.</summary>
    public void Accumulate(Tensor leaf, Tensor gradient)
    {
        int i = IndexOf(leaf);
        if (i < 0) return;
        if (createGraph) _results[i] = _results[i] is { } sum ? Ops.Add(sum, gradient) : gradient;
        else
        {
            if (gradient.Shape != leaf.Shape) gradient = Compute.SumTo(gradient, leaf.Shape);
            if (_results[i] is { } sum) Compute.AddInPlace(sum, gradient);
            else _results[i] = gradient.CloneData();
        }
    }

    /// <summary>For backward kernels that scatter into a leaf's gradient: the result buffer of a target, or scratch.</summary>
    public Tensor BufferFor(Tensor leaf)
    {
        int i = IndexOf(leaf);
        return i < 0 ? Compute.Zeros(leaf.Shape, leaf.DType) : _results[i] ??= Compute.Zeros(leaf.Shape, leaf.DType);
    }

    /// <summary>Called for each non-leaf as the pass reaches it, with its complete gradient; true when it is a target.</summary>
    public bool Offer(Tensor output, Tensor gradient)
    {
        int i = IndexOf(output);
        if (i < 0) return false;
        _results[i] = createGraph ? gradient : gradient.CloneData();
        return true;
    }
}
