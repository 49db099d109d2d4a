using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Einsum (Ops/Einsum.cs): torch.einsum as a composition of Permute, Reshape, IndexSelect, Sum and MatMul.</summary>
public class EinsumTests
{
    /// <summary>The naive definition: for every assignment of every letter, the product of the operands' elements added
    /// to the output element (a size-1 dim broadcasts). Letters only; the output is explicit or implicit.</summary>
    private static double[] Reference(string equation, params Tensor[] operands)
    {
        equation = equation.Replace(" ", "");
        var parts = equation.Split("->");
        var terms = parts[0].Split(',');
        string output = parts.Length == 2
            ? parts[1]
            : string.Concat(parts[0].Where(char.IsLetter).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key).Order());
        var letters = string.Concat(parts[0].Where(char.IsLetter).Distinct());
        var size = new Dictionary<char, int>();
        for (int k = 0; k < terms.Length; k++)
            for (int d = 0; d < terms[k].Length; d++)
                if (operands[k].Shape[d] != 1 || !size.ContainsKey(terms[k][d])) size[terms[k][d]] = operands[k].Shape[d];
        var data = operands.Select(t => t.ToDoubleArray()).ToArray();
        var y = new double[output.Aggregate(1, (p, c) => p * size[c])];
        var index = new Dictionary<char, int>();
        foreach (char c in letters) index[c] = 0;
        if (letters.Any(c => size[c] == 0)) return y;
        while (true)
        {
            double product = 1;
            for (int k = 0; k < terms.Length; k++)
            {
                int at = 0;
                for (int d = 0; d < terms[k].Length; d++)
                    at = at * operands[k].Shape[d] + (operands[k].Shape[d] == 1 ? 0 : index[terms[k][d]]);
                product *= data[k][at];
            }
            int o = 0;
            foreach (char c in output) o = o * size[c] + index[c];
            y[o] += product;
            int i = letters.Length - 1;                                                  // next assignment (odometer)
            for (; i >= 0; i--)
            {
                if (++index[letters[i]] < size[letters[i]]) break;
                index[letters[i]] = 0;
            }
            if (i < 0) return y;
        }
    }

    private static Tensor[] Operands(int[][] shapes, long seed) =>
        [.. shapes.Select((s, i) => Tensor.Randn(s, seed + i, DType.Float64))];

    public static IEnumerable<TestCaseData> Equations() =>
    [
        new TestCaseData("bhqd,bhkd->bhqk", new[] { new[] { 2, 3, 4, 5 }, [2, 3, 6, 5] }, new[] { 2, 3, 4, 6 }),   // attention scores
        new TestCaseData("bhqk,bhkd->bhqd", new[] { new[] { 2, 3, 4, 6 }, [2, 3, 6, 5] }, new[] { 2, 3, 4, 5 }),   // attention values
        new TestCaseData("bij,bjk->bik", new[] { new[] { 3, 2, 4 }, [3, 4, 5] }, new[] { 3, 2, 5 }),
        new TestCaseData("ij,jk->ik", new[] { new[] { 3, 4 }, [4, 2] }, new[] { 3, 2 }),
        new TestCaseData("bi,bi->b", new[] { new[] { 4, 5 }, [4, 5] }, new[] { 4 }),
        new TestCaseData("i,j->ij", new[] { new[] { 3 }, [4] }, new[] { 3, 4 }),
        new TestCaseData("ij->ji", new[] { new[] { 3, 4 } }, new[] { 4, 3 }),
        new TestCaseData("ij->j", new[] { new[] { 3, 4 } }, new[] { 4 }),
        new TestCaseData("bij->bji", new[] { new[] { 2, 3, 4 } }, new[] { 2, 4, 3 }),
        new TestCaseData("ij,jk", new[] { new[] { 3, 4 }, [4, 2] }, new[] { 3, 2 }),                              // implicit: ik
        new TestCaseData("ba", new[] { new[] { 3, 4 } }, new[] { 4, 3 }),                                          // implicit: ab
        new TestCaseData(" b i , b i -> b ", new[] { new[] { 4, 5 }, [4, 5] }, new[] { 4 }),                       // spaces
        new TestCaseData("i,i->", new[] { new[] { 5 }, [5] }, Array.Empty<int>()),                                 // dot
        new TestCaseData("ij->", new[] { new[] { 3, 4 } }, Array.Empty<int>()),
        new TestCaseData("ij->ij", new[] { new[] { 3, 4 } }, new[] { 3, 4 }),
        new TestCaseData("ii->i", new[] { new[] { 4, 4 } }, new[] { 4 }),                                          // diagonal
        new TestCaseData("ii", new[] { new[] { 4, 4 } }, Array.Empty<int>()),                                      // trace
        new TestCaseData("iji->j", new[] { new[] { 3, 2, 3 } }, new[] { 2 }),
        new TestCaseData("bii,bi->bi", new[] { new[] { 2, 3, 3 }, [2, 3] }, new[] { 2, 3 }),
        new TestCaseData("ij,jk,kl->il", new[] { new[] { 2, 3 }, [3, 4], [4, 5] }, new[] { 2, 5 }),              // folded
        new TestCaseData("bn,anm,bm->ba", new[] { new[] { 2, 3 }, [4, 3, 5], [2, 5] }, new[] { 2, 4 }),          // bilinear
        new TestCaseData("ijk,jil->kl", new[] { new[] { 2, 3, 4 }, [3, 2, 5] }, new[] { 4, 5 }),                 // two contracted
        new TestCaseData("bik,kj->bij", new[] { new[] { 2, 3, 4 }, [4, 5] }, new[] { 2, 3, 5 }),
        new TestCaseData("ij,ij->ij", new[] { new[] { 1, 4 }, [3, 4] }, new[] { 3, 4 }),                           // size 1 broadcasts
        new TestCaseData("ij,jk->ik", new[] { new[] { 3, 1 }, [4, 2] }, new[] { 3, 2 }),                           // even contracted
        new TestCaseData("ij,kj->ikj", new[] { new[] { 2, 3 }, [4, 3] }, new[] { 2, 4, 3 }),
        new TestCaseData("Ab,bA->A", new[] { new[] { 2, 3 }, [3, 2] }, new[] { 2 }),
        new TestCaseData("bA,AC", new[] { new[] { 3, 2 }, [2, 4] }, new[] { 4, 3 }),                              // implicit: Cb, capitals first
    ];

    [TestCaseSource(nameof(Equations))]
    public void Forward_MatchesTheNaiveLoop(string equation, int[][] shapes, int[] expectedShape)
    {
        var xs = Operands(shapes, 300);
        var y = Ops.Einsum(equation, xs);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(expectedShape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Reference(equation, xs)).Within(1e-12));
        var y32 = Ops.Einsum(equation, [.. xs.Select(x => x.To(DType.Float32))]);
        Assert.That(y32.DType, Is.EqualTo(DType.Float32));
        Assert.That(y32.ToDoubleArray(), Is.EqualTo(Reference(equation, xs)).Within(1e-4));
    }

    [Test]
    public void Forward_HandDerivedMatrixProduct()
    {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; trace of the first = 5
        var a = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, 2, 2);
        var b = Tensor.FromArray(new[] { 5.0, 6, 7, 8 }, 2, 2);
        Assert.That(Ops.Einsum("ij,jk->ik", a, b).ToDoubleArray(), Is.EqualTo(new[] { 19.0, 22, 43, 50 }));
        Assert.That(Ops.Einsum("ii", a).ToDoubleArray(), Is.EqualTo(new[] { 5.0 }));
        Assert.That(Ops.Einsum("ij->j", a).ToDoubleArray(), Is.EqualTo(new[] { 4.0, 6 }));
    }

    [Test]
    public void Forward_Ellipsis_BroadcastsLikeMatMul()
    {
        var (a, b) = (Tensor.Randn([2, 1, 3, 4], 310, DType.Float64), Tensor.Randn([5, 4, 2], 311, DType.Float64));
        var expected = Ops.MatMul(a, b).ToDoubleArray();                                  // [2, 5, 3, 2]
        var explicitOut = Ops.Einsum("...ij,...jk->...ik", a, b);
        Assert.That(explicitOut.Shape.ToArray(), Is.EqualTo(new[] { 2, 5, 3, 2 }));
        Assert.That(explicitOut.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
        Assert.That(Ops.Einsum("...ij,...jk", a, b).ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Forward_Ellipsis_InTheMiddle_Diagonal_AndSummedWhenLeftOut()
    {
        var x = Tensor.Randn([3, 2, 4, 3], 312, DType.Float64);
        Assert.That(Ops.Einsum("i...i->...i", x).ToDoubleArray(), Is.EqualTo(Reference("iabi->abi", x)).Within(1e-12));
        Assert.That(Ops.Einsum("i...j->ij", x).ToDoubleArray(), Is.EqualTo(Reference("iabj->ij", x)).Within(1e-12));
        Assert.That(Ops.Einsum("...->...", x).ToDoubleArray(), Is.EqualTo(x.ToDoubleArray()));
        var v = Tensor.Randn([3], 313, DType.Float64);
        Assert.That(Ops.Einsum("...,...->...", x, v).ToDoubleArray(), Is.EqualTo((x * v).ToDoubleArray()).Within(1e-12));
    }

    [Test]
    public void Forward_EmptyContraction_IsZeros()
    {
        var y = Ops.Einsum("bij,bjk->bik", Tensor.Ones([2, 3, 0], DType.Float64), Tensor.Ones([2, 0, 4], DType.Float64));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(y.ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(Ops.Einsum("ij->i", Tensor.Ones([2, 0], DType.Float64)).ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0 }));
    }

    [Test]
    public void Forward_IdentityIsANewTensor_SharingNothingOnTheTape()
    {
        var x = Tensor.Randn([2, 3], 314, DType.Float64);
        var y = Ops.Einsum("ij->ij", x);
        Assert.That(y, Is.Not.SameAs(x));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(x.ToDoubleArray()));
    }

    [TestCase("bhqd,bhkd->bhqk", "Reshape, Reshape, MatMul(a, bᵀ), Reshape")]                  // k read transposed in place
    [TestCase("bhqk,bhkd->bhqd", "Reshape, Reshape, MatMul, Reshape")]
    [TestCase("bi,bi->b", "Reshape, Reshape, MatMul, Reshape")]                              // [B, 1, I]·[B, I, 1], views
    [TestCase("ij->ji", "Permute")]
    public void Records_OnlyTheOpsItIsComposedOf_NoCopyForAttention(string equation, string ops)
    {
        var xs = equation.Split("->")[0].Split(',').Select((t, i) => Leaf(315 + i, [.. t.Select(_ => 2)])).ToArray();
        Tape.Current.Clear();
        Ops.Einsum(equation, xs);
        Assert.That(string.Join(", ", Tape.Current.Entries.Select(e => e.Op)), Is.EqualTo(ops));
        Tape.Current.Clear();
    }

    [TestCase("bhqd,bhkd->bhqk", new[] { 1, 2, 3, 2 }, new[] { 1, 2, 2, 2 })]
    [TestCase("bhqk,bhkd->bhqd", new[] { 1, 2, 3, 2 }, new[] { 1, 2, 2, 3 })]
    [TestCase("bij,bjk->bik", new[] { 2, 2, 3 }, new[] { 2, 3, 2 })]
    [TestCase("ij,jk->ik", new[] { 2, 3 }, new[] { 3, 2 })]
    [TestCase("bi,bi->b", new[] { 3, 4 }, new[] { 3, 4 })]
    [TestCase("i,j->ij", new[] { 3 }, new[] { 2 })]
    [TestCase("ij,ij->ij", new[] { 1, 3 }, new[] { 2, 3 })]
    [TestCase("bii,bi->bi", new[] { 2, 3, 3 }, new[] { 2, 3 })]
    [TestCase("...ij,...jk->...ik", new[] { 2, 1, 2, 3 }, new[] { 2, 3, 2 })]
    public void Backward_MatchesCentralDifferences_Float64(string equation, int[] aShape, int[] bShape) =>
        GradCheck.Assert(xs => Ops.Einsum(equation, xs), [Leaf(320, aShape), Leaf(321, bShape)], $"Einsum(\"{equation}\")");

    [TestCase("ij->ji", new[] { 2, 3 })]
    [TestCase("ij->j", new[] { 2, 3 })]
    [TestCase("bij->bji", new[] { 2, 2, 3 })]
    [TestCase("ii->i", new[] { 3, 3 })]
    [TestCase("ii", new[] { 3, 3 })]
    public void Backward_OneOperand_MatchesCentralDifferences_Float64(string equation, int[] shape) =>
        GradCheck.Assert(xs => Ops.Einsum(equation, xs), [Leaf(322, shape)], $"Einsum(\"{equation}\")");

    [Test]
    public void Backward_ThreeOperands_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Ops.Einsum("bn,anm,bm->ba", xs), [Leaf(323, 2, 3), Leaf(324, 2, 3, 2), Leaf(325, 2, 2)], "Einsum(bilinear)");

    [Test]
    public void Backward_OperandUsedTwice_Accumulates()
    {
        // Σᵢⱼ xᵢⱼ² has gradient 2x
        var x = Leaf(326, 2, 3);
        Ops.Einsum("ij,ij->", x, x).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo((x.Detach() * 2).ToDoubleArray()).Within(1e-14));
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Ops.Einsum("bhqd,bhkd->bhqk", xs) * Ops.Einsum("bhqd,bhkd->bhqk", xs),
            [Leaf(327, 1, 2, 2, 2), Leaf(328, 1, 2, 3, 2)], "Einsum(attention scores)²");

    [TestCase("ij,jk->ik", "Einsum", "\"ij,jk->ik\"", "2 operand term(s) but 1 operand(s)")]
    public void Throws_WhenTheOperandCountDiffers(string equation, params string[] parts) =>
        AssertThrows<ArgumentException>(() => Ops.Einsum(equation, Tensor.Zeros([2, 3], DType.Float64)), [.. parts, "[2, 3]"]);

    [Test]
    public void Throws_WhenThereAreNoOperands() =>
        AssertThrows<ArgumentException>(() => Ops.Einsum("->"), "Einsum", "\"->\"", "at least one operand");

    [TestCase("ij;jk->ik", "invalid character ';'")]
    [TestCase("i1->i", "invalid character '1'")]
    [TestCase("i.j->ij", "ellipsis")]
    [TestCase("...i...->i", "more than one ellipsis")]
    [TestCase("ij->i->j", "'->' appears more than once")]
    [TestCase("ij-ji", "invalid character '-'")]
    public void Throws_WhenTheEquationIsMalformed(string equation, string what) =>
        AssertThrows<ArgumentException>(() => Ops.Einsum(equation, Tensor.Zeros([2, 2], DType.Float64)),
            "Einsum", $"\"{equation}\"", what, "[2, 2]");

    [Test]
    public void Throws_WhenAnOperandsRankDiffersFromItsSubscripts()
    {
        var (a, b) = (Tensor.Zeros([2, 3], DType.Float64), Tensor.Zeros([3, 4, 5], DType.Float64));
        AssertThrows<ArgumentException>(() => Ops.Einsum("ij,jk->ik", a, b), "Einsum", "\"ij,jk->ik\"", "operand 1 has 3 dim(s)", "\"jk\"", "[2, 3], [3, 4, 5]");
        AssertThrows<ArgumentException>(() => Ops.Einsum("ij...k->ik", a), "Einsum", "operand 0 has 2 dim(s)", "name 3");
    }

    [Test]
    public void Throws_WhenALettersSizesDisagree()
    {
        var (a, b) = (Tensor.Zeros([2, 3], DType.Float64), Tensor.Zeros([4, 5], DType.Float64));
        AssertThrows<ArgumentException>(() => Ops.Einsum("ij,jk->ik", a, b), "Einsum", "\"ij,jk->ik\"", "subscript 'j' has size 4", "but 3", "[2, 3], [4, 5]");
        AssertThrows<ArgumentException>(() => Ops.Einsum("ii->i", a), "Einsum", "subscript 'i' is repeated in operand 0", "2 and 3", "[2, 3]");
        AssertThrows<ArgumentException>(() => Ops.Einsum("...i,...i->...", Tensor.Zeros([2, 3], DType.Float64), Tensor.Zeros([4, 3], DType.Float64)),
            "Einsum", "'...' (dim 0) has size 4", "[2, 3], [4, 3]");
    }

    [Test]
    public void Throws_WhenAnOutputLetterIsNotAnInputOrIsRepeated()
    {
        var x = Tensor.Zeros([2, 3], DType.Float64);
        AssertThrows<ArgumentException>(() => Ops.Einsum("ij->ik", x), "Einsum", "\"ij->ik\"", "output subscript 'k' does not appear", "[2, 3]");
        AssertThrows<ArgumentException>(() => Ops.Einsum("ij->ii", x), "Einsum", "\"ij->ii\"", "output subscript 'i' appears more than once", "[2, 3]");
    }

    [Test]
    public void Throws_WhenDTypesDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.Einsum("i,i->", Tensor.Zeros([2], DType.Float32), Tensor.Zeros([2], DType.Float64)),
            "Einsum", "Float32", "Float64", "[2], [2]");

    [Test]
    public void Throws_WhenTheEquationOrAnOperandIsNull()
    {
        Assert.That(Assert.Throws<ArgumentNullException>(() => Ops.Einsum(null!, Tensor.Zeros([2], DType.Float64)))!.ParamName, Is.EqualTo("equation"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => Ops.Einsum("i", null!))!.ParamName, Is.EqualTo("operands"));
    }
}
