using Autodiff.NN;

namespace Autodiff.Benchmarks.Compare;

/// <summary>How much memory stays behind after T threads each ran a few scoped, NoGrad forward passes of a 784-H-H-10 MLP
/// on a batch of B, while the threads are still alive; then again after 16 s idle (pools unused for 10 s are emptied).</summary>
/// <remarks>Run as <c>dotnet Autodiff.Benchmarks.dll pool-retention [noscope]</c>, with T (threads, default 16), B (batch,
/// default 4096) and H (hidden, default 1024) in the environment; <c>noscope</c> does the same work without DisposeScopes
/// (nothing is pooled then).</remarks>
internal static class PoolRetention
{
    /// <summary>Runs the measurement and prints two lines: with the threads alive, and after 16 s idle.</summary>
    public static void Run(string[] args)
    {
        int threads = Env("T", 16), batch = Env("B", 4096), hidden = Env("H", 1024);
        bool scoped = args.Length == 0 || args[0] != "noscope";
        var model = new Sequential(new Linear(784, hidden, generator: new Generator(1)), new ReLU(),
            new Linear(hidden, hidden, generator: new Generator(2)), new ReLU(), new Linear(hidden, 10, generator: new Generator(3)));
        using var release = new ManualResetEventSlim();
        using var done = new CountdownEvent(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var x = Tensor.Rand([batch, 784], new Generator(t));
            for (int i = 0; i < 5; i++)
            {
                using var scope = scoped ? Tensor.NewDisposeScope() : null;
                using (Tape.NoGrad()) _ = model.Forward(x).Sum().Item();
            }
            done.Signal();
            release.Wait();
        })).ToArray();
        foreach (var w in workers) w.Start();
        done.Wait();
        Console.WriteLine($"{(scoped ? "scoped" : "no scope")}, {threads} threads alive, batch {batch}, hidden {hidden}: " +
            $"GC heap {GC.GetTotalMemory(true) / 1e6:F0} MB, pools {Tensor.BufferPoolBytes / 1e6:F0} MB");
        Thread.Sleep(16_000);
        Console.WriteLine($"after 16 s idle: GC heap {GC.GetTotalMemory(true) / 1e6:F0} MB, pools {Tensor.BufferPoolBytes / 1e6:F0} MB");
        release.Set();
        foreach (var w in workers) w.Join();
    }

    private static int Env(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;
}
