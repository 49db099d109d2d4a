namespace Autodiff;

public static partial class Ops
{
    /// <summary>The same values with another shape (no copy). One dimension may be -1 and is then inferred.
    /// Same as <c>torch.reshape</c>.</summary>
    /// <remarks>Forward <c>y = x</c> read as <paramref name="shape"/>. Backward <c>dx += g</c> read as x's shape.</remarks>
    /// <exception cref="ArgumentException">The element counts differ, more than one dim is -1, or a dim is below -1.</exception>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        Check.NotNull("Reshape", x, nameof(x));
        return ViewAs("Reshape", x, InferShape("Reshape", x, shape));
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (in <c>[-rank-1, rank]</c>). Same as <c>torch.unsqueeze</c>.</summary>
    /// <remarks>A reshape: backward <c>dx += g</c> read as x's shape.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Unsqueeze(Tensor x, int dim)
    {
        Check.NotNull("Unsqueeze", x, nameof(x));
        int d = Check.Dim("Unsqueeze", dim, x.Shape, x.Rank + 1);
        var dims = new List<int>(x.Shape.ToArray());
        dims.Insert(d, 1);
        return ViewAs("Unsqueeze", x, new Shape([.. dims]));
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (otherwise returns the same values, as PyTorch).
    /// Same as <c>torch.squeeze(x, dim)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Squeeze(Tensor x, int dim)
    {
        Check.NotNull("Squeeze", x, nameof(x));
        int d = Check.Dim("Squeeze", dim, x.Shape);
        return x.Shape[d] != 1 ? ViewAs("Squeeze", x, x.Shape) : ViewAs("Squeeze", x, x.Shape.Reduce(d, keepDim: false));
    }

    /// <summary>Removes every dimension of size 1. Same as <c>torch.squeeze(x)</c>.</summary>
    public static Tensor Squeeze(Tensor x)
    {
        Check.NotNull("Squeeze", x, nameof(x));
        return ViewAs("Squeeze", x, new Shape([.. x.Shape.Where(s => s != 1)]));
    }

    /// <summary>Collapses dimensions <paramref name="startDim"/> to <paramref name="endDim"/> into one. Same as <c>torch.flatten</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dim is out of range, or startDim comes after endDim.</exception>
    public static Tensor Flatten(Tensor x, int startDim = 0, int endDim = -1)
    {
        Check.NotNull("Flatten", x, nameof(x));
        if (x.Rank == 0) return ViewAs("Flatten", x, new Shape(1));
        int s = Check.Dim("Flatten", startDim, x.Shape), e = Check.Dim("Flatten", endDim, x.Shape);
        if (s > e) Check.FailRange("Flatten", $"startDim {startDim} comes after endDim {endDim} for shape {x.Shape}.", nameof(startDim));
        var dims = x.Shape.ToArray();
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= dims[i];
        return ViewAs("Flatten", x, new Shape([.. dims[..s], merged, .. dims[(e + 1)..]]));
    }

    /// <summary>The shared body of every reshape-like op: a view over the same buffer whose backward reads g back as x's shape.</summary>
    private static Tensor ViewAs(string op, Tensor x, Shape shape)
    {
        var y = x.View(shape);                                                           // y = x, read as the new shape

        return Tape.Record(op, y, [x], "dx += g (reshaped)", dy =>
            x.AccumulateGrad(dy.View(x.Shape)),                                          // dx += g
            dy => [Reshape(dy, x.Shape.ToArray())]);
    }

    private static Shape InferShape(string op, Tensor x, int[] shape)
    {
        Check.NotNullArg(op, shape, nameof(shape));
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) Check.Fail(op, $"only one dimension can be -1, got {Shape.Format(shape)}.", nameof(shape));
                infer = i;
            }
            else if (shape[i] < 0) Check.Fail(op, $"invalid dimension {shape[i]} in {Shape.Format(shape)}.", nameof(shape));
            else known *= shape[i];
        }
        var dims = (int[])shape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || x.Numel % known != 0)
                Check.Fail(op, $"cannot reshape {x.Shape} ({x.Numel} elements) into {Shape.Format(shape)}.", nameof(shape));
            dims[infer] = (int)(x.Numel / known);
        }
        else if (known != x.Numel)
        {
            Check.Fail(op, $"cannot reshape {x.Shape} ({x.Numel} elements) into {Shape.Format(shape)} ({known} elements).", nameof(shape));
        }
        return Check.ShapeArg(op, dims);
    }
}
