using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary>Generator (Autodiff.Core/Generator.cs): the process-wide default, ManualSeed, the lock, and the random factories
/// (Tensor.Factories.cs). Tests that reseed or read <see cref="Generator.Default"/> are NonParallelizable: it is shared.</summary>
public class GeneratorTests
{
    private static double[] Draw(int count, Func<double> next) => Enumerable.Range(0, count).Select(_ => next()).ToArray();

    [Test]
    public void Seeded_DrawsThePinnedXoshiroSequence()
    {
        // xoshiro256** seeded through SplitMix64: these numbers must never change (saved seeds reproduce old runs).
        Assert.That(new Generator(0).NextUInt64(), Is.EqualTo(11091344671253066420UL));
        Assert.That(Tensor.Rand([3], seed: 7, DType.Float64).ToDoubleArray(),
            Is.EqualTo(new[] { 0.7005764821796896, 0.2787512294737843, 0.8396274618764198 }));
    }

    [Test]
    public void TensorFills_DrawWhatOneCallPerElementDraws()
    {
        var g = new Generator(3);
        var normals = Draw(8, g.NextNormal);   // 7 for the tensor, then the spare Box-Muller value it leaves
        Assert.That(Tensor.Randn([7], new Generator(3), DType.Float64).ToDoubleArray(), Is.EqualTo(normals[..7]));
        var filled = new Generator(3);
        _ = Tensor.Randn([7], filled, DType.Float64);
        Assert.That(filled.NextNormal(), Is.EqualTo(normals[7]));
        // Float32 takes the same draws through float vector math: each value within ~1e-6 of the float64 one, not its rounding.
        var singles = Tensor.Randn([7], seed: 3).ToArray();
        for (int i = 0; i < 7; i++) Assert.That(singles[i], Is.EqualTo(normals[i]).Within(2e-6 * (1 + Math.Abs(normals[i]))), $"element {i}");

        var u = new Generator(5);
        Assert.That(Tensor.Uniform([6], -2, 3, new Generator(5), DType.Float64).ToDoubleArray(),
            Is.EqualTo(Draw(6, () => -2 + 5 * u.NextDouble())));
    }

    [TestCase(-2.0, 3.0)]
    [TestCase(1.0, 1.0000002384185791)]          // 1 + 2⁻²²: a quarter of the draws round to high and are moved below it
    [TestCase(5.0, 5.0)]                         // nothing below high: every value is high
    public void Uniform_VectorizedFill_GivesWhatOneDrawPerElementGives(double low, double high)
    {
        // Eight (float) or four (double) values at a time, then one by one: every element as UniformValue of NextDouble.
        var reference = new Generator(31);
        var doubles = Draw(2 * 37, reference.NextDouble);
        Assert.That(Tensor.Uniform([37], low, high, new Generator(31)).ToArray(),
            Is.EqualTo(doubles[..37].Select(u => Generator.UniformValue<float>(low, high, u))));
        var g = new Generator(31);
        _ = Tensor.Uniform([37], low, high, g);
        Assert.That(Tensor.Uniform([37], low, high, g, DType.Float64).ToDoubleArray(),
            Is.EqualTo(doubles[37..].Select(u => Generator.UniformValue<double>(low, high, u))));
    }

    [Test]
    public void Randn_Float32_FollowsTheFloat64Stream_AtEveryLength_AndLeavesTheSameSpare()
    {
        // Vectorized eight pairs at a time: lengths around the 16-value groups, odd ones leaving a spare computed in double.
        for (int length = 0; length <= 40; length++)
        {
            var reference = new Generator(21);
            var normals = Draw(length + 1, reference.NextNormal);
            var g = new Generator(21);
            var singles = Tensor.Randn([length], g).ToArray();
            for (int i = 0; i < length; i++)
                Assert.That(singles[i], Is.EqualTo(normals[i]).Within(2e-6 * (1 + Math.Abs(normals[i]))), $"length {length}, element {i}");
            Assert.That(g.NextNormal(), Is.EqualTo(normals[length]), $"the draw after a fill of {length}");
        }
    }

    [Test]
    public void Randn_Float32_StartsWithAPendingSpare_AsFloat64Does()
    {
        var (a, b) = (new Generator(8), new Generator(8));
        _ = a.NextNormal();                                    // leaves a spare, which the fill takes first
        _ = b.NextNormal();
        var doubles = Tensor.Randn([19], a, DType.Float64).ToDoubleArray();
        var singles = Tensor.Randn([19], b).ToArray();
        Assert.That(singles[0], Is.EqualTo((float)doubles[0]));
        for (int i = 1; i < 19; i++) Assert.That(singles[i], Is.EqualTo(doubles[i]).Within(2e-6 * (1 + Math.Abs(doubles[i]))), $"element {i}");
        Assert.That(a.NextDouble(), Is.EqualTo(b.NextDouble()), "both consumed the same draws");
    }

    [Test]
    public void Randn_Float32_DependsOnTheIndexAlone_SoAShorterFillIsAPrefix()
    {
        var whole = Tensor.Randn([1000], seed: 4).ToArray();
        foreach (int length in new[] { 1, 2, 15, 16, 17, 33, 999 })
            Assert.That(Tensor.Randn([length], seed: 4).ToArray(), Is.EqualTo(whole[..length]), $"length {length}");
    }

    [Test]
    public void Randn_Float32_HasTheMomentsAndTailsOfAStandardNormal()
    {
        var z = Tensor.Randn([400_000], seed: 6).ToArray();
        double mean = z.Average(v => (double)v), variance = z.Average(v => ((double)v - mean) * ((double)v - mean));
        Assert.That(mean, Is.EqualTo(0).Within(0.01));                     // standard error 0.0016
        Assert.That(variance, Is.EqualTo(1).Within(0.01));
        double beyond2 = z.Count(v => Math.Abs(v) > 2) / (double)z.Length;   // 0.0455
        double beyond3 = z.Count(v => Math.Abs(v) > 3) / (double)z.Length;   // 0.0027
        Assert.That(beyond2, Is.EqualTo(0.0455).Within(0.002));
        Assert.That(beyond3, Is.EqualTo(0.0027).Within(0.0004));
        Assert.That(z, Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void UniformValue_NeverReturnsHigh_WhenRoundingWouldReachIt()
    {
        double lastBelowOne = 1 - Math.Pow(2, -53);   // the largest u a generator can draw
        // float32: u ≥ 1 − 2⁻²⁵ rounds to 1; it becomes the largest float below 1, which [0, 1) allows.
        Assert.That(Generator.UniformValue<float>(0, 1, lastBelowOne), Is.EqualTo(float.BitDecrement(1f)));
        Assert.That(Generator.UniformValue<float>(0, 1, 1 - Math.Pow(2, -25)), Is.EqualTo(float.BitDecrement(1f)));
        Assert.That(Generator.UniformValue<float>(-3, 5, lastBelowOne), Is.EqualTo(float.BitDecrement(5f)));
        // float64 too: 1 + (1 − 2⁻⁵³) rounds to 2.
        Assert.That(Generator.UniformValue<double>(1, 2, lastBelowOne), Is.EqualTo(double.BitDecrement(2.0)));
        // Values below high are untouched, so seeded draws keep their values.
        Assert.That(Generator.UniformValue<float>(0, 1, 1 - Math.Pow(2, -24)), Is.EqualTo(1f - MathF.Pow(2, -24)));
        Assert.That(Generator.UniformValue<float>(-2, 3, 0.5), Is.EqualTo(0.5f));
        Assert.That(Generator.UniformValue<double>(0, 1, lastBelowOne), Is.EqualTo(lastBelowOne));
        // low == high (or both rounding to one float) leaves nothing below high: that value, as torch's uniform_(a, a).
        Assert.That(Generator.UniformValue<float>(2, 2, lastBelowOne), Is.EqualTo(2f));
        Assert.That(Generator.UniformValue<float>(1, 1 + 1e-12, lastBelowOne), Is.EqualTo(1f));
    }

    [Test, NonParallelizable]
    public void ManualSeed_ReseedsTheDefaultInPlace_ToWhatANewGeneratorDraws()
    {
        var before = Generator.Default;
        _ = Generator.Default.NextNormal();                  // leaves a spare normal, which reseeding must discard
        var returned = Generator.ManualSeed(4);
        Assert.That(returned, Is.SameAs(Generator.Default));
        Assert.That(Generator.Default, Is.SameAs(before));
        Assert.That(Generator.Default.InitialSeed, Is.EqualTo(4));
        var fresh = new Generator(4);
        Assert.That(Generator.Default.NextNormal(), Is.EqualTo(fresh.NextNormal()));
        Assert.That(Generator.Default.NextDouble(), Is.EqualTo(fresh.NextDouble()));
    }

    [Test]
    public void DefaultSeed_IsPyTorchs_AndInitialSeedIsTheSeedGiven()
    {
        Assert.That(Generator.DefaultSeed, Is.EqualTo(67280421310721));   // torch.initial_seed() in a fresh process
        Assert.That(new Generator(-12).InitialSeed, Is.EqualTo(-12));
    }

    [Test, NonParallelizable]
    public void SeedlessFactories_TakeTheShapeAsArguments_AndDrawFromTheDefault()
    {
        Generator.ManualSeed(5);
        var a = Tensor.Randn(2, 3);
        Assert.That(a.Shape.ToString(), Is.EqualTo("[2, 3]"));
        Assert.That(a.DType, Is.EqualTo(DType.Float32));
        Assert.That(a.ToArray(), Is.EqualTo(Tensor.Randn([2, 3], new Generator(5)).ToArray()));

        Generator.ManualSeed(5);
        var r = Tensor.Rand(4);
        Assert.That(r.Shape.ToString(), Is.EqualTo("[4]"));
        Assert.That(r.ToArray(), Is.EqualTo(Tensor.Rand([4], seed: 5).ToArray()));

        Generator.ManualSeed(5);
        Assert.That(Tensor.Randn([3], dtype: DType.Float64).ToDoubleArray(), Is.EqualTo(Tensor.Randn([3], 5, DType.Float64).ToDoubleArray()));
        Generator.ManualSeed(5);
        Assert.That(Tensor.Uniform([3], -1, 1).ToArray(), Is.EqualTo(Tensor.Uniform([3], -1, 1, new Generator(5)).ToArray()));
    }

    [Test, NonParallelizable]
    public void SeedlessFactories_DrawNewValuesEachCall()
    {
        Assert.That(Tensor.Randn(16).ToArray(), Is.Not.EqualTo(Tensor.Randn(16).ToArray()));
        Assert.That(Tensor.Rand(16).ToArray(), Is.Not.EqualTo(Tensor.Rand(16).ToArray()));
    }

    [Test, NonParallelizable]
    public void SeededFactories_LeaveTheDefaultUntouched()
    {
        Generator.ManualSeed(9);
        _ = Tensor.Randn([4], seed: 1);
        _ = Tensor.Rand([4], new Generator(2));
        Assert.That(Generator.Default.NextDouble(), Is.EqualTo(new Generator(9).NextDouble()));
    }

    [Test]
    public void RandInt_DrawsEveryIntegerInRange_AndNothingElse()
    {
        var values = Tensor.RandInt(-3, 4, [5000], new Generator(1)).ToArray();
        Assert.That(values, Is.All.InRange(-3f, 3f));
        Assert.That(values.Select(v => v - MathF.Floor(v)), Is.All.EqualTo(0f));
        Assert.That(values.Distinct().Order(), Is.EqualTo(new[] { -3f, -2f, -1f, 0f, 1f, 2f, 3f }));
        Assert.That(values.GroupBy(v => v).Select(g => g.Count()), Is.All.InRange(600, 830));   // 5000/7 ≈ 714 each
    }

    [Test, NonParallelizable]
    public void RandInt_FromZero_HasTheShape_AndDrawsFromTheDefault()
    {
        Generator.ManualSeed(8);
        var t = Tensor.RandInt(5, [2, 3]);
        Assert.That(t.Shape.ToString(), Is.EqualTo("[2, 3]"));
        Assert.That(t.ToArray(), Is.All.InRange(0f, 4f));
        Assert.That(t.ToArray(), Is.EqualTo(Tensor.RandInt(0, 5, [2, 3], new Generator(8)).ToArray()));
        var wide = Tensor.RandInt(0, 1L << 40, [100], new Generator(8), DType.Float64).ToDoubleArray();
        Assert.That(wide, Is.All.InRange(0.0, (double)(1L << 40)));
        Assert.That(wide.Max(), Is.GreaterThan((double)(1L << 39) / 8));
    }

    [Test]
    public void RandInt_Throws_WhenTheRangeIsEmpty() =>
        AssertThrows<ArgumentException>(() => Tensor.RandInt(3, 3, [2]), "RandInt", "low 3", "high 3");

    [Test]
    public void RandInt_Throws_WhenFloat32CannotHoldEveryInteger()
    {
        AssertThrows<ArgumentException>(() => Tensor.RandInt(0, 1L << 30, [2]), "RandInt", "1073741824", "16777216", "DType.Float64");
        AssertThrows<ArgumentException>(() => Tensor.RandInt(-(1L << 25), 0, [2]), "RandInt", "-33554432");
        Assert.That(Tensor.RandInt(-(1L << 24), (1L << 24) + 1, [2], new Generator(1)).Numel, Is.EqualTo(2));   // the edges are fine
    }

    [Test]
    public void RandomFactories_Throw_ForANegativeDimension_NamingTheOp()
    {
        AssertThrows<ArgumentException>(() => Tensor.Randn(2, -1), "Randn", "-1");
        AssertThrows<ArgumentException>(() => Tensor.Rand(-3), "Rand", "-3");
        AssertThrows<ArgumentException>(() => Tensor.RandInt(0, 2, [-4]), "RandInt", "-4");
        AssertThrows<ArgumentException>(() => Tensor.Uniform([2], 1, 0), "Uniform", "low 1", "high 0");
    }

    // ---- threads --------------------------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="threads"/> threads released together, each returning the values it drew.</summary>
    private static double[] DrawConcurrently(int threads, Func<int, List<double>> body)
    {
        var drawn = new List<double>[threads];
        var errors = new Exception?[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                drawn[t] = body(t);
            }
            catch (Exception e) { errors[t] = e; }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Assert.That(errors, Is.All.Null);
        var all = drawn.SelectMany(d => d).ToArray();
        Array.Sort(all);
        return all;
    }

    /// <summary>Asserts that <paramref name="sortedDrawn"/> holds exactly the first values <paramref name="next"/> gives.</summary>
    private static void AssertSameMultiset(double[] sortedDrawn, Func<double> next)
    {
        var expected = Draw(sortedDrawn.Length, next);
        Array.Sort(expected);
        int mismatch = Enumerable.Range(0, expected.Length).FirstOrDefault(i => sortedDrawn[i] != expected[i], -1);
        Assert.That(mismatch, Is.EqualTo(-1), () => $"{sortedDrawn.Length} values drawn concurrently are not the first {expected.Length} " +
            $"of the sequence: sorted, they first differ at {mismatch} ({sortedDrawn[mismatch]} vs {expected[mismatch]}).");
    }

    [Test]
    public void ConcurrentUniformDraws_NeitherLoseNorRepeatAValue()
    {
        // Each draw is one step of the sequence, so whatever the interleaving, all the values drawn together must be the
        // first K of a fresh generator with the same seed. A race on the state repeats or corrupts values.
        var shared = new Generator(11);
        var all = DrawConcurrently(8, t =>
        {
            var mine = new List<double>();
            for (int r = 0; r < 1500; r++)   // most of the time inside the generator, so unlocked draws would overlap
            {
                if ((r + t) % 2 == 0) for (int i = 0; i < 20; i++) mine.Add(shared.NextDouble());
                else mine.AddRange(Tensor.Rand([200 + (r * 7 + t) % 300], shared, DType.Float64).ToDoubleArray());
            }
            return mine;
        });
        AssertSameMultiset(all, new Generator(11).NextDouble);
    }

    [Test]
    public void ConcurrentNormalDraws_NeitherLoseNorRepeatAValue()
    {
        var shared = new Generator(12);
        var all = DrawConcurrently(8, t =>
        {
            var mine = new List<double>();
            for (int r = 0; r < 300; r++)
            {
                if ((r + t) % 2 == 0) for (int i = 0; i < 101; i++) mine.Add(shared.NextNormal());
                else mine.AddRange(Tensor.Randn([201 + (r * 5 + t) % 300], shared, DType.Float64).ToDoubleArray());
            }
            return mine;
        });
        AssertSameMultiset(all, new Generator(12).NextNormal);
    }
}
