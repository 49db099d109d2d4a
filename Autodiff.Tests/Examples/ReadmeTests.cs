using System.Text.RegularExpressions;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Examples;

/// <summary>README's opening commands: the demo a newcomer runs first is optimized, and the test command is CI's.</summary>
public class ReadmeTests
{
    private static string[] OpeningCommands()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var block = Regex.Match(readme, "```bash\\n(.*?)```", RegexOptions.Singleline);
        Assert.That(block.Success, "README opens with a bash block");
        return block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('#')[0].Trim()).ToArray();
    }

    [Test]
    public void FirstCommand_RunsTheDemoInRelease()
    {
        // `dotnet run --project Autodiff.Examples` builds Debug, whose epochs are tens of times slower.
        var run = OpeningCommands()[0];
        Assert.That(run, Does.StartWith("dotnet run").And.Contain("-c Release").And.Contain("--project Autodiff.Examples"));
    }

    [Test]
    public void SecondCommand_IsTheOneCiRuns()
    {
        var test = OpeningCommands()[1];
        string ci = File.ReadAllText(Path.Combine(RepositoryRoot(), ".ci", "run"));
        Assert.That(test, Does.StartWith("dotnet test"));
        Assert.That(ci, Does.Contain(test + " 2>&1"), ".ci/run calls exactly README's test command");
    }
}
