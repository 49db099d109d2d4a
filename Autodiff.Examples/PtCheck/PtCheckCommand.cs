// `pt-check`: the C# side of bench/peers/pt_roundtrip.py. `--read FILE` loads a .pt file torch.save wrote and dumps every
// tensor (dtype, shape, values) as JSON for the script to compare with torch's values; `--write FILE` saves a seeded
// model's state dict plus one tensor of each dtype with PyTorchFile.Save and dumps the same JSON, which the script
// compares with what torch.load reads back.
using System.CommandLine;
using System.Globalization;
using System.Text;
using Autodiff.NN;

namespace Autodiff.Examples.PtCheck;

internal static class PtCheckCommand
{
    public static Command Create()
    {
        var read = new Option<string?>("--read") { Description = "A .pt file written by torch.save to load" };
        var write = new Option<string?>("--write") { Description = "A .pt file to write for torch.load" };
        var json = new Option<string>("--json") { Description = "Where to dump the tensors as JSON", Required = true };
        var command = new Command("pt-check", "Reads or writes a PyTorch .pt state dict and dumps its tensors as JSON") { read, write, json };
        command.SetAction(r => Run(r.GetValue(read), r.GetValue(write), r.GetValue(json)!));
        return command;
    }

    public static int Run(string? read, string? write, string json)
    {
        Dictionary<string, Tensor> state;
        if (read is not null) state = PyTorchFile.Load(read);
        else if (write is not null)
        {
            Generator.ManualSeed(0);
            var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
            state = model.StateDict();
            var m = Tensor.FromArray([1f, -2.5f, 3.25f, 1e-8f, float.MaxValue, -0f], 2, 3);
            state["extra.f32"] = m;
            state["extra.f64"] = Tensor.FromArray([Math.PI, -1e-300, 2.0], 3);
            state["extra.i64"] = Tensor.FromArray([long.MinValue, -1L, 0L, 1L << 40, long.MaxValue], 5);
            state["extra.bool"] = m.Gt(0f);
            state["extra.scalar"] = Tensor.Scalar(7.5);
            PyTorchFile.Save(write, state);
        }
        else
        {
            Console.Error.WriteLine("pt-check: give --read FILE or --write FILE.");
            return 2;
        }
        File.WriteAllText(json, ToJson(state));
        Console.WriteLine($"pt-check: {state.Count} tensors -> {json}");
        return 0;
    }

    private static string ToJson(Dictionary<string, Tensor> state)
    {
        var s = new StringBuilder("{\n");
        bool first = true;
        foreach (var (name, t) in state)
        {
            if (!first) s.Append(",\n");
            first = false;
            s.Append($"  \"{name}\": {{\"dtype\": \"{t.DType}\", \"shape\": [{string.Join(", ", t.Shape.ToArray())}], \"values\": [");
            s.AppendJoin(", ", t.DType switch
            {
                DType.Float32 => t.ToArray().Select(v => Number(v)),
                DType.Float64 => t.ToDoubleArray().Select(Number),
                DType.Int64 => t.ToInt64Array().Select(v => v.ToString(CultureInfo.InvariantCulture)),
                _ => t.ToBoolArray().Select(v => v ? "true" : "false"),
            });
            s.Append("]}");
        }
        return s.Append("\n}\n").ToString();
    }

    /// <summary>A float for Python's json: always with a point or exponent, so -0.0 stays a float ("-0" would parse as int 0).</summary>
    private static string Number(double v)
    {
        string text = v.ToString("R", CultureInfo.InvariantCulture);
        return double.IsFinite(v) && !text.Contains('.') && !text.Contains('E') ? text + ".0" : text;
    }
}
