using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

using Ops = global::Autodiff.Ops;

public class PackedSequenceTests
{
    private static Tensor X => Tensor.Arange(24, DType.Float64).Reshape(4, 3, 2);

    [Test]
    public void Pack_And_Pad_MatchTorch()
    {
        // x = torch.arange(24.).view(4, 3, 2); p = pack_padded_sequence(x, torch.tensor([2, 4, 3]), enforce_sorted=False)
        var packed = Utils.PackPaddedSequence(X, [2, 4, 3], enforceSorted: false);
        Assert.That(packed.Data.ToDoubleArray(), Is.EqualTo(new double[] { 2, 3, 4, 5, 0, 1, 8, 9, 10, 11, 6, 7, 14, 15, 16, 17, 20, 21 }));
        Assert.That(packed.Data.Shape, Is.EqualTo(new Shape(9, 2)));
        Assert.That(packed.BatchSizes, Is.EqualTo(new[] { 3, 3, 2, 1 }));
        Assert.That(packed.SortedIndices, Is.EqualTo(new[] { 1, 2, 0 }));
        Assert.That(packed.UnsortedIndices, Is.EqualTo(new[] { 2, 0, 1 }));
        // pad_packed_sequence(p, total_length=4, padding_value=-1.0)
        var (padded, lengths) = Utils.PadPackedSequence(packed, paddingValue: -1, totalLength: 4);
        Assert.That(padded.ToDoubleArray(), Is.EqualTo(new double[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1, -1, 14, 15, 16, 17, -1, -1, 20, 21, -1, -1 }));
        Assert.That(lengths, Is.EqualTo(new[] { 2, 4, 3 }));
    }

    [Test]
    public void Pack_IsDifferentiable_AndPaddedPositionsGetNoGradient()
    {
        var x = X.RequireGrad();
        var packed = Utils.PackPaddedSequence(x, [4, 3, 2]);
        packed.Data.Sum().Backward();
        var g = x.Grad!.Reshape(4, 3, 2);
        Assert.That(Ops.Select(Ops.Select(g, 0, 3), 0, 2).ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(Ops.Select(Ops.Select(g, 0, 1), 0, 2).ToDoubleArray(), Is.All.EqualTo(1.0));
        GradCheck.Assert(t => Utils.PadPackedSequence(Utils.PackPaddedSequence(t[0], [4, 3, 2])).Padded, [Leaf(1, 4, 3, 2)], "Pack/Pad");
    }

    [Test]
    public void Modules_OnAPackedBatch_EqualTheirLengthsOverload()
    {
        var lstm = new LSTM(2, 3, numLayers: 2, bidirectional: true, batchFirst: true, generator: new Generator(2)).Double();
        var x = Tensor.Randn([3, 5, 2], 3, DType.Float64);                            // batch first
        int[] lengths = [2, 5, 4];
        var (output, (h, c)) = ((LSTM)lstm).Forward(Utils.PackPaddedSequence(x, lengths, batchFirst: true, enforceSorted: false), null);
        var (expected, (eh, ec)) = ((LSTM)lstm).Forward(x, null, lengths);
        var (padded, _) = Utils.PadPackedSequence(output, batchFirst: true);
        Assert.That(padded.ToDoubleArray(), Is.EqualTo(expected.ToDoubleArray()));
        Assert.That(h.ToDoubleArray(), Is.EqualTo(eh.ToDoubleArray()));
        Assert.That(c.ToDoubleArray(), Is.EqualTo(ec.ToDoubleArray()));
        var gru = (GRU)new GRU(2, 3, generator: new Generator(4)).Double();
        var xs = Ops.Transpose(x, 0, 1);
        var (gOut, gh) = gru.Forward(Utils.PackPaddedSequence(xs, lengths, enforceSorted: false));
        Assert.That(Utils.PadPackedSequence(gOut).Padded.ToDoubleArray(), Is.EqualTo(gru.Forward(xs, null, lengths).Output.ToDoubleArray()));
        Assert.That(gh.ToDoubleArray(), Is.EqualTo(gru.Forward(xs, null, lengths).H.ToDoubleArray()));
    }

    [Test]
    public void Throws_ForUnsortedLengths_WhenSortingIsEnforced_AndForBadLengths()
    {
        AssertThrows<ArgumentException>(() => Utils.PackPaddedSequence(X, [2, 4, 3]), "PackPaddedSequence", "[2, 4, 3]", "enforceSorted");
        AssertThrows<ArgumentOutOfRangeException>(() => Utils.PackPaddedSequence(X, [5, 4, 3]), "PackPaddedSequence", "lengths[0] is 5");
        AssertThrows<ArgumentException>(() => Utils.PackPaddedSequence(X, [4, 3]), "PackPaddedSequence", "2 entries", "3");
        var packed = Utils.PackPaddedSequence(X, [4, 3, 2]);
        AssertThrows<ArgumentException>(() => Utils.PadPackedSequence(packed, totalLength: 3), "PadPackedSequence", "totalLength 3", "4");
    }
}
