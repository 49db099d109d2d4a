// What this shows: a custom model made exportable to ONNX by writing its own nodes (IOnnxExportable) with the context's
// typed ops (PyTorch's names and semantics): the GPT reads token ids [batch, T] (Int64) and gives logits
// [batch, T, vocabulary]. The library's modules inside it (Embedding, LayerNorm, Linear, GELU) export themselves through
// context.Module; the attention is the context's ScaledDotProductAttention with its causal mask. Nothing bakes T: the
// positions are read from the input's length and the reshapes copy B and T, so with a dynamic axis on T the file runs at
// any window up to the context.
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

internal sealed partial class Gpt : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        var idx = new OnnxValue(input, sample);                                                     // [B, T]; Forward(sample) checked T
        var positions = context.IndexSelect(context.Value(_wpe.Weight), 0, context.Arange(idx, 1));  // [T, C]
        var x = context.Add(context.Module(_wte, idx), positions);                                  // [B, T, C]; dropout: eval, nothing
        foreach (var block in _blocks) x = context.Module(block, x);
        var head = context.Transpose(context.Value(_wte.Weight), 0, 1);                             // the weight-tied head
        return context.MatMul(context.Module(_lnF, x), head).Name;
    }
}

internal sealed partial class Block : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        var x = new OnnxValue(input, sample);
        x = context.Add(x, context.Module(_attn, context.Module(_ln1, x)));
        return context.Add(x, context.Module(_mlp, context.Module(_ln2, x))).Name;
    }
}

internal sealed partial class Mlp : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample) =>
        context.Module(_cProj, context.Module(new GELU(), context.Module(_cFc, new OnnxValue(input, sample)))).Name;   // Tensor.Gelu: exact
}

internal sealed partial class CausalSelfAttention : IOnnxExportable
{
    public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
    {
        int b = sample.Shape[0], t = sample.Shape[1], c = sample.Shape[2], d = c / _heads;
        var qkv = context.Module(_cAttn, new OnnxValue(input, sample));                             // [B, T, 3C]
        OnnxValue Heads(int i) => context.Transpose(context.View(context.Slice(qkv, 2, i * c, (i + 1) * c), b, t, _heads, d), 1, 2);   // [B, H, T, D]
        var y = context.ScaledDotProductAttention(Heads(0), Heads(1), Heads(2), isCausal: true);
        return context.Module(_cProj, context.View(context.Transpose(y, 1, 2), b, t, c)).Name;     // resid dropout: eval, nothing
    }
}
