// What this shows: a text as token ids, split 90/10 into training and validation, and random batches of windows cut from
// it, as nanoGPT's get_batch: x = ids[i .. i+T], y = ids[i+1 .. i+T+1] (the next character at every position).
namespace Autodiff.Examples.Gpt;

/// <summary>Token ids of one split of a text, and random [B, T] windows cut from them.</summary>
internal sealed class TextCorpus(int[] ids)
{
    /// <summary>The Debian word list the example trains on when no --text is given.</summary>
    public const string DefaultWordList = "/usr/share/dict/words";

    public const string HowToGetWordList =
        "The default corpus, the word list " + DefaultWordList + ", was not found. On Debian or Ubuntu: " +
        "sudo apt-get install wamerican (one English word a line), or pass any UTF-8 text with --text FILE.";

    public int[] Ids { get; } = ids;

    public int Length => Ids.Length;

    /// <summary>The first 90% of <paramref name="ids"/> for training and the rest for validation, as nanoGPT's prepare.py.</summary>
    public static (TextCorpus Train, TextCorpus Validation) Split(int[] ids, double trainFraction = 0.9)
    {
        int n = (int)(ids.Length * trainFraction);
        return (new TextCorpus(ids[..n]), new TextCorpus(ids[n..]));
    }

    /// <summary>The word list as one text: its lines shuffled with a fixed seed (the file is sorted, so a plain 90/10 cut
    /// would validate on words starting with late letters only), one word a line.</summary>
    public static string ReadWordList(string path)
    {
        var words = File.ReadAllLines(path).Where(w => w.Length > 0).ToArray();
        new Generator(1234).Shuffle(words.AsSpan());
        return string.Join('\n', words) + "\n";
    }

    /// <summary>Whether windows of <paramref name="context"/> tokens plus the next one fit.</summary>
    public bool Fits(int context) => Length > context;

    /// <summary><paramref name="batch"/> windows at random offsets: inputs and targets (shifted by one), each [B * T] row-major.</summary>
    public (int[] Inputs, int[] Targets) Batch(Generator generator, int batch, int context)
    {
        if (!Fits(context))
            throw new ArgumentException($"TextCorpus: the text has {Length} characters, too few for windows of {context} plus one; use a shorter --context.");
        var x = new int[batch * context];
        var y = new int[batch * context];
        for (int b = 0; b < batch; b++)
        {
            int start = generator.NextInt(Length - context);
            Ids.AsSpan(start, context).CopyTo(x.AsSpan(b * context));
            Ids.AsSpan(start + 1, context).CopyTo(y.AsSpan(b * context));
        }
        return (x, y);
    }
}
