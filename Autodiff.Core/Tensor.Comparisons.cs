namespace Autodiff;

// Comparison and logical shortcuts: x.Gt(y), x > 0.5, mask.LogicalAnd(other). Their results are Bool tensors (Ops/Eq.cs ...).
// == and != are not overloaded: they stay reference equality of Tensor objects (use Eq / Ne for values).
public sealed partial class Tensor
{
    /// <summary>See <see cref="Ops.Eq(Tensor, Tensor)"/>.</summary>
    public Tensor Eq(Tensor other) => Ops.Eq(this, other);
    /// <summary>See <see cref="Ops.Eq(Tensor, double)"/>.</summary>
    public Tensor Eq(double other) => Ops.Eq(this, other);
    /// <summary>See <see cref="Ops.Ne(Tensor, Tensor)"/>.</summary>
    public Tensor Ne(Tensor other) => Ops.Ne(this, other);
    /// <summary>See <see cref="Ops.Ne(Tensor, double)"/>.</summary>
    public Tensor Ne(double other) => Ops.Ne(this, other);
    /// <summary>See <see cref="Ops.Lt(Tensor, Tensor)"/>.</summary>
    public Tensor Lt(Tensor other) => Ops.Lt(this, other);
    /// <summary>See <see cref="Ops.Lt(Tensor, double)"/>.</summary>
    public Tensor Lt(double other) => Ops.Lt(this, other);
    /// <summary>See <see cref="Ops.Le(Tensor, Tensor)"/>.</summary>
    public Tensor Le(Tensor other) => Ops.Le(this, other);
    /// <summary>See <see cref="Ops.Le(Tensor, double)"/>.</summary>
    public Tensor Le(double other) => Ops.Le(this, other);
    /// <summary>See <see cref="Ops.Gt(Tensor, Tensor)"/>.</summary>
    public Tensor Gt(Tensor other) => Ops.Gt(this, other);
    /// <summary>See <see cref="Ops.Gt(Tensor, double)"/>.</summary>
    public Tensor Gt(double other) => Ops.Gt(this, other);
    /// <summary>See <see cref="Ops.Ge(Tensor, Tensor)"/>.</summary>
    public Tensor Ge(Tensor other) => Ops.Ge(this, other);
    /// <summary>See <see cref="Ops.Ge(Tensor, double)"/>.</summary>
    public Tensor Ge(double other) => Ops.Ge(this, other);
    /// <summary>See <see cref="Ops.LogicalAnd"/>.</summary>
    public Tensor LogicalAnd(Tensor other) => Ops.LogicalAnd(this, other);
    /// <summary>See <see cref="Ops.LogicalOr"/>.</summary>
    public Tensor LogicalOr(Tensor other) => Ops.LogicalOr(this, other);
    /// <summary>See <see cref="Ops.LogicalNot"/>.</summary>
    public Tensor LogicalNot() => Ops.LogicalNot(this);

    /// <summary><c>a &lt; b</c> element-wise as a Bool tensor, with broadcasting; see <see cref="Ops.Lt(Tensor, Tensor)"/>.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => Ops.Lt(a, b);
    /// <summary><c>a &lt; b</c> element-wise as a Bool tensor; see <see cref="Ops.Lt(Tensor, double)"/>.</summary>
    public static Tensor operator <(Tensor a, double b) => Ops.Lt(a, b);
    /// <summary><c>a &lt; b</c> element-wise as a Bool tensor (<c>b &gt; a</c>); see <see cref="Ops.Gt(Tensor, double)"/>.</summary>
    public static Tensor operator <(double a, Tensor b) => Ops.Gt(b, a);
    /// <summary><c>a &lt;= b</c> element-wise as a Bool tensor, with broadcasting; see <see cref="Ops.Le(Tensor, Tensor)"/>.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => Ops.Le(a, b);
    /// <summary><c>a &lt;= b</c> element-wise as a Bool tensor; see <see cref="Ops.Le(Tensor, double)"/>.</summary>
    public static Tensor operator <=(Tensor a, double b) => Ops.Le(a, b);
    /// <summary><c>a &lt;= b</c> element-wise as a Bool tensor (<c>b &gt;= a</c>); see <see cref="Ops.Ge(Tensor, double)"/>.</summary>
    public static Tensor operator <=(double a, Tensor b) => Ops.Ge(b, a);
    /// <summary><c>a &gt; b</c> element-wise as a Bool tensor, with broadcasting; see <see cref="Ops.Gt(Tensor, Tensor)"/>.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => Ops.Gt(a, b);
    /// <summary><c>a &gt; b</c> element-wise as a Bool tensor; see <see cref="Ops.Gt(Tensor, double)"/>.</summary>
    public static Tensor operator >(Tensor a, double b) => Ops.Gt(a, b);
    /// <summary><c>a &gt; b</c> element-wise as a Bool tensor (<c>b &lt; a</c>); see <see cref="Ops.Lt(Tensor, double)"/>.</summary>
    public static Tensor operator >(double a, Tensor b) => Ops.Lt(b, a);
    /// <summary><c>a &gt;= b</c> element-wise as a Bool tensor, with broadcasting; see <see cref="Ops.Ge(Tensor, Tensor)"/>.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => Ops.Ge(a, b);
    /// <summary><c>a &gt;= b</c> element-wise as a Bool tensor; see <see cref="Ops.Ge(Tensor, double)"/>.</summary>
    public static Tensor operator >=(Tensor a, double b) => Ops.Ge(a, b);
    /// <summary><c>a &gt;= b</c> element-wise as a Bool tensor (<c>b &lt;= a</c>); see <see cref="Ops.Le(Tensor, double)"/>.</summary>
    public static Tensor operator >=(double a, Tensor b) => Ops.Le(b, a);

    /// <summary><c>a &amp; b</c> of two Bool masks, with broadcasting: PyTorch's <c>mask1 &amp; mask2</c>.</summary>
    /// <exception cref="ArgumentException">An operand is not Bool (PyTorch's bitwise ops on float tensors fail too).</exception>
    public static Tensor operator &(Tensor a, Tensor b) => Ops.LogicalAnd(Mask("&", a, nameof(a)), Mask("&", b, nameof(b)));

    /// <summary><c>a | b</c> of two Bool masks, with broadcasting: PyTorch's <c>mask1 | mask2</c>.</summary>
    /// <exception cref="ArgumentException">An operand is not Bool.</exception>
    public static Tensor operator |(Tensor a, Tensor b) => Ops.LogicalOr(Mask("|", a, nameof(a)), Mask("|", b, nameof(b)));

    /// <summary><c>~a</c> of a Bool mask: PyTorch's <c>~mask</c>.</summary>
    /// <exception cref="ArgumentException">The operand is not Bool.</exception>
    public static Tensor operator ~(Tensor a) => Ops.LogicalNot(Mask("~", a, nameof(a)));

    /// <summary>An operand of <c>&amp; | ~</c>: a Bool tensor, else a clear error (a float 0/1 mask would be read as any
    /// non-zero, which PyTorch refuses).</summary>
    private static Tensor Mask(string op, Tensor? t, string paramName)
    {
        Check.NotNullAnyDType(op, t, paramName);
        if (t.DType != DType.Bool)
            Check.Fail(op, $"{t.Label} is {t.DType}; {op} takes Bool masks, such as the result of a comparison: (x > 0) & (y < 1).", paramName);
        return t;
    }
}
