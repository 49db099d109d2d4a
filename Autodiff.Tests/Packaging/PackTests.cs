using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;

namespace Autodiff.Tests.Packaging;

/// <summary>Packs Autodiff.Core and Autodiff.NN with <c>dotnet pack</c>, checks what the packages hold, and builds and
/// runs a throwaway console project that references Autodiff.NN from them and trains a tiny model: the packages work
/// as a user would consume them.</summary>
/// <remarks>Everything happens in a fresh folder under the temp directory: build outputs go to its own artifacts path
/// (never the repository's bin/obj, which the test run is using), and the console project restores into its own
/// packages folder, so the just-packed 0.1.0 never lands in the machine's NuGet cache, where it would shadow the next
/// pack of the same version. Needs the .NET SDK and the package registry (for System.Numerics.Tensors), as CI has.</remarks>
[TestFixture, Category("Packaging"), NonParallelizable]
public class PackTests
{
    private const string Version = "0.1.0";

    private string _root = "";
    private string _feed = "";

    [OneTimeSetUp]
    public void PackBothProjects()
    {
        _root = Path.Combine(Path.GetTempPath(), "autodiff-pack-" + Guid.NewGuid().ToString("N"));
        _feed = Path.Combine(_root, "feed");
        Directory.CreateDirectory(_feed);
        string repository = TestHelpers.RepositoryRoot();
        foreach (var project in new[] { "Autodiff.Core", "Autodiff.NN" })
        {
            Commands.Dotnet(repository, "pack", Path.Combine(repository, project, project + ".csproj"), "-c", "Release",
                "-o", _feed, "--artifacts-path", Path.Combine(_root, "artifacts"));
        }
    }

    [OneTimeTearDown]
    public void RemoveFolder()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [TestCase("Autodiff.Core", "System.Numerics.Tensors")]
    [TestCase("Autodiff.NN", "Autodiff.Core")]
    public void Package_HoldsTheDllXmlDocsReadmeAndMetadata(string id, string dependency)
    {
        using var package = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{Version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Does.Contain($"lib/net10.0/{id}.dll"));
        Assert.That(entries, Does.Contain($"lib/net10.0/{id}.xml"), "XML docs");
        Assert.That(entries, Does.Contain("README.md"));

        using var nuspecStream = package.GetEntry($"{id}.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string? Field(string name) => metadata.Element(ns + name)?.Value;
        Assert.That((Field("id"), Field("version"), Field("license"), Field("readme")), Is.EqualTo((id, Version, "MIT", "README.md")));
        Assert.That(Field("authors"), Is.Not.Empty);
        Assert.That(Field("description"), Is.Not.Empty);
        var repository = metadata.Element(ns + "repository")!;
        Assert.That(repository.Attribute("type")?.Value, Is.EqualTo("git"));
        if (Path.Exists(Path.Combine(TestHelpers.RepositoryRoot(), ".git")))                       // a clone or worktree, as CI builds from
            Assert.That(repository.Attribute("commit")?.Value, Does.Match("^[0-9a-f]{40}$"), "Source Link: the commit the package was built from");
        Assert.That(metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value), Does.Contain(dependency));

        using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
            Assert.That(readme.ReadToEnd(), Is.EqualTo(File.ReadAllText(Path.Combine(TestHelpers.RepositoryRoot(), "README.md"))));
        using var symbols = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{Version}.snupkg"));
        Assert.That(symbols.Entries.Select(e => e.FullName), Does.Contain($"lib/net10.0/{id}.pdb"));
    }

    [Test]
    public void ConsoleProject_ReferencingAutodiffNN_TrainsATinyModel()
    {
        string app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);
        // Stop MSBuild's search for Directory.Build.* here, whatever lies above the temp folder.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="autodiff-packed" value="{_feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>$(MSBuildThisFileDirectory)packages</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Autodiff.NN" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), XorProgram);

        Commands.Dotnet(app, "build", "-c", "Release");
        string output = Commands.Dotnet(app, Path.Combine(app, "bin", "Release", "net10.0", "App.dll"));
        TestContext.Progress.Write(output);

        Assert.That(Directory.Exists(Path.Combine(app, "packages", "autodiff.core", Version)), Is.True,
            "Autodiff.Core came in transitively from the packed feed");
        var losses = output.Split('\n').Where(l => l.StartsWith("loss ", StringComparison.Ordinal))
            .ToDictionary(l => l.Split(' ')[1], l => double.Parse(l.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(losses.Keys, Is.EquivalentTo(new[] { "initial", "final", "reloaded" }), output);
        Assert.That(losses["final"], Is.LessThan(losses["initial"] / 10).And.LessThan(0.02), output);
        Assert.That(losses["reloaded"], Is.EqualTo(losses["final"]), "safetensors round trip through the package");
    }

    /// <summary>XOR with a 2-8-1 tanh MLP and Adam, then a save and reload through safetensors; prints three losses.</summary>
    internal const string XorProgram = """
        using System.Globalization;
        using Autodiff;
        using Autodiff.NN;
        using Autodiff.Optim;

        var x = Tensor.FromArray([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], 4, 2);
        var y = Tensor.FromMemory(new[] { 0f, 1f, 1f, 0f }, 4, 1);
        Sequential Net(long seed) => new(new Linear(2, 8, generator: new Generator(seed)), new Tanh(), new Linear(8, 1, generator: new Generator(seed + 1)));
        var model = Net(1);
        var mse = new MseLoss();
        var optimizer = new Adam(model.Parameters(), lr: 0.05f);
        float Loss(Module m) => mse.Forward(m.Forward(x), y).Item();
        Console.WriteLine("loss initial " + Loss(model).ToString("R", CultureInfo.InvariantCulture));
        for (int step = 0; step < 300; step++)
        {
            var loss = mse.Forward(model.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        Console.WriteLine("loss final " + Loss(model).ToString("R", CultureInfo.InvariantCulture));
        string path = Path.Combine(AppContext.BaseDirectory, "xor.safetensors");
        model.SaveSafetensors(path);
        var reloaded = Net(99);
        reloaded.LoadSafetensors(path);
        Console.WriteLine("loss reloaded " + Loss(reloaded).ToString("R", CultureInfo.InvariantCulture));
        """;
}
