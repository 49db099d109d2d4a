namespace Autodiff;

public static partial class Ops
{
    /// <summary>The same values with another shape (no copy). One dimension may be -1 and is then inferred.
    /// Same as <c>torch.reshape</c>.</summary>
    /// <remarks>Forward <c>y = x</c> read as <paramref name="shape"/>. Backward <c>dx += g</c> read as x's shape.</remarks>
    /// <exception cref="ArgumentException">The element counts differ, more than one dim is -1, or a dim is below -1.</exception>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        Check.NotNullAnyDType("Reshape", x, nameof(x));
        return ViewAs("Reshape", x, InferShape("Reshape", x, shape));
    }

    /// <summary>The shared body of every reshape-like op: a view over the same buffer whose backward reads g back as x's shape.</summary>
    private static Tensor ViewAs(string op, Tensor x, Shape shape)
    {
        var y = x.View(shape);                                                           // y = x, read as the new shape

        return Tape.Record(op, y, [x], "dx += g (reshaped)", [static (g, e) => ViewAs("Reshape", g, e.Inputs[0].Shape)]);
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
