using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autodiff;

/// <summary>Writes the recorded graph as one self-contained HTML page: <c>tape.html</c>, <c>tape.css</c> and
/// <c>tape.js</c> (beside this file, embedded in the assembly) with the <see cref="TapeTrace"/> as JSON inlined.</summary>
/// <remarks>The page needs nothing else: no network, no external file, no library. The script only lays out and shows
/// the numbers of the JSON; it computes none of them. The JSON format (<c>"version": 1</c>) is what tape.js reads:
/// <c>nodes</c> (id, kind leaf/constant/op, name, op, formula, per-input edge formulas, inputs, forward step, value),
/// <c>backward</c> (per step the node, its incoming gradient, and per input the contribution and the running total),
/// <c>root</c>. Values are summaries: shape, dtype, numel, mean, min, max and up to 4096 values.</remarks>
internal static partial class TapePage
{
    /// <summary>The page for <paramref name="entries"/>, in recording order, with backward steps from
    /// <paramref name="root"/> seeded with <paramref name="seed"/> when a root is given.</summary>
    public static string Build(IReadOnlyList<TapeEntry> entries, Tensor? root, Tensor? seed, string title)
    {
        var trace = TapeTrace.Gather(entries, root, seed);
        var parts = new Dictionary<string, string>
        {
            ["title"] = System.Net.WebUtility.HtmlEncode(title),
            ["style"] = Resource("tape.css"),
            ["script"] = Resource("tape.js"),
            ["data"] = Json(trace, title),
        };
        // One pass, so that nothing inserted (a tensor's name in the data) is read as a placeholder.
        return Placeholder().Replace(Resource("tape.html"), m => parts[m.Groups[1].Value]);
    }

    /// <summary>The trace as JSON. The default encoder escapes <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c>, so the text
    /// cannot close the script element it sits in.</summary>
    internal static string Json(TapeTrace trace, string title)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("title", title);
            w.WriteNumber("smallNumel", TapeTrace.SmallNumel);
            if (trace.Root is { } root) w.WriteString("root", root); else w.WriteNull("root");
            w.WriteStartArray("nodes");
            foreach (var node in trace.Nodes) WriteNode(w, node);
            w.WriteEndArray();
            w.WriteStartArray("backward");
            foreach (var step in trace.Backward)
            {
                w.WriteStartObject();
                w.WriteString("node", step.Node);
                w.WriteBoolean("opaque", step.Opaque);
                w.WritePropertyName("incoming");
                WriteSummary(w, step.Incoming);
                w.WriteStartArray("contributions");
                foreach (var c in step.Contributions)
                {
                    w.WriteStartObject();
                    w.WriteNumber("input", c.Input);
                    w.WriteString("node", c.Node);
                    w.WritePropertyName("value");
                    WriteSummary(w, c.Value);
                    w.WritePropertyName("total");
                    WriteSummary(w, c.Total);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNode(Utf8JsonWriter w, TapeTrace.Node node)
    {
        var t = node.Tensor;
        w.WriteStartObject();
        w.WriteString("id", node.Id);
        w.WriteString("kind", node.Entry is not null ? "op" : t.RequiresGrad ? "leaf" : "constant");
        if ((t.Name ?? t.ParameterName) is { } name) w.WriteString("name", name); else w.WriteNull("name");
        w.WriteString("label", "t" + t.Id.ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("step", node.Step);
        if (node.Entry is { } e)
        {
            w.WriteString("op", e.Op);
            w.WriteString("formula", e.Formula);
            w.WriteStartArray("inputs");
            foreach (var id in node.Inputs) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteStartArray("edgeFormulas");
            foreach (var part in SplitFormula(e.Formula, node.Inputs.Length)) w.WriteStringValue(part);
            w.WriteEndArray();
        }
        w.WritePropertyName("value");
        WriteSummary(w, node.Value);
        w.WriteEndObject();
    }

    private static void WriteSummary(Utf8JsonWriter w, TapeTrace.Summary s)
    {
        w.WriteStartObject();
        w.WriteStartArray("shape");
        foreach (var d in s.Shape) w.WriteNumberValue(d);
        w.WriteEndArray();
        w.WriteString("dtype", s.DType);
        w.WriteNumber("numel", s.Numel);
        w.WritePropertyName("mean");
        Number(w, s.Mean);
        w.WritePropertyName("min");
        Number(w, s.Min);
        w.WritePropertyName("max");
        Number(w, s.Max);
        w.WriteBoolean("truncated", s.Truncated);
        w.WriteStartArray("values");
        foreach (var v in s.Values) Number(w, v);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A double as a JSON number; NaN and the infinities, which JSON has no numbers for, as the strings
    /// <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c> (what JavaScript's <c>Number(s)</c> reads back).</summary>
    private static void Number(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }

    /// <summary>The recorded formula split into one part per input where it reads so (<c>da += g·b, db += g·a</c>: commas
    /// outside brackets), else the whole formula for every input.</summary>
    internal static string[] SplitFormula(string formula, int inputs)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < formula.Length; i++)
        {
            char c = formula[i];
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
            else if (c == ',' && depth == 0)
            {
                parts.Add(formula[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(formula[start..].Trim());
        return parts.Count == inputs ? [.. parts] : Enumerable.Repeat(formula, inputs).ToArray();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\{(title|style|script|data)\}\}")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    private static string Resource(string name)
    {
        using var stream = typeof(TapePage).Assembly.GetManifestResourceStream("Autodiff.Visualization." + name)
            ?? throw new InvalidOperationException($"ToHtml: the page's {name} is missing from the Autodiff.Core assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
