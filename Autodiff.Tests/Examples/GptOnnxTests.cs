using Autodiff.Examples.Gpt;
using Autodiff.NN;
using Autodiff.Tests.Onnx;
using OnnxFile = Autodiff.NN.Onnx;

namespace Autodiff.Tests.Examples;

/// <summary>The gpt example's model exported to ONNX (its own nodes, IOnnxExportable) and run by ONNX Runtime: token ids
/// in, logits out, at two batch sizes, against our forward.</summary>
public class GptOnnxTests
{
    private static Func<int, Tensor> Tokens(int length, int vocabulary) =>
        batch => Tensor.FromArray(Enumerable.Range(0, batch * length).Select(i => (long)((i * 7 + batch) % vocabulary)).ToArray(), batch, length);

    [Test]
    public void TrainedTinyGpt_MatchesOnnxRuntime()
    {
        var model = new Gpt(new ModelConfig("gpt", 11, 8, 2, 2, 16, 0.1), new Generator(3));
        var optimizer = new Autodiff.Optim.AdamW(model.Parameters(), lr: 1e-2);
        for (int step = 0; step < 3; step++)                                  // away from the initial weights: LayerNorm w, b not 1, 0
        {
            var loss = Functional.CrossEntropy(model.Forward(Tokens(8, 11)(2)).Reshape(16, 11), Enumerable.Range(0, 16).Select(i => i % 11).ToArray());
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        OnnxExportTests.AssertMatchesOnnxRuntime(model, Tokens(8, 11));
    }

    [Test]
    public void ShorterWindowsThanTheContext_Export()
    {
        var model = new Gpt(new ModelConfig("gpt", 11, 8, 1, 2, 16, 0), new Generator(4));
        OnnxExportTests.AssertMatchesOnnxRuntime(model, Tokens(5, 11));
    }

    [Test]
    public void AWindowLongerThanTheContext_IsRefused()
    {
        var model = new Gpt(new ModelConfig("gpt", 11, 8, 1, 2, 16, 0), new Generator(4));
        var e = Assert.Throws<ArgumentException>(() => OnnxFile.ExportToBytes(model, Tokens(9, 11)(2)));
        Assert.That(e!.Message, Does.Contain("0..8").And.Contain("context of 8"));
    }
}
