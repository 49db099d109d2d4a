using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

/// <summary>RNN, LSTM and GRU: values against torch 1.13, state-dict names, safetensors, gradients, variable lengths, errors.</summary>
public class RecurrentModulesTests
{
    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    // ---- fixtures shared with the torch script below ------------------------------------------------------------------
    // import torch, math
    // d = torch.float64
    // def fill(m):  # parameter k (named_parameters order), element i: 0.3·sin(0.37·i + 0.11·k + 0.5)
    //     with torch.no_grad():
    //         for k, (name, p) in enumerate(m.named_parameters()):
    //             p.copy_(torch.tensor([0.3*math.sin(0.37*i + 0.11*k + 0.5) for i in range(p.numel())], dtype=d).view(p.shape))
    // T, N, F, H = 4, 2, 3, 2
    // x  = [math.sin(0.9*i + 0.2)] as [T, N, F];  h0 = [0.5*math.cos(0.7*i)] as [4, N, H];  c0 = [0.5*math.sin(0.3*i + 1)] as [4, N, H]
    // m = torch.nn.LSTM(F, H, num_layers=2, bidirectional=True).to(d); fill(m); out, (h, c) = m(x, (h0, c0))
    // lengths [4, 2]: m(pack_padded_sequence(x, torch.tensor([4, 2])), (h0, c0)), then pad_packed_sequence(out, total_length=T)
    private const int T = 4, N = 2, F = 3, H = 2;

    private static Tensor Seq(int count, Func<int, double> f, params int[] shape) =>
        Tensor.FromArray(Enumerable.Range(0, count).Select(f).ToArray(), shape);

    private static Tensor X => Seq(T * N * F, i => Math.Sin(0.9 * i + 0.2), T, N, F);
    private static Tensor H0(int layers = 4) => Seq(layers * N * H, i => 0.5 * Math.Cos(0.7 * i), layers, N, H);
    private static Tensor C0 => Seq(4 * N * H, i => 0.5 * Math.Sin(0.3 * i + 1), 4, N, H);

    private static T Filled<T>(T module) where T : Module
    {
        module.Double();
        int k = 0;
        using (Tape.NoGrad())
            foreach (var (_, p) in module.NamedParameters())
            {
                var span = p.AsDoubleSpan();
                for (int i = 0; i < span.Length; i++) span[i] = 0.3 * Math.Sin(0.37 * i + 0.11 * k + 0.5);
                k++;
            }
        return module;
    }

    private static readonly double[] LstmOutput = [-0.04638631243144711, -0.14474442545425, -0.02176090395508171, -0.16411746327354748, -0.07964779112537058, -0.14253133185862513, -0.03633915896782604, -0.14318874449556818, 0.034613624923209685, -0.10094365845455218, -0.02273225304146747, -0.15879345963922484, 0.00044838905251719637, -0.10051750978868365, -0.04045249804206468, -0.14350298923228194, 0.06595592940041337, -0.09019211224500782, -0.03945335983627003, -0.1533106384811005, 0.03958662990971838, -0.0933274137598078, -0.04943684455616011, -0.14253745968762832, 0.07961168828951469, -0.08810071138749663, -0.06157325489883737, -0.13921484684561752, 0.06255952419495213, -0.093352285172168, -0.059602610362881836, -0.12057561369134945];
    private static readonly double[] LstmH = [0.22555326937233086, 0.13724109579994917, 0.10754825473420729, 0.2109323577076578, 0.1657314543483387, 0.1333135572668834, 0.055860051997704004, -0.029504508354523794, 0.07961168828951469, -0.08810071138749663, 0.06255952419495213, -0.093352285172168, -0.02176090395508171, -0.16411746327354748, -0.03633915896782604, -0.14318874449556818];
    private static readonly double[] LstmC = [0.7711965643235366, 0.4179355880198578, 0.16937043533930898, 0.40358668104773293, 0.29278276265596603, 0.31339749761924424, 0.1546205607889643, -0.07233277544120521, 0.22388500872585843, -0.2560556436755154, 0.17278486049442465, -0.2682821981576821, -0.06756202591432468, -0.5087024103511417, -0.1101564808259277, -0.45351636396097017];
    private static readonly double[] LstmOutputLengths = [-0.04638631243144711, -0.14474442545425, -0.02176090395508171, -0.16411746327354748, -0.0785645068711673, -0.14142698814633345, -0.04550985755147594, -0.13163645264492604, 0.034613624923209685, -0.10094365845455218, -0.02273225304146747, -0.15879345963922484, 0.00445036472498638, -0.09880739734001624, -0.05714436095204397, -0.11149709381845847, 0.06595592940041337, -0.09019211224500782, -0.03945335983627003, -0.1533106384811005, 0.0, 0.0, 0.0, 0.0, 0.07961168828951469, -0.08810071138749663, -0.06157325489883737, -0.13921484684561752, 0.0, 0.0, 0.0, 0.0];
    private static readonly double[] LstmHLengths = [0.22555326937233086, 0.13724109579994917, 0.26644124631534405, 0.1474688621696763, 0.1657314543483387, 0.1333135572668834, 0.09782290541532994, -0.06487941330238657, 0.07961168828951469, -0.08810071138749663, 0.00445036472498638, -0.09880739734001624, -0.02176090395508171, -0.16411746327354748, -0.04550985755147594, -0.13163645264492604];
    private static readonly double[] LstmCLengths = [0.7711965643235366, 0.4179355880198578, 0.5715022133411322, 0.2967805516831946, 0.29278276265596603, 0.31339749761924424, 0.2777486102684325, -0.1607529917589128, 0.22388500872585843, -0.2560556436755154, 0.011953171345512326, -0.29684524845866966, -0.06756202591432468, -0.5087024103511417, -0.13830168300477913, -0.41161756230818414];
    private static readonly double[] GruOutput = [0.23359318629491144, 0.13093210944807937, 0.046203778964406056, -0.326917044317875, 0.20064648618420305, -0.06093403032400477, -0.112150230847775, -0.28929336971934744, 0.19291787010680642, -0.0006703084953565142, 0.017502340779504875, -0.3007750883306494, 0.12811533422236102, -0.11271235728605908, -0.12293879752180234, -0.29498169107396155, 0.160725526562678, -0.03579384709575008, -0.03234165702949791, -0.28247990456184546, 0.10854288536009778, -0.14214744857853356, -0.1582746924777489, -0.29440924497964355, 0.10978548762382197, -0.03351693239517875, -0.11969780384506051, -0.3184145540179001, 0.11372774972893875, -0.1557229013697816, -0.24887374460690254, -0.27157269409067214];
    private static readonly double[] GruH = [0.5002506322627187, 0.22274605387428786, 0.04420136756370564, 0.21311952894244465, 0.1057622608920453, 0.1779467850027649, 0.012779959866768165, 0.008868782506162076, 0.10978548762382197, -0.03351693239517875, 0.11372774972893875, -0.1557229013697816, 0.046203778964406056, -0.326917044317875, -0.112150230847775, -0.28929336971934744];
    private static readonly double[] GruOutputLengths = [0.23359318629491144, 0.13093210944807937, 0.046203778964406056, -0.326917044317875, 0.1948770673793278, -0.058893283549919156, -0.19998261604496606, -0.247908946937192, 0.19291787010680642, -0.0006703084953565142, 0.017502340779504875, -0.3007750883306494, 0.11294699306430628, -0.10701216997604569, -0.28596706102710634, -0.2408712156608828, 0.160725526562678, -0.03579384709575008, -0.03234165702949791, -0.28247990456184546, 0.0, 0.0, 0.0, 0.0, 0.10978548762382197, -0.03351693239517875, -0.11969780384506051, -0.3184145540179001, 0.0, 0.0, 0.0, 0.0];
    private static readonly double[] GruHLengths = [0.5002506322627187, 0.22274605387428786, 0.2186198444606, -0.06840492720999283, 0.1057622608920453, 0.1779467850027649, -0.01506651219829841, -0.036811200243942716, 0.10978548762382197, -0.03351693239517875, 0.11294699306430628, -0.10701216997604569, 0.046203778964406056, -0.326917044317875, -0.19998261604496606, -0.247908946937192];
    // torch.nn.RNN(F, H, num_layers=2, nonlinearity="relu", bidirectional=True), fill, m(x, h0)
    private static readonly double[] RnnReluOutput = [2.2091379190503995, 0.25838822363075215, 1.9836938520725385, 0.0, 1.2961208600666763, 0.2032385087753838, 1.317807991487419, 0.0, 2.40265253721419, 0.8966379169982095, 1.7304126147896701, 0.0, 2.1253055405705057, 0.31231537999534364, 1.7697975223948643, 0.0, 2.133430189296318, 1.2050358148913825, 1.187156697722169, 0.17423176712150515, 2.794045337547611, 0.5718868286960743, 1.977775417427697, 0.0, 1.7810062033591958, 1.2415743837266546, 0.517240034982968, 0.2502593471117981, 3.0149927136175134, 1.0194534585416433, 1.4473859965078157, 0.0];
    private static readonly double[] RnnReluH = [0.26269934201887457, 0.4140221997726113, 1.4729169857182651, 1.8200409437480811, 1.567246133040301, 1.3462925324910484, 1.0539726043729385, 1.3188007190184923, 1.7810062033591958, 1.2415743837266546, 3.0149927136175134, 1.0194534585416433, 1.9836938520725385, 0.0, 1.317807991487419, 0.0];
    // torch.nn.RNN(F, H, num_layers=1) (tanh), fill, m(x, h0[:1])
    private static readonly double[] RnnTanhOutput = [0.797363552155638, 0.8628351007071883, -0.018689679197277338, 0.18338368501472982, 0.7551074180832648, 0.7993363994645386, 0.43429970201660867, 0.6600523809657215, 0.48403841389896385, 0.525049581084307, 0.7827156275080047, 0.8917615374637606, 0.13964230307986317, 0.2425671664849819, 0.8544993013033443, 0.9144743690672686];
    private static readonly double[] RnnTanhH = [0.13964230307986317, 0.2425671664849819, 0.8544993013033443, 0.9144743690672686];

    // ---- values ---------------------------------------------------------------------------------------------------------

    [Test]
    public void Lstm_TwoLayersBidirectional_MatchesTorch()
    {
        var lstm = Filled(new LSTM(F, H, numLayers: 2, bidirectional: true));
        var (output, (h, c)) = lstm.Forward(X, (H0(), C0));
        Assert.That(output.Shape, Is.EqualTo(new Shape(T, N, 2 * H)));
        Assert.That(h.Shape, Is.EqualTo(new Shape(4, N, H)));
        Assert.That(output.ToDoubleArray(), Is.EqualTo(LstmOutput).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(LstmH).Within(1e-14));
        Assert.That(c.ToDoubleArray(), Is.EqualTo(LstmC).Within(1e-14));
    }

    [Test]
    public void Lstm_WithLengths_MatchesTorchPackedSequence()
    {
        var lstm = Filled(new LSTM(F, H, numLayers: 2, bidirectional: true));
        var (output, (h, c)) = lstm.Forward(X, (H0(), C0), lengths: [4, 2]);
        Assert.That(output.ToDoubleArray(), Is.EqualTo(LstmOutputLengths).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(LstmHLengths).Within(1e-14));
        Assert.That(c.ToDoubleArray(), Is.EqualTo(LstmCLengths).Within(1e-14));
    }

    [Test]
    public void Gru_TwoLayersBidirectional_MatchesTorch()
    {
        var gru = Filled(new GRU(F, H, numLayers: 2, bidirectional: true));
        var (output, h) = gru.Forward(X, H0());
        Assert.That(output.ToDoubleArray(), Is.EqualTo(GruOutput).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(GruH).Within(1e-14));
    }

    [Test]
    public void Gru_WithLengths_MatchesTorchPackedSequence()
    {
        var gru = Filled(new GRU(F, H, numLayers: 2, bidirectional: true));
        var (output, h) = gru.Forward(X, H0(), lengths: [4, 2]);
        Assert.That(output.ToDoubleArray(), Is.EqualTo(GruOutputLengths).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(GruHLengths).Within(1e-14));
    }

    [Test]
    public void Rnn_ReluTwoLayersBidirectional_And_TanhOneLayer_MatchTorch()
    {
        var relu = Filled(new RNN(F, H, numLayers: 2, nonlinearity: "relu", bidirectional: true));
        var (output, h) = relu.Forward(X, H0());
        Assert.That(output.ToDoubleArray(), Is.EqualTo(RnnReluOutput).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(RnnReluH).Within(1e-14));
        var tanh = Filled(new RNN(F, H));
        (output, h) = tanh.Forward(X, H0(1));
        Assert.That(output.ToDoubleArray(), Is.EqualTo(RnnTanhOutput).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(RnnTanhH).Within(1e-14));
    }

    [Test]
    public void Lstm_Float32_MatchesTorchToFloatRounding()
    {
        var lstm = Filled(new LSTM(F, H, numLayers: 2, bidirectional: true));
        lstm.Float();
        var (output, (h, c)) = lstm.Forward(X.To(DType.Float32), (H0().To(DType.Float32), C0.To(DType.Float32)));
        Assert.That(output.ToDoubleArray(), Is.EqualTo(LstmOutput).Within(1e-6));
        Assert.That(c.ToDoubleArray(), Is.EqualTo(LstmC).Within(1e-6));
    }

    [Test]
    public void BatchFirst_And_Unbatched_GiveTheSameValuesAsSequenceFirst()
    {
        var lstm = Filled(new LSTM(F, H, numLayers: 2, bidirectional: true));
        var first = Filled(new LSTM(F, H, numLayers: 2, bidirectional: true, batchFirst: true));
        var (output, (h, _)) = first.Forward(Ops.Transpose(X, 0, 1), (H0(), C0));
        Assert.That(output.Shape, Is.EqualTo(new Shape(N, T, 2 * H)));
        Assert.That(Ops.Transpose(output, 0, 1).ToDoubleArray(), Is.EqualTo(LstmOutput).Within(1e-14));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(LstmH).Within(1e-14));

        // unbatched: sequence 1 alone, [T, F], states [4, H]
        var x1 = Ops.Select(X, 1, 1);
        var (single, (h1, c1)) = lstm.Forward(x1, (Ops.Select(H0(), 1, 1), Ops.Select(C0, 1, 1)));
        Assert.That(single.Shape, Is.EqualTo(new Shape(T, 2 * H)));
        Assert.That(h1.Shape, Is.EqualTo(new Shape(4, H)));
        Assert.That(single.ToDoubleArray(), Is.EqualTo(Ops.Select(Tensor.FromArray(LstmOutput, T, N, 2 * H), 1, 1).ToDoubleArray()).Within(1e-14));
        Assert.That(c1.ToDoubleArray(), Is.EqualTo(Ops.Select(Tensor.FromArray(LstmC, 4, N, H), 1, 1).ToDoubleArray()).Within(1e-14));
    }

    [Test]
    public void Forward_WithoutState_StartsFromZeros()
    {
        var gru = Filled(new GRU(F, H, numLayers: 2));
        var (a, ha) = gru.Forward(X);
        var (b, hb) = gru.Forward(X, Tensor.Zeros([2, N, H], DType.Float64));
        Assert.That(a.ToDoubleArray(), Is.EqualTo(b.ToDoubleArray()));
        Assert.That(ha.ToDoubleArray(), Is.EqualTo(hb.ToDoubleArray()));
        Assert.That(((Module)gru).Forward(X).ToDoubleArray(), Is.EqualTo(a.ToDoubleArray()), "Module.Forward gives the output alone");
    }

    // ---- against the cells in a loop (an unfused composite built from our ops) -------------------------------------------

    [TestCase(false)]
    [TestCase(true)]
    public void Lstm_EqualsLstmCellInALoop_WithoutBias_AndRandomSizes(bool bias)
    {
        var lstm = (LSTM)new LSTM(5, 7, bias: bias, generator: new Generator(3)).Double();
        var cell = (LSTMCell)new LSTMCell(5, 7, bias: bias).Double();
        cell.LoadStateDict(lstm.StateDict().ToDictionary(p => p.Key.Replace("_l0", ""), p => p.Value));
        var x = Tensor.Randn([6, 3, 5], 4, DType.Float64);
        var (output, (h, c)) = lstm.Forward(x, null);
        (Tensor H, Tensor C)? state = null;
        for (int t = 0; t < 6; t++)
        {
            state = cell.Forward(Ops.Select(x, 0, t), state);
            Assert.That(Ops.Select(output, 0, t).ToDoubleArray(), Is.EqualTo(state.Value.H.ToDoubleArray()).Within(1e-13), $"step {t}");
        }
        Assert.That(c.ToDoubleArray(), Is.EqualTo(state!.Value.C.ToDoubleArray()).Within(1e-13));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(state.Value.H.ToDoubleArray()).Within(1e-13));
    }

    [Test]
    public void Gru_And_Rnn_EqualTheirCellsInALoop()
    {
        var gru = (GRU)new GRU(5, 7, generator: new Generator(5)).Double();
        var gruCell = (GRUCell)new GRUCell(5, 7).Double();
        gruCell.LoadStateDict(gru.StateDict().ToDictionary(p => p.Key.Replace("_l0", ""), p => p.Value));
        var rnn = (RNN)new RNN(5, 7, nonlinearity: "relu", generator: new Generator(6)).Double();
        var rnnCell = (RNNCell)new RNNCell(5, 7, nonlinearity: "relu").Double();
        rnnCell.LoadStateDict(rnn.StateDict().ToDictionary(p => p.Key.Replace("_l0", ""), p => p.Value));
        var x = Tensor.Randn([6, 3, 5], 7, DType.Float64);
        var (gruOut, _) = gru.Forward(x, null);
        var (rnnOut, _) = rnn.Forward(x, null);
        Tensor? hg = null, hr = null;
        for (int t = 0; t < 6; t++)
        {
            hg = gruCell.Forward(Ops.Select(x, 0, t), hg);
            hr = rnnCell.Forward(Ops.Select(x, 0, t), hr);
            Assert.That(Ops.Select(gruOut, 0, t).ToDoubleArray(), Is.EqualTo(hg.ToDoubleArray()).Within(1e-13), $"GRU step {t}");
            Assert.That(Ops.Select(rnnOut, 0, t).ToDoubleArray(), Is.EqualTo(hr.ToDoubleArray()).Within(1e-13), $"RNN step {t}");
        }
    }

    // ---- names, init, saving --------------------------------------------------------------------------------------------

    [Test]
    public void StateDictKeys_AreTorchs()
    {
        // [n for n, _ in torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True).named_parameters()]
        string[] lstm = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse",
            "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse",
            "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"];
        Assert.That(new LSTM(3, 2, numLayers: 2, bidirectional: true).NamedParameters().Select(p => p.Name), Is.EqualTo(lstm));
        // list(torch.nn.GRU(3, 2, bias=False).state_dict().keys())
        Assert.That(new GRU(3, 2, bias: false).StateDict().Keys, Is.EquivalentTo(new[] { "weight_ih_l0", "weight_hh_l0" }));
        var shapes = new LSTM(3, 2, numLayers: 2, bidirectional: true).StateDict();
        Assert.That(shapes["weight_ih_l0"].Shape, Is.EqualTo(new Shape(8, 3)));
        Assert.That(shapes["weight_ih_l1_reverse"].Shape, Is.EqualTo(new Shape(8, 4)));
        Assert.That(shapes["weight_hh_l1"].Shape, Is.EqualTo(new Shape(8, 2)));
        Assert.That(new GRU(3, 2).StateDict()["bias_hh_l0"].Shape, Is.EqualTo(new Shape(6)));
        Assert.That(new RNN(3, 2).StateDict()["weight_hh_l0"].Shape, Is.EqualTo(new Shape(2, 2)));
    }

    [Test]
    public void Init_IsUniformWithinOneOverSqrtHidden_AndSeeded()
    {
        var a = new LSTM(10, 16, numLayers: 2, generator: new Generator(1));
        var b = new LSTM(10, 16, numLayers: 2, generator: new Generator(1));
        foreach (var ((name, p), (_, q)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            var values = p.ToDoubleArray();
            Assert.That(values.All(v => Math.Abs(v) <= 0.25), Is.True, name);
            Assert.That(values.Max() - values.Min(), Is.GreaterThan(0.4), name);
            Assert.That(values, Is.EqualTo(q.ToDoubleArray()), name);
        }
    }

    [Test]
    public void Safetensors_RoundTrip_GivesTheSameOutputs()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autodiff-rnn-" + Guid.NewGuid());
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "lstm.safetensors");
            var lstm = new LSTM(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(8));
            lstm.SaveSafetensors(path);
            var loaded = new LSTM(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(9));
            loaded.LoadSafetensors(path);
            var x = Tensor.Randn([5, 2, 3], 10);
            Assert.That(loaded.Forward(x).Output.ToDoubleArray(), Is.EqualTo(lstm.Forward(x).Output.ToDoubleArray()));
            var gruPath = Path.Combine(dir, "gru.safetensors");
            var gru = new GRU(3, 4, generator: new Generator(11));
            gru.SaveSafetensors(gruPath);
            var gruLoaded = new GRU(3, 4, generator: new Generator(12));
            gruLoaded.LoadSafetensors(gruPath);
            Assert.That(gruLoaded.Forward(x).Output.ToDoubleArray(), Is.EqualTo(gru.Forward(x).Output.ToDoubleArray()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ToString_ReadsLikePyTorch()
    {
        Assert.That(new LSTM(10, 20).Describe(), Is.EqualTo("LSTM(inputSize: 10, hiddenSize: 20)"));
        Assert.That(new GRU(10, 20, numLayers: 2, batchFirst: true, dropout: 0.5, bidirectional: true).Describe(),
            Is.EqualTo("GRU(inputSize: 10, hiddenSize: 20, numLayers: 2, batchFirst: True, dropout: 0.5, bidirectional: True)"));
        Assert.That(new RNN(3, 4, nonlinearity: "relu", bias: false).Describe(),
            Is.EqualTo("RNN(inputSize: 3, hiddenSize: 4, nonlinearity: \"relu\", bias: False)"));
    }

    // ---- gradients ------------------------------------------------------------------------------------------------------

    [Test]
    public void Lstm_TwoLayersBidirectional_GradientsMatchCentralDifferences_Float64()
    {
        var lstm = new LSTM(3, 2, numLayers: 2, bidirectional: true, generator: new Generator(13));
        lstm.Double();
        var names = lstm.NamedParameters().Select(p => p.Name).ToArray();
        Tensor[] inputs = [Leaf(14, 3, 2, 3), Leaf(15, 4, 2, 2), Leaf(16, 4, 2, 2), .. lstm.Parameters()];
        var w = Tensor.Randn([3, 2, 4], 17, DType.Float64);
        GradCheck.Assert(t =>
        {
            Bind(lstm, names, t[3..]);
            var (output, (h, c)) = lstm.Forward(t[0], (t[1], t[2]));
            return (output * w).Sum() + (h * c).Sum();
        }, inputs, "LSTM");
    }

    [Test]
    public void Gru_TwoLayersBidirectional_WithLengths_GradientsMatchCentralDifferences_Float64()
    {
        var gru = new GRU(3, 2, numLayers: 2, bidirectional: true, generator: new Generator(18));
        gru.Double();
        var names = gru.NamedParameters().Select(p => p.Name).ToArray();
        Tensor[] inputs = [Leaf(19, 3, 2, 3), Leaf(20, 4, 2, 2), .. gru.Parameters()];
        var w = Tensor.Randn([3, 2, 4], 21, DType.Float64);
        GradCheck.Assert(t =>
        {
            Bind(gru, names, t[2..]);
            var (output, h) = gru.Forward(t[0], t[1], lengths: [3, 2]);
            return (output * w).Sum() + (h * h).Sum();
        }, inputs, "GRU");
    }

    [TestCase("tanh")]
    [TestCase("relu")]
    public void Rnn_Bidirectional_WithLengths_GradientsMatchCentralDifferences_Float64(string nonlinearity)
    {
        var rnn = new RNN(3, 2, numLayers: 2, nonlinearity: nonlinearity, bidirectional: true, generator: new Generator(22));
        rnn.Double();
        var names = rnn.NamedParameters().Select(p => p.Name).ToArray();
        Tensor[] inputs = [Leaf(23, 3, 2, 3), Leaf(24, 4, 2, 2), .. rnn.Parameters()];
        var w = Tensor.Randn([3, 2, 4], 25, DType.Float64);
        GradCheck.Assert(t =>
        {
            Bind(rnn, names, t[2..]);
            var (output, h) = rnn.Forward(t[0], t[1], lengths: [2, 3]);
            return (output * w).Sum() + (h * h).Sum();
        }, inputs, "RNN");
    }

    [Test]
    public void Lstm_WithLengths_GradientsMatchCentralDifferences_Float64()
    {
        var lstm = new LSTM(3, 2, bidirectional: true, generator: new Generator(26));
        lstm.Double();
        var names = lstm.NamedParameters().Select(p => p.Name).ToArray();
        Tensor[] inputs = [Leaf(27, 4, 3, 3), Leaf(28, 2, 3, 2), Leaf(29, 2, 3, 2), .. lstm.Parameters()];
        var w = Tensor.Randn([4, 3, 4], 30, DType.Float64);
        GradCheck.Assert(t =>
        {
            Bind(lstm, names, t[3..]);
            var (output, (h, c)) = lstm.Forward(t[0], (t[1], t[2]), lengths: [4, 1, 2]);
            return (output * w).Sum() + (h * c).Sum();
        }, inputs, "LSTM");
    }

    /// <summary>Makes the module use the tensors GradCheck perturbs (its own parameters are the same objects, so this only
    /// guards against a copy).</summary>
    private static void Bind(Module module, string[] names, Tensor[] values)
    {
        var current = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        for (int i = 0; i < names.Length; i++) Assert.That(current[names[i]], Is.SameAs(values[i]));
    }

    [Test]
    public void Lengths_PaddedInputsGetZeroGradient_AndTheFinalStateEqualsTheTruncatedSequenceAlone()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(31));
        lstm.Double();
        var x = Tensor.Randn([5, 3, 3], 32, DType.Float64).RequireGrad();
        var (output, (h, c)) = lstm.Forward(x, null, lengths: [5, 2, 4]);
        ((output * output).Sum() + h.Sum() + c.Sum()).Backward();
        var grad = x.Grad!;
        for (int t = 2; t < 5; t++) Assert.That(At(grad, t, 1), Is.All.EqualTo(0.0), $"padded step {t} of sequence 1");
        Assert.That(At(grad, 4, 2), Is.All.EqualTo(0.0));
        Assert.That(At(grad, 1, 1), Has.Some.Not.EqualTo(0.0));
        for (int t = 2; t < 5; t++) Assert.That(At(output, t, 1), Is.All.EqualTo(0.0), $"output at padded step {t}");

        // sequence 1 alone, truncated to its length 2
        var alone = Ops.Slice(Ops.Select(x.Detach(), 1, 1), 0, 0, 2);
        var (aloneOut, (aloneH, aloneC)) = lstm.Forward(alone, null);
        Assert.That(Ops.Slice(Ops.Select(output, 1, 1), 0, 0, 2).ToDoubleArray(), Is.EqualTo(aloneOut.ToDoubleArray()).Within(1e-14));
        Assert.That(Ops.Select(h, 1, 1).ToDoubleArray(), Is.EqualTo(aloneH.ToDoubleArray()).Within(1e-14));
        Assert.That(Ops.Select(c, 1, 1).ToDoubleArray(), Is.EqualTo(aloneC.ToDoubleArray()).Within(1e-14));
    }

    private static double[] At(Tensor x, int t, int n) => Ops.Select(Ops.Select(x, 0, t), 0, n).ToDoubleArray();

    [Test]
    public void Dropout_AppliesBetweenLayersInTrainingOnly()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, dropout: 0.5, generator: new Generator(33));
        var x = Tensor.Randn([4, 2, 3], 34);
        Generator.ManualSeed(1);
        var a = lstm.Forward(x).Output.ToDoubleArray();
        Generator.ManualSeed(2);
        var b = lstm.Forward(x).Output.ToDoubleArray();
        Assert.That(a, Is.Not.EqualTo(b));
        lstm.Eval();
        Assert.That(lstm.Forward(x).Output.ToDoubleArray(), Is.EqualTo(lstm.Forward(x).Output.ToDoubleArray()));
        var plain = new LSTM(3, 4, numLayers: 2, generator: new Generator(33));
        Assert.That(lstm.Forward(x).Output.ToDoubleArray(), Is.EqualTo(plain.Forward(x).Output.ToDoubleArray()));
    }

    // ---- second order: Backward(createGraph: true) replays the fused layers as ops (Ops.RecurrentLayerGradients) --------
    // Each check perturbs the input, an initial state and a few parameters of both layers and directions (every
    // parameter takes part in the function): the cost of a second-order check grows with the square of the elements
    // checked.

    [Test]
    public void Lstm_TwoLayersBidirectional_SecondDerivativesMatchCentralDifferences_Float64()
    {
        var lstm = new LSTM(2, 2, numLayers: 2, bidirectional: true, generator: new Generator(45));
        lstm.Double();
        var w = Tensor.Randn([2, 2, 4], 49, DType.Float64);
        var (x, h0, c0) = (Leaf(46, 2, 2, 2), Leaf(47, 4, 2, 2), Leaf(48, 4, 2, 2));
        GradCheck.AssertSecondOrder(t =>
        {
            var (output, (h, c)) = lstm.Forward(t[0], (h0, t[1]));
            return (output * w).Sum() + (h * c).Sum();
        }, [x, c0, lstm.WeightHh(0), lstm.BiasIh(1, reverse: true)!], "LSTM");
    }

    [Test]
    public void Gru_TwoLayersBidirectional_WithLengths_SecondDerivativesMatchCentralDifferences_Float64()
    {
        var gru = new GRU(2, 2, numLayers: 2, bidirectional: true, generator: new Generator(50));
        gru.Double();
        var w = Tensor.Randn([3, 2, 4], 53, DType.Float64);
        GradCheck.AssertSecondOrder(t =>
        {
            var (output, h) = gru.Forward(t[0], t[1], lengths: [3, 2]);
            return (output * w).Sum() + (h * h).Sum();
        }, [Leaf(51, 3, 2, 2), Leaf(52, 4, 2, 2), gru.WeightHh(0, reverse: true), gru.BiasHh(1)!, gru.BiasIh(0)!], "GRU");
    }

    [TestCase("tanh")]
    [TestCase("relu")]
    public void Rnn_TwoLayersBidirectional_WithLengths_SecondDerivativesMatchCentralDifferences_Float64(string nonlinearity)
    {
        var rnn = new RNN(2, 2, numLayers: 2, nonlinearity: nonlinearity, bidirectional: true, generator: new Generator(54));
        rnn.Double();
        var w = Tensor.Randn([3, 3, 4], 57, DType.Float64);
        var h0 = Leaf(56, 4, 3, 2);
        GradCheck.AssertSecondOrder(t =>
        {
            var (output, h) = rnn.Forward(t[0], h0, lengths: [1, 3, 2]);
            return (output * w).Sum() + (h * h).Sum();
        }, [Leaf(55, 3, 3, 2), rnn.WeightHh(0), rnn.WeightIh(1, reverse: true), rnn.BiasHh(1)!], "RNN");
    }

    [Test]
    public void Lstm_WithLengths_NoBias_SecondDerivativesMatchCentralDifferences_Float64()
    {
        var lstm = new LSTM(2, 2, bidirectional: true, bias: false, generator: new Generator(58));
        lstm.Double();
        var w = Tensor.Randn([3, 3, 4], 62, DType.Float64);
        GradCheck.AssertSecondOrder(t =>
        {
            var (output, (h, c)) = lstm.Forward(t[0], (t[1], t[2]), lengths: [3, 1, 2]);
            return (output * w).Sum() + (h * c).Sum();
        }, [Leaf(59, 3, 3, 2), Leaf(60, 2, 3, 2), Leaf(61, 2, 3, 2), lstm.WeightHh(0, reverse: true)], "LSTM");
    }

    [Test]
    public void CreateGraph_GivesTheFirstDerivativesOfAPlainBackward_AndAGradientPenaltyTrains()
    {
        // The replayed layers (createGraph) and the fused kernels (plain) are two computations of the same gradients.
        var modules = new (RNNBase Module, int[]? Lengths)[]
        {
            (new LSTM(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(63)), [5, 2, 4]),
            (new GRU(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(64)), null),
            (new RNN(3, 4, nonlinearity: "relu", bidirectional: true, generator: new Generator(65)), [1, 5, 3]),
        };
        foreach (var (module, lengths) in modules)
        {
            module.Double();
            var x = Tensor.Randn([5, 3, 3], 66, DType.Float64).RequireGrad();
            Tensor Loss() => module switch
            {
                LSTM l => l.Forward(x, null, lengths).Output.Square().Sum(),
                SingleStateRNNBase m => m.Forward(x, null, lengths).Output.Square().Sum(),
                _ => throw new InvalidOperationException(),
            };
            Tensor[] wrt = [x, .. module.Parameters()];
            var plain = Autograd.Grad([Loss()], wrt);
            var recorded = Autograd.Grad([Loss()], wrt, createGraph: true);
            for (int i = 0; i < wrt.Length; i++)
            {
                Assert.That(recorded[i]!.RequiresGrad, Is.True, $"{module.GetType().Name} gradient {i} is recorded");
                Assert.That(recorded[i]!.ToDoubleArray(), Is.EqualTo(plain[i]!.ToDoubleArray()).Within(1e-12), $"{module.GetType().Name} gradient {i}");
            }
            // A gradient penalty ‖∂loss/∂x‖² differentiates the gradient: every parameter gets a finite, non-zero gradient.
            recorded[0]!.Square().Sum().Backward();
            foreach (var (name, p) in module.NamedParameters())
                Assert.That(p.Grad!.ToDoubleArray(), Has.Some.Not.EqualTo(0.0).And.All.Matches<double>(double.IsFinite), $"{module.GetType().Name}.{name}");
        }
    }

    [Test]
    public void ForwardAndBackward_AreBitIdentical_WithOneOrTwoThreads_AndPoisonedBuffers()
    {
        Compute.PoisonEmpty = true;
        static double[][] Step()
        {
            var lstm = new LSTM(20, 33, numLayers: 2, bidirectional: true, generator: new Generator(37));
            var x = Tensor.Randn([9, 5, 20], 38).RequireGrad();
            var (output, (h, c)) = lstm.Forward(x, null, lengths: [9, 3, 7, 9, 1]);
            ((output * output).Sum() + (h * c).Sum()).Backward();
            return [output.ToDoubleArray(), c.ToDoubleArray(), x.Grad!.ToDoubleArray(), .. lstm.Parameters().Select(p => p.Grad!.ToDoubleArray())];
        }
        var one = WithThreads(1, Step);
        var two = WithThreads(2, Step);
        for (int k = 0; k < one.Length; k++)
        {
            Assert.That(two[k], Is.EqualTo(one[k]), $"tensor {k}");
            Assert.That(one[k].All(double.IsFinite), Is.True, $"tensor {k} read a poisoned buffer");
        }
    }

    [Test]
    public void BatchSplitAcrossThreads_GivesTheBitsOfOneThread_ForEachLayerKind()
    {
        // The layers split the batch into blocks of whole 6-row GEMM tiles, one per thread, each walking every step on
        // its own rows (RecurrentSteps.ForRowBlocks). Forced on for these small layers; 14 rows are 3 tiles: 6 + 8 on two
        // threads, 6 + 6 + 2 on three. Lengths make some rows stop early in each block.
        Compute.PoisonEmpty = true;
        long saved = RecurrentSteps.SplitMinFlops;
        RecurrentSteps.SplitMinFlops = 0;
        try
        {
            int[] lengths = [7, 2, 7, 5, 1, 7, 6, 7, 3, 7, 7, 4, 7, 2];
            foreach (var make in new Func<RNNBase>[]
            {
                () => new LSTM(5, 9, numLayers: 2, bidirectional: true, generator: new Generator(41)),
                () => new GRU(5, 9, numLayers: 2, bidirectional: true, generator: new Generator(42)),
                () => new RNN(5, 9, numLayers: 2, nonlinearity: "relu", bidirectional: true, generator: new Generator(43)),
            })
            {
                double[][] Step()
                {
                    var module = make();
                    var x = Tensor.Randn([7, 14, 5], 44).RequireGrad();
                    var output = ((Module)module).Forward(x);
                    var padded = module switch
                    {
                        LSTM l => l.Forward(x, null, lengths).Output,
                        SingleStateRNNBase m => m.Forward(x, null, lengths).Output,
                        _ => throw new InvalidOperationException(),
                    };
                    ((output * output).Sum() + (padded * padded).Sum()).Backward();
                    return [output.ToDoubleArray(), padded.ToDoubleArray(), x.Grad!.ToDoubleArray(), .. module.Parameters().Select(p => p.Grad!.ToDoubleArray())];
                }
                var one = WithThreads(1, Step);
                foreach (int threads in new[] { 2, 3 })
                {
                    var many = WithThreads(threads, Step);
                    for (int k = 0; k < one.Length; k++)
                    {
                        Assert.That(many[k], Is.EqualTo(one[k]), $"{make().GetType().Name}, {threads} threads, tensor {k}");
                        Assert.That(one[k].All(double.IsFinite), Is.True, $"{make().GetType().Name}: tensor {k} read a poisoned buffer");
                    }
                }
            }
        }
        finally
        {
            RecurrentSteps.SplitMinFlops = saved;
        }
    }

    // ---- errors ---------------------------------------------------------------------------------------------------------

    [Test]
    public void Throws_WhenTheInputSizeDiffers() =>
        AssertThrows<ArgumentException>(() => new LSTM(3, 2).Forward(Tensor.Zeros(4, 2, 5)), "LSTM", "5", "inputSize 3", "[4, 2, 5]");

    [Test]
    public void Throws_WhenTheInputRankIsWrong() =>
        AssertThrows<ArgumentException>(() => new GRU(3, 2).Forward(Tensor.Zeros(4, 2, 1, 3)), "GRU", "[4, 2, 1, 3]", "rank 4");

    [Test]
    public void Throws_WhenTheStateShapeIsWrong()
    {
        AssertThrows<ArgumentException>(() => new LSTM(3, 2, numLayers: 2).Forward(Tensor.Zeros(4, 5, 3), (Tensor.Zeros(1, 5, 2), Tensor.Zeros(2, 5, 2))),
            "LSTM", "h0", "[1, 5, 2]", "[2, 5, 2]");
        AssertThrows<ArgumentException>(() => new LSTM(3, 2).Forward(Tensor.Zeros(4, 5, 3), (Tensor.Zeros(1, 5, 2), Tensor.Zeros(1, 4, 2))),
            "LSTM", "c0", "[1, 4, 2]", "[1, 5, 2]");
        AssertThrows<ArgumentException>(() => new RNN(3, 2, bidirectional: true).Forward(Tensor.Zeros(4, 5, 3), Tensor.Zeros(1, 5, 2)),
            "RNN", "h0", "[1, 5, 2]", "[2, 5, 2]");
    }

    [Test]
    public void Throws_WhenLengthsAreOutOfRange()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => new GRU(3, 2).Forward(Tensor.Zeros(4, 2, 3), null, [4, 5]), "GRU", "lengths[1] is 5", "4");
        AssertThrows<ArgumentOutOfRangeException>(() => new LSTM(3, 2).Forward(Tensor.Zeros(4, 2, 3), null, [0, 2]), "LSTM", "lengths[0] is 0");
        AssertThrows<ArgumentException>(() => new RNN(3, 2).Forward(Tensor.Zeros(4, 2, 3), null, [1, 2, 3]), "RNN", "3 entries", "2");
    }

    [Test]
    public void Throws_ForBadConstructorArguments()
    {
        AssertThrows<ArgumentException>(() => new LSTM(3, 0), "LSTM", "hiddenSize 0");
        AssertThrows<ArgumentException>(() => new GRU(3, 2, dropout: 1.5), "GRU", "dropout", "1.5");
        AssertThrows<ArgumentException>(() => new RNN(3, 2, nonlinearity: "sigmoid"), "RNN", "nonlinearity", "sigmoid");
    }
}
