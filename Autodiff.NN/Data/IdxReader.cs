using System.Buffers.Binary;
using System.IO.Compression;

namespace Autodiff.NN.Data;

/// <summary>Reads the IDX format of MNIST and Fashion-MNIST (unsigned-byte data), plain or gzipped.</summary>
/// <remarks>Layout: two zero bytes, a type byte (0x08 = unsigned byte), a rank byte, one big-endian int32 per
/// dimension, then the values in row-major order. A file ending in <c>.gz</c> (or starting with the gzip magic) is
/// decompressed first. Every mismatch is reported with the file name and what is wrong.</remarks>
public static class IdxReader
{
    /// <summary>The dimensions and raw bytes of an IDX file.</summary>
    /// <param name="Dims">The dimensions from the header, outermost first.</param>
    /// <param name="Data">The values, <c>Π Dims</c> bytes.</param>
    public sealed record IdxFile(int[] Dims, byte[] Data);

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The magic number, type, dimensions or length are wrong, or the file is truncated.</exception>
    public static IdxFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IdxReader: file '{path}' does not exist.", path);
        byte[] raw = File.ReadAllBytes(path);
        bool gzip = raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;
        if (gzip)
        {
            try
            {
                using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var output = new MemoryStream();
                input.CopyTo(output);
                raw = output.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"IdxReader: '{path}' is not a valid gzip stream ({e.Message}).", e);
            }
        }
        return Parse(raw, path);
    }

    private static IdxFile Parse(byte[] raw, string path)
    {
        if (raw.Length < 4) throw Corrupt(path, $"is {raw.Length} bytes long, shorter than the 4-byte magic number");
        if (raw[0] != 0 || raw[1] != 0)
            throw Corrupt(path, $"has magic number 0x{raw[0]:X2}{raw[1]:X2}{raw[2]:X2}{raw[3]:X2}; an IDX file starts with 0x0000");
        if (raw[2] != 0x08) throw Corrupt(path, $"has data type 0x{raw[2]:X2}; only unsigned bytes (0x08) are supported");
        int rank = raw[3];
        if (rank == 0) throw Corrupt(path, "declares zero dimensions");
        int headerLength = 4 + 4 * rank;
        if (raw.Length < headerLength) throw Corrupt(path, $"is truncated inside its header ({raw.Length} of {headerLength} bytes)");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw Corrupt(path, $"declares negative dimension {dims[i]}");
            count *= dims[i];
        }
        if (raw.Length - headerLength != count)
            throw Corrupt(path, $"has {raw.Length - headerLength} data bytes but its dimensions [{string.Join(", ", dims)}] need {count}" +
                (raw.Length - headerLength < count ? " (truncated)" : " (trailing bytes)"));
        return new IdxFile(dims, raw[headerLength..]);
    }

    private static InvalidDataException Corrupt(string path, string what) => new($"IdxReader: '{path}' {what}.");

    /// <summary>Writes an unsigned-byte IDX file (gzipped when the path ends in .gz). For fixtures and exports.</summary>
    /// <exception cref="ArgumentException">The data length does not match the dimensions.</exception>
    public static void Write(string path, int[] dims, byte[] data)
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length) Check.Fail("IdxReader.Write", $"data has {data.Length} bytes but dims [{string.Join(", ", dims)}] need {count}.", nameof(data));
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write([0, 0, 0x08, (byte)dims.Length]);
        Span<byte> buffer = stackalloc byte[4];
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer, d);
            stream.Write(buffer);
        }
        stream.Write(data);
    }
}
