// What this shows: a character vocabulary built from any UTF-8 text (one entry per Unicode scalar, sorted as nanoGPT's
// sorted(set(text))), turning text into token ids and back, and saved as JSON beside the weights.
using System.Text;
using System.Text.Json;

namespace Autodiff.Examples.Gpt;

/// <summary>The characters a model knows, by id.</summary>
internal sealed class CharVocabulary
{
    private readonly string[] _symbols;
    private readonly Dictionary<string, int> _ids;

    public CharVocabulary(IEnumerable<string> symbols)
    {
        _symbols = symbols.ToArray();
        if (_symbols.Length == 0) throw new ArgumentException("CharVocabulary: the vocabulary is empty (the text has no characters).");
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _symbols.Length; i++)
            if (!_ids.TryAdd(_symbols[i], i)) throw new ArgumentException($"CharVocabulary: '{_symbols[i]}' appears twice.");
    }

    /// <summary>Every distinct character of <paramref name="text"/>, in ordinal order.</summary>
    public static CharVocabulary FromText(string text) =>
        new(text.EnumerateRunes().Select(r => r.ToString()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    public int Count => _symbols.Length;

    public IReadOnlyList<string> Symbols => _symbols;

    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        int position = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!_ids.TryGetValue(rune.ToString(), out int id))
                throw new ArgumentException($"CharVocabulary: character {Describe(rune.ToString())} at position {position} is not in the vocabulary of {Count} characters.");
            ids.Add(id);
            position++;
        }
        return ids.ToArray();
    }

    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (int id in ids) text.Append(_symbols[id]);
        return text.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(_symbols);

    public static CharVocabulary FromJson(string json) =>
        new(JsonSerializer.Deserialize<string[]>(json) ?? throw new InvalidDataException("CharVocabulary: the vocabulary JSON is null."));

    private static string Describe(string symbol) => symbol switch
    {
        "\n" => "'\\n'",
        "\t" => "'\\t'",
        _ => $"'{symbol}' (U+{char.ConvertToUtf32(symbol, 0):X4})",
    };
}
