using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>MultiheadAttention (Autodiff.NN/Modules/MultiheadAttention.cs) against torch 1.13's nn.MultiheadAttention.</summary>
/// <remarks>The reference values come from /usr/bin/python3 with torch 1.13, float64, eval mode, with every parameter i
/// (in named_parameters order, from 0) set to <c>sin(arange(numel)·0.37 + i + 1)·0.3</c> reshaped, as <see cref="Fill"/>
/// does here; inputs x = <c>cos(arange(24)·0.5)</c> as [3, 2, 4] (L = 3, N = 2, E = 4), kv = <c>cos(arange(32)·0.3 + 1)</c>
/// as [4, 2, 4].</remarks>
public class MultiheadAttentionTests
{
    /// <summary>Deterministic weights, as the torch script's <c>fillmod</c>.</summary>
    internal static void Fill(Module m)
    {
        using var _ = Tape.NoGrad();
        int i = 0;
        foreach (var (_, p) in m.NamedParameters())
        {
            i++;
            var values = Ops.Sin(Tensor.Arange(p.Numel, DType.Float64) * 0.37 + i) * 0.3;
            p.Copy_(Ops.Reshape(values, p.Shape.ToArray()).To(p.DType));
        }
    }

    private static Tensor X() => Ops.Reshape(Ops.Cos(Tensor.Arange(24, DType.Float64) * 0.5), 3, 2, 4);
    private static Tensor KV() => Ops.Reshape(Ops.Cos(Tensor.Arange(32, DType.Float64) * 0.3 + 1), 4, 2, 4);

    private static MultiheadAttention Filled(int e = 4, int h = 2, int? kdim = null, int? vdim = null, bool bias = true, bool batchFirst = false)
    {
        var m = new MultiheadAttention(e, h, bias: bias, batchFirst: batchFirst, kdim: kdim, vdim: vdim);
        m.Double();
        Fill(m);
        m.Eval();
        return m;
    }

    [Test]
    public void StateDictKeys_MatchPyTorch()
    {
        // list(nn.MultiheadAttention(4, 2).state_dict().keys()) and with kdim=3, vdim=5, bias=False
        Assert.That(new MultiheadAttention(4, 2).StateDict().Keys, Is.EqualTo(new[] { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }));
        Assert.That(new MultiheadAttention(4, 2, bias: false, kdim: 3, vdim: 5).StateDict().Keys,
            Is.EqualTo(new[] { "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight" }));
        var shapes = new MultiheadAttention(4, 2, kdim: 3, vdim: 5).StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToString());
        Assert.That(shapes["k_proj_weight"], Is.EqualTo("[4, 3]"));
        Assert.That(shapes["v_proj_weight"], Is.EqualTo("[4, 5]"));
        Assert.That(shapes["in_proj_bias"], Is.EqualTo("[12]"));
    }

    [Test]
    public void Forward_SelfAttention_MatchesTorch()
    {
        var (y, w) = Filled().Forward(X(), X(), X());
        // out, w = m(x, x, x)
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.13997020444, -0.130538420149, -0.359383288027, -0.439434262307, -0.29431457767,
            -0.08718183594, -0.197176490953, -0.453375738937, -0.195699594122, -0.11287252995, -0.30045030842, -0.446413054516, -0.126927167503,
            -0.155786419626, -0.377004879218, -0.417381819429, -0.241959539277, -0.102143198619, -0.252244671463, -0.448400619025,
            -0.249491568633, -0.107944051044, -0.245764587532, -0.441424647126 }).Within(1e-11));
        Assert.That(w!.Shape, Is.EqualTo(new Shape(2, 3, 3)));
        Assert.That(w.ToDoubleArray(), Is.EqualTo(new[] { 0.481597392808, 0.318274685418, 0.200127921773, 0.337466284811, 0.342059235379,
            0.320474479811, 0.259844276227, 0.293939220355, 0.446216503418, 0.477758406333, 0.207465757374, 0.314775836293, 0.168752365427,
            0.563439024942, 0.267808609632, 0.36994324604, 0.289758411239, 0.340298342721 }).Within(1e-11));
    }

    [Test]
    public void Forward_CrossAttention_WithBoolMasks_MatchesTorch()
    {
        var kpm = Tensor.FromArray(new[] { false, false, true, false, false, true, true, false }, 2, 4);
        var am = Tensor.FromArray(new[] { false, true, false, false, false, false, false, true, true, false, false, false }, 3, 4);
        var (y, w) = Filled().Forward(X(), KV(), KV(), keyPaddingMask: kpm, attnMask: am);
        // out, w = m(x, kv, kv, key_padding_mask=kpm, attn_mask=am)
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.256234234225, -0.082875017491, -0.234475821948, -0.464446539252, -0.453010612548,
            0.036535605117, -0.016045133365, -0.544246231127, -0.290035515435, -0.059150156944, -0.196372197446, -0.481261564736, -0.45384719669,
            0.02737922531, -0.016868996886, -0.535239253407, -0.404405023623, 0.017453782109, -0.068111082069, -0.534606216415, -0.452095429675,
            0.045934830602, -0.015255830151, -0.553502321802 }).Within(1e-11));
        Assert.That(w!.ToDoubleArray(), Is.EqualTo(new[] { 0.631204905429, 0.0, 0.0, 0.368795094571, 0.501801545595, 0.498198454405, 0.0, 0.0,
            0.0, 0.489277533125, 0.0, 0.510722466875, 0.505844431689, 0.0, 0.0, 0.494155568311, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0 }).Within(1e-11));
        // The fused path (needWeights: false) gives the same output.
        var (fused, none) = Filled().Forward(X(), KV(), KV(), keyPaddingMask: kpm, needWeights: false, attnMask: am);
        Assert.That(none, Is.Null);
        Assert.That(fused.ToDoubleArray(), Is.EqualTo(y.ToDoubleArray()).Within(1e-13));
    }

    [Test]
    public void Forward_FloatMask_PerHeadWeights_MatchesTorch()
    {
        var fam = Ops.Reshape(Tensor.Arange(12, DType.Float64) / 6 - 1, 3, 4);
        var (y, w) = Filled().Forward(X(), KV(), KV(), attnMask: fam, averageAttnWeights: false);
        // out, w = m(x, kv, kv, attn_mask=(arange(12)/6 - 1).reshape(3, 4), average_attn_weights=False); w[0, 1]
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.131655308138, -0.179567427865, -0.376589263879, -0.393525442154, -0.344425521649,
            -0.062516500054, -0.142592654829, -0.468142664641, -0.238958918494, -0.136438157126, -0.261464451444, -0.415777605374, -0.198142496728,
            -0.111254649071, -0.29771401404, -0.447534726882, -0.299574841265, -0.097578965043, -0.19380167653, -0.442366610023, -0.304415467023,
            -0.080969945201, -0.185949117152, -0.457551621234 }).Within(1e-11));
        Assert.That(w!.Shape, Is.EqualTo(new Shape(2, 2, 3, 4)));
        Assert.That(Ops.Select(Ops.Select(w, 0, 0), 0, 1).ToDoubleArray(), Is.EqualTo(new[] { 0.199591700534, 0.154176698211, 0.42653030254,
            0.219701298716, 0.182720961316, 0.248315744866, 0.232662608298, 0.33630068552, 0.159701656356, 0.291370750692, 0.128393399388,
            0.420534193564 }).Within(1e-11));
    }

    [Test]
    public void Forward_KdimVdim_NoBias_MatchesTorch()
    {
        var k3 = Ops.Reshape(Ops.Cos(Tensor.Arange(24, DType.Float64) * 0.7), 4, 2, 3);
        var v5 = Ops.Reshape(Ops.Sin(Tensor.Arange(40, DType.Float64) * 0.2), 4, 2, 5);
        var (y, _) = Filled(kdim: 3, vdim: 5, bias: false).Forward(X(), k3, v5);
        // m2 = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, bias=False); out, w = m2(x, k3, v5)
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.015538581535, 0.025075459766, 0.020085846878, -0.021433027036, -0.034916276537,
            0.084079193316, 0.05016347062, -0.074982386576, 0.014472134911, 0.019498712067, -0.010936175115, -0.021481913593, 0.044011290754,
            0.028577097444, -0.038829027059, -0.035618479363, 0.026639566776, -0.009171773966, -0.028302806065, 0.00403925116, -0.025726014351,
            0.053153423868, 0.035365028927, -0.046740214624 }).Within(1e-11));
    }

    [Test]
    public void BatchFirst_AndUnbatched_AgreeWithTheDefaultLayout()
    {
        var y = Filled().Forward(X());
        var first = Filled(batchFirst: true).Forward(Ops.Transpose(X(), 0, 1));
        Assert.That(Ops.Transpose(first, 0, 1).ToDoubleArray(), Is.EqualTo(y.ToDoubleArray()).Within(1e-13));
        var one = Filled().Forward(Ops.Select(X(), 1, 0));                                        // [L, E]: batch 0 alone
        Assert.That(one.Shape, Is.EqualTo(new Shape(3, 4)));
        Assert.That(one.ToDoubleArray(), Is.EqualTo(Ops.Select(y, 1, 0).ToDoubleArray()).Within(1e-13));
    }

    [Test]
    public void IsCausal_WithoutAMask_EqualsTheCausalBoolMask_AndCombinesWithPadding()
    {
        var causalMask = Tensor.FromArray(new[] { false, true, true, false, false, true, false, false, false }, 3, 3);   // true = blocked
        var kpm = Tensor.FromArray(new[] { false, false, true, false, true, false }, 2, 3);
        var m = Filled();
        Assert.That(m.Forward(X(), X(), X(), isCausal: true, needWeights: false).Output.ToDoubleArray(),
            Is.EqualTo(m.Forward(X(), X(), X(), attnMask: causalMask).Output.ToDoubleArray()).Within(1e-13));
        Assert.That(m.Forward(X(), X(), X(), keyPaddingMask: kpm, isCausal: true).Output.ToDoubleArray(),
            Is.EqualTo(m.Forward(X(), X(), X(), keyPaddingMask: kpm, attnMask: causalMask, needWeights: false).Output.ToDoubleArray()).Within(1e-13));
    }

    [Test]
    public void FullyMaskedQuery_GivesTheOutputProjectionsBias_NotNaN()
    {
        var kpm = Tensor.FromArray(new[] { true, true, true, true, false, false, false, false }, 2, 4);   // batch 0: every key ignored
        var m = Filled();
        foreach (bool needWeights in new[] { true, false })
        {
            var (y, _) = m.Forward(X(), KV(), KV(), keyPaddingMask: kpm, needWeights: needWeights);
            Assert.That(y.ToDoubleArray().Any(double.IsNaN), Is.False);
            Assert.That(Ops.Select(Ops.Select(y, 1, 0), 0, 0).ToDoubleArray(), Is.EqualTo(m.OutProj.Bias!.ToDoubleArray()).Within(1e-14));
        }
    }

    [Test]
    public void Backward_MatchesCentralDifferences_ThroughParametersAndInputs()
    {
        var m = Filled(e: 4, h: 2);
        var x = Ops.Reshape(X(), 3, 2, 4).Detach().RequireGrad();
        var mask = Tensor.FromArray(new[] { false, true, false, false, false, true, false, false, false }, 3, 3);
        foreach (bool needWeights in new[] { true, false })
            GradCheck.Assert(t => m.Forward(t[0], t[0], t[0], attnMask: mask, needWeights: needWeights).Output.Tanh(),
                [x, .. m.Parameters()], "MultiheadAttention");
        var kv = KV().Detach().RequireGrad();
        GradCheck.Assert(t => m.Forward(t[0], t[1], t[1], needWeights: false).Output, [x, kv], "MultiheadAttention (cross)");
    }

    [Test]
    public void Dropout_AppliesInTrainingOnly_AndRepeatsWithASeededGenerator()
    {
        MultiheadAttention Make() { var m = new MultiheadAttention(8, 2, dropout: 0.5, generator: new Generator(3)); return m; }
        var x = Tensor.Randn([5, 2, 8], 4);
        var (a, b) = (Make(), Make());
        var trainA = a.Forward(x);
        Assert.That(b.Forward(x).ToArray(), Is.EqualTo(trainA.ToArray()));
        a.Eval();
        var eval = a.Forward(x);
        Assert.That(eval.ToArray(), Is.Not.EqualTo(trainA.ToArray()));
        Assert.That(a.Forward(x).ToArray(), Is.EqualTo(eval.ToArray()));
    }

    [Test]
    public void ResetParameters_UsesPyTorchsInit()
    {
        var m = new MultiheadAttention(8, 2, generator: new Generator(1));
        double bound = Math.Sqrt(6.0 / (8 + 24));                                                  // xavier_uniform_ on [24, 8]
        var w = m.InProjWeight!.ToArray();
        Assert.That(w.Max(), Is.LessThanOrEqualTo(bound));
        Assert.That(w.Max(), Is.GreaterThan(0.8 * bound));
        Assert.That(m.InProjBias!.ToArray(), Is.All.EqualTo(0f));
        Assert.That(m.OutProj.Bias!.ToArray(), Is.All.EqualTo(0f));
        Assert.That(m.OutProj.Weight.ToArray().Max(), Is.LessThanOrEqualTo(1 / Math.Sqrt(8)));
        Assert.That(m.ToString(), Does.Contain("MultiheadAttention(embedDim: 8, numHeads: 2"));
    }

    [Test]
    public void Safetensors_RoundTrip()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mha-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "mha.safetensors");
            var a = new MultiheadAttention(8, 2, generator: new Generator(1));
            a.SaveSafetensors(path);
            var b = new MultiheadAttention(8, 2, generator: new Generator(2));
            b.LoadSafetensors(path);
            var x = Tensor.Randn([3, 2, 8], 5);
            Assert.That(b.Forward(x).ToArray(), Is.EqualTo(a.Forward(x).ToArray()));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Throws_WhenHeadsDoNotDivideEmbedDim() =>
        AssertThrows<ArgumentException>(() => new MultiheadAttention(6, 4), "MultiheadAttention", "6", "4");

    [Test]
    public void Throws_WhenAttnMaskHasTheWrongShape() =>
        AssertThrows<ArgumentException>(() => Filled().Forward(X(), X(), X(), attnMask: Tensor.Zeros([3, 4], DType.Bool)),
            "MultiheadAttention", "attnMask", "[3, 3]", "[3, 4]");

    [Test]
    public void Throws_WhenTheEmbeddingDimDiffers() =>
        AssertThrows<ArgumentException>(() => Filled().Forward(Tensor.Zeros([3, 2, 5], DType.Float64)), "MultiheadAttention", "[3, 2, 5]");
}
