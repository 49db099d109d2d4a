// What this shows: a custom model made exportable to ONNX by writing its own nodes (IOnnxExportable): the GPT reads token
// ids [batch, T] (Int64) and gives logits [batch, T, vocabulary], with T fixed by the sample and the batch dynamic. The
// library's modules inside it (Embedding, LayerNorm, Linear, GELU) export themselves through context.Module; the
// attention is written out as ONNX's MatMul, Softmax and an additive causal mask, as torch.onnx.export writes nanoGPT's.
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

internal sealed partial class Gpt : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        int length = sample.Shape[1];                                                                // at most the context: Forward(sample) checked
        var (tok, tokSample) = context.Module(_wte, input, sample);                                  // [B, T, C]
        var positions = context.Int64Constant([.. Enumerable.Range(0, length).Select(i => (long)i)]);
        string pos = context.Node("Gather", [context.Initializer(_wpe.Weight), positions], new Dictionary<string, object> { ["axis"] = 0L });
        string x = context.Node("Add", [tok, pos]);                                                  // dropout: eval, nothing
        var xSample = tokSample + _wpe.Forward(Enumerable.Range(0, length).ToArray());
        foreach (var block in _blocks) (x, xSample) = context.Module(block, x, xSample);
        var (normed, _) = context.Module(_lnF, x, xSample);
        string wteT = context.Node("Transpose", [context.Initializer(_wte.Weight)], new Dictionary<string, object> { ["perm"] = new long[] { 1, 0 } });
        return context.Node("MatMul", [normed, wteT]);                                               // the weight-tied head
    }
}

internal sealed partial class Block : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        var (a, aSample) = context.Module(_ln1, input, sample);
        var (attended, attendedSample) = context.Module(_attn, a, aSample);
        string x = context.Node("Add", [input, attended]);
        var (b, bSample) = context.Module(_ln2, x, sample + attendedSample);
        return context.Node("Add", [x, context.Module(_mlp, b, bSample).Output]);
    }
}

internal sealed partial class Mlp : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        var (hidden, hiddenSample) = context.Module(_cFc, input, sample);
        var (activated, activatedSample) = context.Module(new GELU(), hidden, hiddenSample);        // Tensor.Gelu: exact, as GELU()
        return context.Module(_cProj, activated, activatedSample).Output;
    }
}

internal sealed partial class CausalSelfAttention : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        int t = sample.Shape[1], c = sample.Shape[2], d = c / _heads;
        string qkv = context.Module(_cAttn, input, sample).Output;                                   // [B, T, 3C]
        string Heads(int i, long[] perm)                                                             // [B, T, C] slice i -> heads
        {
            string part = context.Node("Slice", [qkv, context.Int64Constant([i * c]), context.Int64Constant([(i + 1) * c]), context.Int64Constant([2])]);
            string split = context.Node("Reshape", [part, context.Int64Constant([0, t, _heads, d])]);   // 0: keep the batch
            return context.Node("Transpose", [split], new Dictionary<string, object> { ["perm"] = perm });
        }
        string q = Heads(0, [0, 2, 1, 3]), kT = Heads(1, [0, 2, 3, 1]), v = Heads(2, [0, 2, 1, 3]);   // [B,H,T,D], [B,H,D,T]
        string scores = context.Node("Mul", [context.Node("MatMul", [q, kT]), context.ScalarConstant(1 / Math.Sqrt(d))]);
        var mask = new float[t * t];                                                                 // 0 where allowed, -inf above the diagonal
        for (int i = 0; i < t; i++)
            for (int j = i + 1; j < t; j++) mask[i * t + j] = float.NegativeInfinity;
        var maskTensor = Tensor.FromArray(mask, t, t);
        if (context.FloatType == DType.Float64) maskTensor = maskTensor.To(DType.Float64);
        string weights = context.Node("Softmax", [context.Node("Add", [scores, context.Initializer(maskTensor)])], new Dictionary<string, object> { ["axis"] = -1L });
        string merged = context.Node("Transpose", [context.Node("MatMul", [weights, v])], new Dictionary<string, object> { ["perm"] = new long[] { 0, 2, 1, 3 } });
        string y = context.Node("Reshape", [merged, context.Int64Constant([0, t, c])]);              // [B, T, C]
        var qkvSample = _cAttn.Forward(sample);
        Tensor HeadsOf(int i) => qkvSample.Slice(2, i * c, (i + 1) * c).Reshape(sample.Shape[0], t, _heads, d).Transpose(1, 2);
        var ySample = Functional.ScaledDotProductAttention(HeadsOf(0), HeadsOf(1), HeadsOf(2), isCausal: true).Transpose(1, 2).Reshape(sample.Shape[0], t, c);
        return context.Module(_cProj, y, ySample).Output;                                            // resid dropout: eval, nothing
    }
}
