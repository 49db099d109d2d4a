using System.Text.RegularExpressions;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Onnx
{
    /// <summary>README's "Export and deploy" ONNX snippet, run as written: the lines between the markers below (its export
    /// half, in a program that uses Autodiff, and its ONNX Runtime half, in one that uses only ONNX Runtime) are README's
    /// lines, and <see cref="Readme_HoldsTheSnippetThatRuns"/> fails when either side changes without the other.</summary>
    [NonParallelizable]                                                                         // changes the current directory
    public class ReadmeOnnxSnippetTests
    {
        private const string Begin = "// ---- README snippet begin", End = "// ---- README snippet end";

        [Test]
        public void Snippet_RunsAsWritten()
        {
            var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));     // README's MLP
            var pixels = Tensor.Rand([784], new Generator(5)).ToArray();
            string previous = Environment.CurrentDirectory, directory = Directory.CreateTempSubdirectory("readme-onnx").FullName;
            Environment.CurrentDirectory = directory;                                               // the snippet writes "mlp.onnx" here
            try
            {
                var tuned = Readme.Export.Snippet.Run(model);
                var logits = Readme.Deploy.Snippet.Run(pixels);
                Tensor expected, imported;
                using (Tape.NoGrad()) (expected, imported) = (model.Forward(Tensor.FromArray(pixels, 1, 784)), tuned.Forward(Tensor.FromArray(pixels, 1, 784)));
                var e = expected.ToArray();
                Assert.That(logits, Has.Length.EqualTo(10));
                for (int i = 0; i < e.Length; i++) Assert.That(logits[i], Is.EqualTo(e[i]).Within(1e-4 * (1 + Math.Abs(e[i]))), $"ONNX Runtime logit {i}");
                Assert.That(imported.ToArray(), Is.EqualTo(e).Within(1e-5), "the imported module computes the same");
                Assert.That(tuned.NamedParameters().Select(p => p.Name), Does.Contain("0.weight").And.Contain("0.bias"));
            }
            finally
            {
                Environment.CurrentDirectory = previous;
                Directory.Delete(directory, recursive: true);
            }
        }

        [Test]
        public void ArgumentsSnippet_RunsAsWritten_AtOtherBatchAndLengths()
        {
            string previous = Environment.CurrentDirectory, directory = Directory.CreateTempSubdirectory("readme-onnx").FullName;
            Environment.CurrentDirectory = directory;                                               // the snippet writes "decoder.onnx" here
            try
            {
                var decoderLayer = Readme.Arguments.Snippet.Run();
                var (tgt, memory) = (Tensor.Randn([3, 6, 64], seed: 11), Tensor.Randn([3, 9, 64], seed: 12));
                var actual = OnnxExportAttentionTests.Run(File.ReadAllBytes("decoder.onnx"), new Dictionary<string, Tensor> { ["tgt"] = tgt, ["memory"] = memory });
                Tensor expected;
                using (Tape.NoGrad()) expected = decoderLayer.Forward(tgt, memory, tgtIsCausal: true);
                Assert.That(actual[0].Shape, Is.EqualTo(new[] { 3, 6, 64 }));
                Assert.That(actual[0].Data, Is.EqualTo(expected.ToArray()).Within(1e-4));
            }
            finally
            {
                Environment.CurrentDirectory = previous;
                Directory.Delete(directory, recursive: true);
            }
        }

        [Test]
        public void Readme_HoldsTheSnippetThatRuns()
        {
            string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
            int section = readme.IndexOf("## Export and deploy", StringComparison.Ordinal);
            Assert.That(section, Is.GreaterThanOrEqualTo(0), "README has an \"Export and deploy\" section");
            var blocks = Regex.Matches(readme[section..readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal)], "```csharp\\n(.*?)```", RegexOptions.Singleline);
            var onnx = blocks.Where(b => b.Value.Contains("Onnx.Export", StringComparison.Ordinal) || b.Value.Contains("InferenceSession", StringComparison.Ordinal)).ToList();
            Assert.That(onnx, Is.Not.Empty, "the section has the ONNX snippet (one block, or its export and ONNX Runtime halves)");
            var lines = onnx.SelectMany(b => b.Groups[1].Value.Split('\n')).Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            var directives = lines.Where(l => Regex.IsMatch(l, @"^using [A-Za-z.]+;$")).ToList();
            var statements = lines.Except(directives).ToList();

            string source = File.ReadAllText(Path.Combine(RepositoryRoot(), "Autodiff.Tests", "Onnx", "ReadmeOnnxSnippetTests.cs"));
            var sourceLines = source.Split('\n').Select(l => l.TrimEnd()).ToList();
            var ran = new List<string>();
            for (int begin = sourceLines.FindIndex(l => l.Trim() == Begin); begin >= 0; begin = sourceLines.FindIndex(begin + 1, l => l.Trim() == Begin))
            {
                int indent = sourceLines[begin].Length - sourceLines[begin].TrimStart().Length;
                for (int i = begin + 1; sourceLines[i].Trim() != End; i++)
                    if (sourceLines[i].Length > 0) ran.Add(sourceLines[i][indent..]);
            }
            Assert.That(ran, Is.EqualTo(statements), "the test runs README's lines, in order");
            foreach (var directive in directives)
                Assert.That(sourceLines.Any(l => l.Trim() == directive), $"the ONNX Runtime half has README's directive '{directive}'");
        }
    }
}

// The two halves of README's snippet, each in the context its comment names. Pasted into ONE file, their using directives
// would collide: Autodiff.Tensor and ONNX Runtime's static Microsoft.ML.OnnxRuntime.Tensors.Tensor (CS0104).
namespace Autodiff.Tests.Onnx.Readme.Export
{
    using Onnx = Autodiff.NN.Onnx;                          // a program's `using Autodiff.NN;` (this test namespace has its own Onnx)

    internal static class Snippet
    {
        public static OnnxModule Run(Module model)
        {
            // ---- README snippet begin
            Onnx.Export(model, Tensor.Randn(1, 784), "mlp.onnx");           // input "input" [batch, 784] -> "output" [batch, 10]
            var tuned = Onnx.Import("mlp.onnx");                             // trainable again: parameters "0.weight", "0.bias", ...
            // ---- README snippet end
            return tuned;
        }
    }
}

namespace Autodiff.Tests.Onnx.Readme.Deploy
{
    using Microsoft.ML.OnnxRuntime;
    using Microsoft.ML.OnnxRuntime.Tensors;

    internal static class Snippet
    {
        public static float[] Run(float[] pixels)
        {
            // ---- README snippet begin
            // Anywhere, with the Microsoft.ML.OnnxRuntime package:
            using var session = new InferenceSession("mlp.onnx");
            var input = new DenseTensor<float>(pixels, [1, 784]);           // pixels: float[784]
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
            float[] logits = results[0].AsEnumerable<float>().ToArray();
            // ---- README snippet end
            return logits;
        }
    }
}

namespace Autodiff.Tests.Onnx.Readme.Arguments
{
    using Autodiff.NN;
    using Onnx = Autodiff.NN.Onnx;

    internal static class Snippet
    {
        public static TransformerDecoderLayer Run()
        {
            // ---- README snippet begin
            var decoderLayer = new TransformerDecoderLayer(dModel: 64, nhead: 4, batchFirst: true);
            decoderLayer.Eval();                                             // as model.eval() before torch.onnx.export
            var (tgt, memory) = (Tensor.Randn(2, 5, 64), Tensor.Randn(2, 7, 64));   // [batch, length, channels]
            var axes = new Dictionary<int, string> { [0] = "batch", [1] = "tgt_len" };
            Onnx.Export(decoderLayer, new OnnxArguments().Input("tgt", tgt).Input("memory", memory).Flag("tgtIsCausal", true),
                "decoder.onnx", dynamicAxes: new Dictionary<string, IReadOnlyDictionary<int, string>> {
                    ["tgt"] = axes, ["memory"] = new Dictionary<int, string> { [0] = "batch", [1] = "src_len" }, ["output"] = axes });
            // ---- README snippet end
            return decoderLayer;
        }
    }
}
