using Autodiff;

namespace Autodiff.Tests;

/// <summary>Small builders and assertions shared by the op tests (import with <c>using static Autodiff.Tests.TestHelpers;</c>).</summary>
internal static class TestHelpers
{
    /// <summary>0, 1, 2, ... in float64, reshaped to <paramref name="shape"/>.</summary>
    public static Tensor Seq(params int[] shape) => Tensor.Arange(shape.Aggregate(1, (p, d) => p * d), DType.Float64).Reshape(shape);

    /// <summary>A seeded standard-normal float64 leaf that requires grad.</summary>
    public static Tensor Leaf(long seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64).RequireGrad();

    /// <summary>Asserts that <paramref name="code"/> throws <typeparamref name="T"/> whose message starts with
    /// <c>parts[0] + ":"</c> (the op) and contains every part (the shapes and values).</summary>
    public static void AssertThrows<T>(TestDelegate code, params string[] parts) where T : Exception
    {
        var ex = Assert.Throws<T>(code)!;
        Assert.That(ex.Message, Does.StartWith(parts[0] + ":"));
        foreach (var part in parts) Assert.That(ex.Message, Does.Contain(part));
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Threading.NumThreads"/> set to <paramref name="threads"/>,
    /// restoring the previous value afterwards (for tests that compare one thread with two).</summary>
    public static T WithThreads<T>(int threads, Func<T> body)
    {
        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = threads;
            return body();
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }

    /// <summary>The folder holding Autodiff.sln, found upwards from the test assembly (a clone or a worktree).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autodiff.sln"))) return dir.FullName;
        throw new InvalidOperationException($"TestHelpers: no Autodiff.sln above {TestContext.CurrentContext.TestDirectory}.");
    }
}
