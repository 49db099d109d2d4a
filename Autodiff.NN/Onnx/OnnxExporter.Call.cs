namespace Autodiff.NN;

// The model itself, called with named arguments (OnnxArguments): the forwards that take masks or a second input.
internal sealed partial class OnnxExporter
{
    /// <summary>Emits <c>model.Forward(arguments)</c> and returns its outputs (values and samples), in the forward's order.</summary>
    /// <exception cref="ArgumentException">An argument the forward does not take, or a required one missing.</exception>
    public IReadOnlyList<OnnxValue> EmitCall(Module model, IReadOnlyDictionary<string, OnnxValue> values, IReadOnlyDictionary<string, bool> flags)
    {
        string scope = ScopeOf(model);
        OnnxValue? Optional(string name) => values.TryGetValue(name, out var v) ? v : null;
        bool Flag(string name, bool fallback) => flags.TryGetValue(name, out var f) ? f : fallback;
        switch (model)
        {
            case MultiheadAttention attention when Takes(values, flags, "query", "key", "value", "keyPaddingMask", "attnMask", "needWeights", "averageAttnWeights", "isCausal"):
            {
                Accept(model, values, flags, ["query"], ["key", "value", "keyPaddingMask", "attnMask"], ["needWeights", "averageAttnWeights", "isCausal"]);
                var query = values["query"];
                var key = Optional("key") ?? query;
                var value = Optional("value") ?? key;
                var args = new AttentionArguments(Optional("keyPaddingMask"), Optional("attnMask"), Flag("isCausal", false), Flag("needWeights", true),
                    Flag("averageAttnWeights", true));
                var (y, w) = attention.Forward(query.Sample, key.Sample, value.Sample, args.KeyPaddingMask?.Sample, args.NeedWeights,
                    args.AttnMask?.Sample, args.AverageAttnWeights, args.IsCausal);
                var (output, weights) = EmitAttention(attention, scope, query, key, value, args);
                return weights is null ? [new(output, y)] : [new(output, y), new(weights, w!)];
            }
            case TransformerEncoderLayer layer when Takes(values, flags, "src", "srcMask", "srcKeyPaddingMask", "isCausal"):
            {
                Accept(model, values, flags, ["src"], ["srcMask", "srcKeyPaddingMask"], ["isCausal"]);
                var (src, masks) = (values["src"], new AttentionArguments(Optional("srcKeyPaddingMask"), Optional("srcMask"), Flag("isCausal", false)));
                var y = layer.Forward(src.Sample, masks.AttnMask?.Sample, masks.KeyPaddingMask?.Sample, masks.IsCausal);
                return [new(EmitEncoderLayer(layer, src.Name, src.Sample, masks).Name, y)];
            }
            case TransformerEncoder encoder when Takes(values, flags, "src", "mask", "srcKeyPaddingMask", "isCausal"):
            {
                Accept(model, values, flags, ["src"], ["mask", "srcKeyPaddingMask"], ["isCausal"]);
                var (src, masks) = (values["src"], new AttentionArguments(Optional("srcKeyPaddingMask"), Optional("mask"), Flag("isCausal", false)));
                var y = encoder.Forward(src.Sample, masks.AttnMask?.Sample, masks.KeyPaddingMask?.Sample, masks.IsCausal);
                var (x, sample) = (src.Name, src.Sample);
                foreach (var layer in encoder.Layers) (x, sample) = EmitEncoderLayer(layer, x, sample, masks);
                if (encoder.Norm is { } norm) (x, _) = Emit(norm, x, sample);
                return [new(x, y)];
            }
            case TransformerDecoderLayer layer:
            {
                Accept(model, values, flags, ["tgt", "memory"], ["tgtMask", "memoryMask", "tgtKeyPaddingMask", "memoryKeyPaddingMask"],
                    ["tgtIsCausal", "memoryIsCausal"]);
                var (tgt, memory) = (values["tgt"], values["memory"]);
                var selfMasks = new AttentionArguments(Optional("tgtKeyPaddingMask"), Optional("tgtMask"), Flag("tgtIsCausal", false));
                var memoryMasks = new AttentionArguments(Optional("memoryKeyPaddingMask"), Optional("memoryMask"), Flag("memoryIsCausal", false));
                var y = layer.Forward(tgt.Sample, memory.Sample, selfMasks.AttnMask?.Sample, memoryMasks.AttnMask?.Sample, selfMasks.KeyPaddingMask?.Sample,
                    memoryMasks.KeyPaddingMask?.Sample, selfMasks.IsCausal, memoryMasks.IsCausal);
                return [new(EmitDecoderLayer(layer, tgt, memory, selfMasks, memoryMasks), y)];
            }
            case OnnxModule imported when imported.InputNames.Count > 1 || imported.OutputNames.Count > 1:
            {
                Accept(model, values, flags, [.. imported.InputNames], [], []);
                var samples = imported.Run(values.ToDictionary(kv => kv.Key, kv => kv.Value.Sample));
                var names = imported.EmitInto(graph, scope, values.ToDictionary(kv => kv.Key, kv => kv.Value.Name), t => stateNames[t]);
                return [.. imported.OutputNames.Select((name, i) => new OnnxValue(names[i], samples[name]))];
            }
        }
        if (values.Count != 1 || flags.Count != 0)
            throw new ArgumentException($"Onnx.Export: the model {model.Describe()} takes one input, got arguments [{string.Join(", ", values.Keys.Concat(flags.Keys))}].");
        var (name, sampleOut) = Emit(model, values.Values.Single().Name, values.Values.Single().Sample);
        return [new(name, sampleOut)];
    }

    /// <summary>Whether any argument carries one of the forward's names (else a single input is the plain Forward(x)).</summary>
    private static bool Takes(IReadOnlyDictionary<string, OnnxValue> values, IReadOnlyDictionary<string, bool> flags, params string[] names) =>
        values.Keys.Concat(flags.Keys).Any(names.Contains) || values.Count + flags.Count > 1;

    private static void Accept(Module model, IReadOnlyDictionary<string, OnnxValue> values, IReadOnlyDictionary<string, bool> flags,
        string[] required, string[] optional, string[] flagNames)
    {
        string known = $"tensors {string.Join(", ", required.Concat(optional))}; flags {string.Join(", ", flagNames)}";
        foreach (var name in required)
            if (!values.ContainsKey(name))
                throw new ArgumentException($"Onnx.Export: {model.Describe()} needs the argument '{name}' (it takes {known}).");
        foreach (var name in values.Keys)
            if (!required.Contains(name) && !optional.Contains(name))
                throw new ArgumentException($"Onnx.Export: {model.Describe()} takes no tensor argument '{name}' (it takes {known}).");
        foreach (var name in flags.Keys)
            if (!flagNames.Contains(name))
                throw new ArgumentException($"Onnx.Export: {model.Describe()} takes no flag '{name}' (it takes {known}).");
    }
}
