namespace Autodiff.NN;

/// <summary>Runs its modules one after another, registered as <c>0</c>, <c>1</c>, ... Same as <c>torch.nn.Sequential</c>.</summary>
/// <example><code>
/// var model = new Sequential(new Linear(784, 100), new ReLU(), new Linear(100, 10));
/// var logits = model.Forward(x);                     // parameters: 0.weight, 0.bias, 2.weight, 2.bias
/// </code></example>
public sealed class Sequential : Module
{
    private readonly Module[] _modules;

    /// <summary>Creates the chain.</summary>
    /// <exception cref="ArgumentNullException">A module is null.</exception>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        _modules = modules;
        for (int i = 0; i < modules.Length; i++) RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), modules[i]);
    }

    /// <summary>The module at position <paramref name="index"/>.</summary>
    public Module this[int index] => _modules[index];

    /// <summary>The number of modules.</summary>
    public int Count => _modules.Length;

    /// <summary>Runs the modules in order. A module's <see cref="ArgumentException"/> is rethrown naming its position,
    /// its description and the shape it received, with the original as the inner exception.</summary>
    /// <exception cref="ArgumentException">A module rejected its input.</exception>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _modules.Length; i++)
        {
            try
            {
                x = _modules[i].Forward(x);
            }
            catch (ArgumentException e)
            {
                // Say where in the model tree the shape error happened, e.g. "Sequential: module '2' (Linear(...)) ...".
                throw new ArgumentException($"Sequential: module '{i}' ({_modules[i].Describe()}) failed on input {x.Shape}: {e.Message}", e);
            }
        }
        return x;
    }

    /// <inheritdoc/>
    public override string Describe() => "Sequential()";
}
