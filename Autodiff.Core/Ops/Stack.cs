namespace Autodiff;

public static partial class Ops
{
    /// <summary>Joins same-shaped tensors along a new dimension. Same as <c>torch.stack</c>.</summary>
    /// <remarks>Composite: <c>Cat</c> of each tensor unsqueezed at dim.</remarks>
    /// <exception cref="ArgumentException">The list is empty, or the shapes or dtypes differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        Check.NonEmptyList("Stack", tensors, nameof(tensors));
        foreach (var t in tensors)
            if (t.Shape != tensors[0].Shape)
                Check.Fail("Stack", $"shapes {string.Join(", ", tensors.Select(x => x.Shape))} must all be equal.", nameof(tensors));
        int d = Check.Dim("Stack", dim, tensors[0].Shape, tensors[0].Rank + 1);
        return Cat(tensors.Select(t => Unsqueeze(t, d)).ToArray(), d);
    }
}
