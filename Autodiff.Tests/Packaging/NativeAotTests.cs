using System.Globalization;
using System.Runtime.InteropServices;

namespace Autodiff.Tests.Packaging;

/// <summary>Publishes a throwaway console app that references Autodiff.NN with <c>PublishAot=true</c> and runs the native
/// binary: it trains a model, saves and reloads it through safetensors and a PyTorch .pt file, exports it to ONNX and
/// imports it back, and lists a state dict's keys, so reflection-based parameter discovery, the file formats and the
/// protobuf code are checked where NativeAOT has no JIT and trimmed away what it could.</summary>
/// <remarks>Needs clang and zlib's development files (Debian: <c>apt-get install clang zlib1g-dev</c>; <c>.ci/run</c>
/// installs them when missing) and the package registry (for the ILCompiler package). Where they cannot be had (another
/// OS or architecture, no clang) the test reports itself skipped, never passed. Outputs go to a fresh temp folder
/// (<c>--artifacts-path</c>), never the repository's bin/obj.</remarks>
[TestFixture, Category("Packaging"), NonParallelizable]
public class NativeAotTests
{
    /// <summary>The XOR program of <see cref="PackTests"/>, then the keys of a module whose fields are declared out of
    /// alphabetical order: NativeAOT keeps no metadata tokens, so this checks declaration order survives.</summary>
    private const string Program = PackTests.XorProgram + """

        Console.WriteLine("keys " + string.Join(",", new Pair().StateDict().Keys));
        var fromOnnx = Onnx.Import(Onnx.ExportToBytes(model, x));
        Console.WriteLine("other onnx " + Loss(fromOnnx).ToString("R", CultureInfo.InvariantCulture));
        string pt = Path.Combine(AppContext.BaseDirectory, "xor.pt");
        model.SavePyTorch(pt);
        var fromPt = Net(7);
        fromPt.LoadPyTorch(pt);
        Console.WriteLine("other pt " + Loss(fromPt).ToString("R", CultureInfo.InvariantCulture));

        sealed class Pair : Module
        {
            private readonly Linear _second = new(3, 3);
            private readonly Linear _first = new(3, 3);
            private readonly Tensor _scale = Tensor.Ones(3).RequireGrad();
            public override Tensor Forward(Tensor x) => _first.Forward(_second.Forward(x)) * _scale;
        }
        """;

    [Test]
    public void PublishedWithPublishAot_TrainsSavesReloadsAndKeepsStateDictOrder()
    {
        string? rid = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 when OperatingSystem.IsLinux() => "linux-x64",
            Architecture.Arm64 when OperatingSystem.IsLinux() => "linux-arm64",
            _ => null,
        };
        if (rid is null) Assert.Ignore($"NativeAOT publishing is tested on Linux x64/arm64 only, not {RuntimeInformation.RuntimeIdentifier}.");
        if (FindOnPath("clang") is null && FindOnPath("gcc") is null)
            Assert.Ignore("NativeAOT needs a C toolchain to link: apt-get install clang zlib1g-dev (.ci/run installs them).");
        if (!Directory.EnumerateFiles("/usr/lib", "libz.so", SearchOption.AllDirectories).Any())
            Assert.Ignore("NativeAOT links zlib: apt-get install zlib1g-dev (.ci/run installs it).");

        string root = Path.Combine(Path.GetTempPath(), "autodiff-aot-" + Guid.NewGuid().ToString("N"));
        string app = Path.Combine(root, "app"), published = Path.Combine(root, "published");
        Directory.CreateDirectory(app);
        try
        {
            File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
            string nn = Path.Combine(TestHelpers.RepositoryRoot(), "Autodiff.NN", "Autodiff.NN.csproj");
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <PublishAot>true</PublishAot>
                    <InvariantGlobalization>true</InvariantGlobalization>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{nn}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Program);

            string log = Commands.Dotnet(app, "publish", "-c", "Release", "-r", rid, "-o", published,
                "--artifacts-path", Path.Combine(root, "artifacts"));
            var warnings = log.Split('\n').Where(l => l.Contains(": warning ", StringComparison.Ordinal)).Distinct().ToList();
            Assert.That(warnings, Is.Empty, "trimming/AOT warnings while publishing");

            string binary = Path.Combine(published, "App");
            Assert.That(File.Exists(binary), Is.True, log);
            string output = Commands.Run(binary, published);
            TestContext.Progress.WriteLine($"NativeAOT binary: {new FileInfo(binary).Length / 1e6:F1} MB");   // timing: /usr/bin/time, see README
            TestContext.Progress.Write(output);

            var losses = output.Split('\n').Where(l => l.StartsWith("loss ", StringComparison.Ordinal))
                .ToDictionary(l => l.Split(' ')[1], l => double.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture));
            Assert.That(losses.Keys, Is.EquivalentTo(new[] { "initial", "final", "reloaded" }), output);
            Assert.That(losses["final"], Is.LessThan(losses["initial"] / 10).And.LessThan(0.02), output);
            Assert.That(losses["reloaded"], Is.EqualTo(losses["final"]), "safetensors round trip in the native binary");
            var others = output.Split('\n').Where(l => l.StartsWith("other ", StringComparison.Ordinal))
                .ToDictionary(l => l.Split(' ')[1], l => double.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture));
            Assert.That(others["pt"], Is.EqualTo(losses["final"]), ".pt round trip in the native binary");
            Assert.That(others["onnx"], Is.EqualTo(losses["final"]).Within(1e-6), "ONNX export and import in the native binary");
            Assert.That(output, Does.Contain("keys scale,second.weight,second.bias,first.weight,first.bias"),
                "parameters, then submodules, each in declaration order (as under the JIT)");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
