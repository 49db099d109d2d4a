namespace Autodiff.Optim;

/// <summary>The base of every optimizer: holds the parameters, clears their gradients, and updates them in place.
/// Same idea as <c>torch.optim.Optimizer</c>.</summary>
public abstract class Optimizer
{
    /// <summary>Takes the parameters to optimize, in order.</summary>
    /// <exception cref="ArgumentException">The list is empty, holds a null, or holds a tensor that does not require grad.</exception>
    protected Optimizer(string name, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Name = name;
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0) Check.Fail(name, "got an empty parameter list.", nameof(parameters));
        for (int i = 0; i < Parameters.Count; i++)
        {
            Check.NotNull(name, Parameters[i], $"parameters[{i}]");
            if (!Parameters[i].RequiresGrad)
                Check.Fail(name, $"parameter {i} ({Parameters[i].Label}) does not require grad, so it would never be updated.", nameof(parameters));
        }
    }

    /// <summary>The optimizer's name, used in messages.</summary>
    public string Name { get; }

    /// <summary>The parameters being optimized.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Sets every parameter's gradient to null (PyTorch's default <c>set_to_none=True</c>), before the next Backward.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Grad = null;
    }

    /// <summary>Updates every parameter that has a gradient, in place and without recording on the tape.</summary>
    public void Step()
    {
        using (Tape.NoGrad())
        {
            for (int i = 0; i < Parameters.Count; i++)
                if (Parameters[i].Grad is { } grad) Update(i, Parameters[i], grad);
        }
    }

    /// <summary>Applies the update rule to parameter <paramref name="index"/>.</summary>
    protected abstract void Update(int index, Tensor parameter, Tensor grad);
}
