using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>TransformerEncoderLayer, TransformerDecoderLayer and TransformerEncoder (Autodiff.NN/Modules/Transformer*.cs)
/// against torch 1.13.</summary>
/// <remarks>Reference values: /usr/bin/python3, torch 1.13, float64, eval mode, dModel 4, nhead 2, dim_feedforward 6,
/// every parameter i (named_parameters order, from 0) set to <c>sin(arange(numel)·0.37 + i + 1)·0.3</c> (as
/// <see cref="MultiheadAttentionTests.Fill"/>); x = <c>cos(arange(24)·0.5)</c> as [3, 2, 4], mem = <c>cos(arange(32)·0.3 + 1)</c>
/// as [4, 2, 4], causal = <c>ones(3, 3, dtype=bool).triu(1)</c>, kpm = <c>[[F, F, T], [F, T, F]]</c>.</remarks>
public class TransformerLayerTests
{
    private static Tensor X() => Ops.Reshape(Ops.Cos(Tensor.Arange(24, DType.Float64) * 0.5), 3, 2, 4);
    private static Tensor Memory() => Ops.Reshape(Ops.Cos(Tensor.Arange(32, DType.Float64) * 0.3 + 1), 4, 2, 4);
    private static Tensor Causal() => Tensor.FromArray(new[] { false, true, true, false, false, true, false, false, false }, 3, 3);
    private static Tensor Padding() => Tensor.FromArray(new[] { false, false, true, false, true, false }, 2, 3);

    private static T Filled<T>(T m) where T : Module
    {
        m.Double();
        MultiheadAttentionTests.Fill(m);
        m.Eval();
        return m;
    }

    [Test]
    public void StateDictKeys_MatchPyTorch()
    {
        string[] encoder = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"];
        Assert.That(new TransformerEncoderLayer(4, 2, 6).StateDict().Keys, Is.EqualTo(encoder));
        // list(nn.TransformerDecoderLayer(4, 2, dim_feedforward=6).state_dict().keys())
        Assert.That(new TransformerDecoderLayer(4, 2, 6).StateDict().Keys, Is.EqualTo(new[] { "self_attn.in_proj_weight", "self_attn.in_proj_bias",
            "self_attn.out_proj.weight", "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
            "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias" }));
        // list(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4)).state_dict().keys())
        var stack = new TransformerEncoder(_ => new TransformerEncoderLayer(4, 2, 6), 2, new LayerNorm(4));
        Assert.That(stack.StateDict().Keys, Is.EqualTo(encoder.Select(k => "layers.0." + k).Concat(encoder.Select(k => "layers.1." + k))
            .Concat(["norm.weight", "norm.bias"])));
        Assert.That(new TransformerEncoderLayer(4, 2, 6).ToString(), Does.Contain("self_attn").And.Contain("linear1").And.Contain("norm2"));
    }

    private static IEnumerable<TestCaseData> EncoderCases()
    {
        // nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation=act, norm_first=nf)(x, src_mask=causal, src_key_padding_mask=kpm)
        yield return new TestCaseData("relu", false, new[] { -0.586544376114, 0.315623139652, 0.128198135262, 0.119799221246, -0.541882297107,
            0.312155469905, 0.168590212851, 0.077556026859, -0.650152763508, 0.218566736739, 0.061459287058, 0.233776768616, -0.513542865927,
            0.303278329328, 0.189128654671, 0.056963722835, -0.604355940451, 0.308696985118, 0.111665612218, 0.140834431052, -0.64998257135,
            0.247177042917, 0.110313278801, 0.190881849997 });
        yield return new TestCaseData("relu", true, new[] { 1.314818805325, 0.814867525986, 0.556441547755, -0.168765972375, -0.102841868065,
            -0.868058292779, -0.971144985034, -1.168921719859, -0.389542666619, -0.221822287293, 0.301678118853, 0.470823681578, 1.266296280996,
            0.913171022421, 0.775699202976, 0.10710603359, 0.135345537018, -0.656738837147, -0.857307798065, -1.235729972681, -0.576885466349,
            -0.487558577272, 0.023532621317, 0.247940351851 });
        yield return new TestCaseData("gelu", false, new[] { -0.62091962883, 0.274681441178, 0.152975058058, 0.139487950138, -0.564904582784,
            0.271137791961, 0.207745433757, 0.083662127129, -0.590581525058, 0.058186217946, -0.011371300046, 0.327103352215, -0.527421114191,
            0.258161375279, 0.233527119641, 0.057839351533, -0.638841049313, 0.263764171156, 0.128625004994, 0.167145571338, -0.638115266048,
            0.09241937858, 0.044316734085, 0.298474108273 });
        yield return new TestCaseData("gelu", true, new[] { 1.220570043596, 0.912465933117, 0.53268363212, -0.2376385758, -0.198407260879,
            -0.770828470055, -0.993140612504, -1.239556529502, -0.497699207749, -0.132255926037, 0.301539565768, 0.381424845487, 1.174107042946,
            1.010329347211, 0.750413869217, 0.040520320695, 0.039554499709, -0.559227574349, -0.879418071514, -1.306507603425, -0.685456058867,
            -0.398194031378, 0.02405213549, 0.157947659011 });
    }

    [TestCaseSource(nameof(EncoderCases))]
    public void EncoderLayer_MatchesTorch(string activation, bool normFirst, double[] expected)
    {
        var layer = Filled(new TransformerEncoderLayer(4, 2, 6, activation: activation, normFirst: normFirst));
        var y = layer.Forward(X(), Causal(), Padding()).ToDoubleArray();
        Assert.That(y, Is.EqualTo(expected).Within(1e-11));
        // isCausal without the mask is the same mask.
        Assert.That(layer.Forward(X(), null, Padding(), isCausal: true).ToDoubleArray(), Is.EqualTo(y).Within(1e-14));
    }

    [TestCase(false, new[] { -0.156705335879, -0.03034406619, 0.248510793166, -0.25568792303, -0.138638969882, -0.020117467318, 0.229364973824,
        -0.260864665842, 0.266024177658, -0.373648117378, -0.110426811076, -0.049551887821, -0.226932817507, 0.009551125293, 0.263371892981,
        -0.244641604138, -0.18150482467, -0.011300829034, 0.251322047743, -0.253306713066, 0.269950098922, -0.351162694625, -0.130856230417,
        -0.05214630031 })]
    [TestCase(true, new[] { 0.898036757149, 1.085111128214, 0.544927039495, -0.2341029722, -0.458131577758, -0.645056185545, -1.054674767403,
        -1.202424082194, -0.732778469346, 0.006403640895, 0.267212272433, 0.390336981527, 0.921153303502, 1.130108153309, 0.685786735053,
        0.082612228918, -0.23100462682, -0.391122446569, -0.922354703423, -1.308247360774, -0.86956980834, -0.308667866605, -0.069787858697,
        0.204827298113 })]
    public void DecoderLayer_MatchesTorch(bool normFirst, double[] expected)
    {
        // nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, norm_first=nf)(x, mem, tgt_mask=causal,
        //     memory_key_padding_mask=[[F, F, T, F], [T, F, F, F]])
        var layer = Filled(new TransformerDecoderLayer(4, 2, 6, normFirst: normFirst));
        var memoryPadding = Tensor.FromArray(new[] { false, false, true, false, true, false, false, false }, 2, 4);
        Assert.That(layer.Forward(X(), Memory(), Causal(), memoryKeyPaddingMask: memoryPadding).ToDoubleArray(), Is.EqualTo(expected).Within(1e-11));
        Assert.Throws<NotSupportedException>(() => layer.Forward(X()));
    }

    [Test]
    public void Encoder_StackWithNorm_MatchesTorch()
    {
        // nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, dim_feedforward=6), 2, norm=nn.LayerNorm(4))(x, mask=causal)
        var stack = Filled(new TransformerEncoder(_ => new TransformerEncoderLayer(4, 2, 6), 2, new LayerNorm(4)));
        Assert.That(stack.Forward(X(), Causal()).ToDoubleArray(), Is.EqualTo(new[] { 0.239583511706, 0.177995987828, 0.493906998303, 0.433302847407,
            0.243524333601, 0.181571085714, 0.497747806155, 0.439796776368, 0.230002836542, 0.170950110792, 0.482531809467, 0.414671257536,
            0.240788363959, 0.1790468783, 0.495141434658, 0.43534952517, 0.239077727309, 0.177557730893, 0.493289853258, 0.432577197325,
            0.229985823942, 0.170884141976, 0.481932793135, 0.415667591468 }).Within(1e-11));
    }

    [Test]
    public void EncoderLayer_Backward_MatchesCentralDifferences()
    {
        var layer = Filled(new TransformerEncoderLayer(4, 2, 6, activation: "gelu", normFirst: true));
        var x = X().Detach().RequireGrad();
        GradCheck.Assert(t => layer.Forward(t[0], isCausal: true), [x, .. layer.Parameters()], "TransformerEncoderLayer");
    }

    [Test]
    public void DecoderLayer_Backward_MatchesCentralDifferences()
    {
        var layer = Filled(new TransformerDecoderLayer(4, 2, 6));
        var (x, memory) = (X().Detach().RequireGrad(), Memory().Detach().RequireGrad());
        GradCheck.Assert(t => layer.Forward(t[0], t[1], tgtIsCausal: true), [x, memory], "TransformerDecoderLayer");
    }

    [Test]
    public void Dropout_InTrainingOnly()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0.3, batchFirst: true, generator: new Generator(1));
        var x = Tensor.Randn([2, 5, 8], 2);
        var train = layer.Forward(x).ToArray();
        Assert.That(layer.Forward(x).ToArray(), Is.Not.EqualTo(train));
        layer.Eval();
        var eval = layer.Forward(x).ToArray();
        Assert.That(layer.Forward(x).ToArray(), Is.EqualTo(eval));
        var noDropout = new TransformerEncoderLayer(8, 2, 16, dropout: 0, batchFirst: true, generator: new Generator(1));
        Assert.That(noDropout.Forward(x).ToArray(), Is.EqualTo(eval));
    }

    [Test]
    public void Safetensors_RoundTrip()
    {
        var dir = Path.Combine(Path.GetTempPath(), "transformer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "layer.safetensors");
            var a = new TransformerDecoderLayer(8, 2, 16, generator: new Generator(1));
            a.Eval();
            a.SaveSafetensors(path);
            var b = new TransformerDecoderLayer(8, 2, 16, generator: new Generator(2));
            b.Eval();
            b.LoadSafetensors(path);
            var (x, m) = (Tensor.Randn([3, 2, 8], 5), Tensor.Randn([4, 2, 8], 6));
            Assert.That(b.Forward(x, m).ToArray(), Is.EqualTo(a.Forward(x, m).ToArray()));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Throws_WhenTheActivationIsUnknown() =>
        AssertThrows<ArgumentException>(() => new TransformerEncoderLayer(4, 2, activation: "tanh"), "TransformerEncoderLayer", "tanh");
}
