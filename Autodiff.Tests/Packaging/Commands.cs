using System.Diagnostics;
using System.Text;

namespace Autodiff.Tests.Packaging;

/// <summary>The dotnet CLI and other programs, run from the packaging tests.</summary>
internal static class Commands
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs the dotnet CLI with no build servers left behind (they would outlive the test and hold its
    /// pipes), and returns its output; fails the test with that output when it exits non-zero or times out.</summary>
    public static string Dotnet(string workingDirectory, params string[] arguments) =>
        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet", workingDirectory, arguments);

    /// <summary>Runs <paramref name="program"/> as <see cref="Dotnet"/> runs the CLI.</summary>
    public static string Run(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        bool isBuild = arguments.Length > 0 && arguments[0] is "build" or "pack" or "publish";
        if (isBuild) start.ArgumentList.Add("--disable-build-servers");
        foreach (var (name, value) in new[]
        {
            ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"), ("DOTNET_NOLOGO", "1"), ("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1"),
            ("MSBUILDDISABLENODEREUSE", "1"), ("DOTNET_CLI_USE_MSBUILD_SERVER", "0"), ("UseSharedCompilation", "false"),
        })
            start.Environment[name] = value;
        foreach (var inherited in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH" })   // set by the test run's own dotnet
            start.Environment.Remove(inherited);

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish in {CommandTimeout}:\n{output}");
        }
        process.WaitForExit();                                     // drains the output events
        if (process.ExitCode != 0)
            Assert.Fail($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output.ToString();
    }
}
