// The GPT of the `sequence` workloads (see bench/peers/seq_models.py and Autodiff.Examples/Gpt/Gpt.cs), with TorchSharp's
// modules: nanoGPT's blocks and names (wte, wpe, h.N.ln_1, h.N.attn.c_attn, ...), weight-tied head, nanoGPT's init. The
// attention is TorchSharp's fused nn.functional.scaled_dot_product_attention (LibTorch 2.10 has it; PyTorch 1.13 does not,
// so torch_bench.py writes it out), causal, with the attention dropout in training.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchSharpBench;

internal sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_attn, c_proj;
    private readonly Dropout resid_dropout;
    private readonly int _heads;
    private readonly double _dropout;

    public CausalSelfAttention(int channels, int heads, double dropout) : base(nameof(CausalSelfAttention))
    {
        c_attn = nn.Linear(channels, 3 * channels);
        c_proj = nn.Linear(channels, channels);
        resid_dropout = nn.Dropout(dropout);
        (_heads, _dropout) = (heads, dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1], c = x.shape[2], d = c / _heads;
        var qkv = c_attn.forward(x).split(c, 2);
        Tensor Heads(Tensor z) => z.view(b, t, _heads, d).transpose(1, 2);                 // [B, H, T, D]
        var y = nn.functional.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]),
            p: training ? _dropout : 0, is_casual: true);   // TorchSharp spells it is_casual
        return resid_dropout.forward(c_proj.forward(y.transpose(1, 2).contiguous().view(b, t, c)));
    }
}

internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_fc, c_proj;
    private readonly GELU gelu;
    private readonly Dropout dropout;

    public Mlp(int channels, double dropoutP) : base(nameof(Mlp))
    {
        c_fc = nn.Linear(channels, 4 * channels);
        gelu = nn.GELU();
        c_proj = nn.Linear(4 * channels, channels);
        dropout = nn.Dropout(dropoutP);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => dropout.forward(c_proj.forward(gelu.forward(c_fc.forward(x))));
}

internal sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1, ln_2;
    private readonly CausalSelfAttention attn;
    private readonly Mlp mlp;

    public Block(int channels, int heads, double dropout) : base(nameof(Block))
    {
        ln_1 = nn.LayerNorm(channels);
        attn = new CausalSelfAttention(channels, heads, dropout);
        ln_2 = nn.LayerNorm(channels);
        mlp = new Mlp(channels, dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = x + attn.forward(ln_1.forward(x));
        return x + mlp.forward(ln_2.forward(x));
    }
}

internal sealed class Gpt : nn.Module<Tensor, Tensor>
{
    private readonly Embedding wte, wpe;
    private readonly Dropout drop;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;

    public int Context { get; }

    public Gpt(int vocab, int context, int layers, int heads, int channels, double dropout) : base(nameof(Gpt))
    {
        Context = context;
        wte = nn.Embedding(vocab, channels);
        wpe = nn.Embedding(context, channels);
        drop = nn.Dropout(dropout);
        h = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new Block(channels, heads, dropout)).ToArray());
        ln_f = nn.LayerNorm(channels);
        RegisterComponents();
        using var noGrad = torch.no_grad();                 // nanoGPT's _init_weights
        foreach (var (name, p) in named_parameters())
        {
            if (p.dim() < 2) { if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_(); else p.fill_(1); continue; }
            double std = name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? 0.02 / Math.Sqrt(2.0 * layers) : 0.02;
            nn.init.normal_(p, 0, std);
        }
    }

    public override Tensor forward(Tensor idx)
    {
        long t = idx.shape[1];
        var x = drop.forward(wte.forward(idx) + wpe.forward(torch.arange(t, dtype: ScalarType.Int64)));
        foreach (var block in h) x = block.forward(x);
        return nn.functional.linear(ln_f.forward(x), wte.weight!);   // weight-tied head
    }

    /// <summary>nanoGPT's configure_optimizers: AdamW, weight decay on matrices and embeddings only.</summary>
    public optim.Optimizer Optimizer(double lr)
    {
        var all = parameters().ToList();
        return optim.AdamW([
            new AdamW.ParamGroup(all.Where(p => p.dim() >= 2), new AdamW.Options { weight_decay = 0.1 }),
            new AdamW.ParamGroup(all.Where(p => p.dim() < 2), new AdamW.Options { weight_decay = 0.0 }),
        ], lr: lr, beta1: 0.9, beta2: 0.99);
    }

    /// <summary>nanoGPT's generate from the prompt [[1]]: the model reruns on the last Context tokens for every token.</summary>
    public void GenerateRecompute(int count, double temperature, torch.Generator generator)
    {
        using var noGrad = torch.no_grad();
        var history = new List<long> { 1 };
        for (int i = 0; i < count; i++)
        {
            using var scope = torch.NewDisposeScope();
            int length = Math.Min(history.Count, Context);
            var idx = torch.tensor(history.GetRange(history.Count - length, length).ToArray(), [1, length]);
            var logits = forward(idx).select(1, length - 1) / temperature;                 // [1, V]
            history.Add(torch.multinomial(nn.functional.softmax(logits, -1), 1, generator: generator).item<long>());
        }
    }
}
