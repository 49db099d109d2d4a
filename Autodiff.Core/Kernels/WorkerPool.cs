using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Autodiff.Kernels;

/// <summary>The threads behind <see cref="Threading.For(int, Action{int})"/>: workers started once and parked between
/// jobs, so splitting a kernel costs a store and (when a worker is asleep) one wake-up, not a <c>Parallel.For</c> with its
/// task and its thread-pool queue per call.</summary>
/// <remarks>
/// <para><b>A job</b> is <c>parts</c> numbered pieces of work. The calling thread publishes it and starts claiming parts
/// itself at once (an atomic counter hands out each part exactly once); workers that see the job in time claim parts
/// too. Nobody waits for a worker to wake up: if none has by the time the caller runs out of unclaimed parts, the caller
/// has done all the work, which is what a small job on a busy machine should cost. The caller then waits only for parts
/// a worker is running. Which thread runs a part never changes its result: kernels cut their work into fixed parts.</para>
/// <para><b>Parking.</b> A worker that finds no new job spins for <see cref="SpinTicks"/> (kernels of one training step
/// come in bursts, so the next job usually arrives within that), then blocks on a monitor. Publishing a job pulses the
/// monitor only when a worker sleeps there, and only for a job worth a wake-up; a smaller one is shared with workers
/// that happen to be spinning, else run by the caller alone. Both sides bump a counter with a full fence before reading
/// the other's flag, so a job is never missed (the worker re-checks for a job after announcing that it will sleep).</para>
/// <para><b>Yielding spins.</b> Both spins yield now and then (<see cref="SpinWait.SpinOnce(int)"/>): on a machine
/// busier than it has cores, a worker spinning on the caller's core would otherwise take it from the caller, and two
/// threads measured up to 2.3x slower than one (1e5 elements, load 8 on 2 cores); yielding, they measure the same.</para>
/// <para><b>One job at a time.</b> A second thread calling in while a job runs (another user thread, or a part that
/// splits again) runs its parts itself, in order: the same results, no deadlock, no queue.</para>
/// </remarks>
internal static class WorkerPool
{
    /// <summary>How long an idle worker spins (about 200 µs) before it blocks: longer than the gaps between the large
    /// kernels of a step, so a worker woken for one stays awake for the next (waking a sleeping one cost the caller
    /// ~15 µs and the worker ~35 µs before its first part, on the 2-core VM this was measured on); short enough that an
    /// idle library soon leaves the cores to others. The spin yields, so it only burns a core nobody else wants.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5_000;

    /// <summary>How long the calling thread spins (about 20 µs) for a worker to finish its last part before blocking.</summary>
    private static readonly long WaitSpinTicks = Stopwatch.Frequency / 50_000;

    /// <summary>One call of <see cref="Run"/>: the body, the claim and completion counters, the first error.</summary>
    private sealed class Job(Action<int> body, int parts, int helpers)
    {
        public Action<int>? Body = body;    // cleared once every part is done: a worker keeps its last job, not what it captured
        public readonly int Parts = parts;
        public int Next;                    // the next part to claim (may overshoot Parts)
        public int Done;                    // parts finished
        public int Seats = helpers;         // workers that may still join
        public int CallerWaits;             // 1 once the caller blocks on this job's monitor
        public Exception? Error;
    }

    private static Job? s_job;                                  // the job being run, or null
    private static int s_busy;                                  // 1 while a caller owns the pool
    private static int s_sleepers;                              // workers blocked (or about to block) on s_gate
    private static int s_spinning;                              // workers spinning for a job
    private static int s_workers;                               // workers started so far
    private static readonly object s_gate = new();

    /// <summary>True while some worker is spinning for a job, so that a job published now is picked up within a
    /// microsecond or two, without a wake-up. A kernel too small to wake a worker splits its work only then.</summary>
    public static bool AnyAwake => Volatile.Read(ref s_spinning) > 0;

    /// <summary>Runs <c>body(0 … parts-1)</c> on the calling thread and up to <paramref name="threads"/> - 1 workers;
    /// returns when every part is done. Parts run with <see cref="Threading.Available"/> = 1. The first exception a part
    /// throws is rethrown here after all parts have finished.</summary>
    /// <param name="parts">How many parts.</param>
    /// <param name="threads">The most threads to use, the calling thread included.</param>
    /// <param name="body">The work of one part.</param>
    /// <param name="wake">Whether the job is worth waking sleeping workers for (and starting them): false for a job
    /// that only spinning workers, already awake, should help with, because a wake-up costs more than it saves.</param>
    public static void Run(int parts, int threads, Action<int> body, bool wake = true)
    {
        if (threads <= 1 || (!wake && !AnyAwake) || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            RunHere(parts, body);                               // one thread wanted, no worker to ask, or the pool is taken
            return;
        }
        Job job;
        try
        {
            if (wake) EnsureWorkers(threads - 1);
            job = new Job(body, parts, threads - 1);
            Interlocked.Exchange(ref s_job, job);               // publish, full fence before reading s_sleepers
            if (wake && Volatile.Read(ref s_sleepers) > 0)
                lock (s_gate) Monitor.PulseAll(s_gate);
            Work(job);
            WaitForParts(job);
            Volatile.Write(ref s_job, null);
            job.Body = null;                                    // the tensors it captured may become garbage now
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
        if (job.Error is Exception error) ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>All parts on this thread, in order, marked as inside a split kernel.</summary>
    private static void RunHere(int parts, Action<int> body)
    {
        bool outer = Threading.InWorker;
        Threading.InWorker = true;
        try
        {
            for (int p = 0; p < parts; p++) body(p);
        }
        finally
        {
            Threading.InWorker = outer;
        }
    }

    /// <summary>Claims and runs parts of <paramref name="job"/> until none is left.</summary>
    private static void Work(Job job)
    {
        bool outer = Threading.InWorker;
        Threading.InWorker = true;
        try
        {
            int part;
            while ((part = Interlocked.Increment(ref job.Next) - 1) < job.Parts)
            {
                try
                {
                    job.Body!(part);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref job.Error, ex, null);
                }
                if (Interlocked.Increment(ref job.Done) == job.Parts && Volatile.Read(ref job.CallerWaits) != 0)
                    lock (job) Monitor.PulseAll(job);
            }
        }
        finally
        {
            Threading.InWorker = outer;
        }
    }

    /// <summary>The caller's wait for parts that workers are still running: a short spin, then the job's monitor.</summary>
    private static void WaitForParts(Job job)
    {
        if (Volatile.Read(ref job.Done) == job.Parts) return;
        long until = Stopwatch.GetTimestamp() + WaitSpinTicks;
        var spinner = new SpinWait();
        while (Stopwatch.GetTimestamp() < until)
        {
            spinner.SpinOnce(sleep1Threshold: -1);                 // yields now and then: the worker may need this core
            if (Volatile.Read(ref job.Done) == job.Parts) return;
        }
        lock (job)
        {
            Interlocked.Exchange(ref job.CallerWaits, 1);      // full fence before reading Done
            while (Volatile.Read(ref job.Done) < job.Parts) Monitor.Wait(job);
        }
    }

    /// <summary>Starts workers until there are <paramref name="count"/> (only the pool's owner calls this).</summary>
    private static void EnsureWorkers(int count)
    {
        while (s_workers < count)
        {
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"Autodiff worker {s_workers + 1}" };
            thread.Start();
            s_workers++;
        }
    }

    /// <summary>A worker's life: wait for a job it has not seen, take a seat if one is left, claim parts, repeat.</summary>
    private static void WorkerLoop()
    {
        Job? last = null;
        while (true)
        {
            var job = NextJob(last);
            last = job;
            if (Interlocked.Decrement(ref job.Seats) >= 0) Work(job);
        }
    }

    /// <summary>Spins, then sleeps, until a job other than <paramref name="last"/> is published.</summary>
    private static Job NextJob(Job? last)
    {
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = new SpinWait();
        Interlocked.Increment(ref s_spinning);
        try
        {
            while (true)
            {
                if (Volatile.Read(ref s_job) is Job job && job != last) return job;
                if (Stopwatch.GetTimestamp() > until) break;
                spinner.SpinOnce(sleep1Threshold: -1);             // yields now and then: the caller may need this core
            }
        }
        finally
        {
            Interlocked.Decrement(ref s_spinning);
        }
        lock (s_gate)
        {
            Interlocked.Increment(ref s_sleepers);              // full fence before re-reading s_job
            try
            {
                while (true)
                {
                    if (Volatile.Read(ref s_job) is Job job && job != last) return job;
                    Monitor.Wait(s_gate);
                }
            }
            finally
            {
                Interlocked.Decrement(ref s_sleepers);
            }
        }
    }
}
