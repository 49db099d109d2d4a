namespace Autodiff;

public static partial class Ops
{
    /// <summary>Joins tensors along an existing dimension. Same as <c>torch.cat</c>.</summary>
    /// <remarks>Forward <c>y = [x₀ | x₁ | ...]</c> along dim. Backward: each input receives its own slice of <c>g</c>.</remarks>
    /// <exception cref="ArgumentException">The list is empty, the ranks or dtypes differ, or sizes differ outside dim.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        Check.NonEmptyList("Cat", tensors, nameof(tensors));
        var first = tensors[0];
        int d = Check.Dim("Cat", dim, first.Shape);
        int total = 0;
        foreach (var t in tensors)
        {
            bool match = t.Rank == first.Rank;
            for (int i = 0; match && i < t.Rank; i++) match = i == d || t.Shape[i] == first.Shape[i];
            if (!match)
                Check.Fail("Cat", $"shapes {string.Join(", ", tensors.Select(x => x.Shape))} must match except in dim {dim}.", nameof(tensors));
            total += t.Shape[d];
        }
        var outDims = first.Shape.ToArray();
        outDims[d] = total;
        var y = Compute.Zeros(new Shape(outDims), first.DType);
        var strides = y.Shape.Strides();
        for (int i = 0, at = 0; i < tensors.Count; at += tensors[i].Shape[d], i++)
            Compute.ScatterAdd(tensors[i], y, at * strides[d], strides);                // y[.., at:at+size, ..] = xᵢ
        var inputs = tensors.ToArray();

        return Tape.Record("Cat", y, inputs, "dxᵢ += g[slice i]", g =>
        {
            var grads = new Tensor?[inputs.Length];                                      // dxᵢ = g[.., at:at+size, ..]
            for (int i = 0, at = 0; i < inputs.Length; at += inputs[i].Shape[d], i++)
                if (inputs[i].RequiresGrad) grads[i] = Slice(g, d, at, at + inputs[i].Shape[d]);
            return grads;
        });
    }
}
