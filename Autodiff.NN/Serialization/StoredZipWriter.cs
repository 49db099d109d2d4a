using System.Buffers.Binary;
using System.Text;

namespace Autodiff.NN;

/// <summary>Writes a zip archive of stored (uncompressed) records the way PyTorch's writer lays them out: each record's
/// data starts at a multiple of 64 bytes from the start of the archive (padding goes in an extra field with id
/// <c>"FB"</c> in the local header), so a reader can map storages in place; ZIP64 fields once an offset passes 4 GiB
/// (a record itself is a span, under 2 GiB). Timestamps are 1980-01-01, so the same records give the same bytes.</summary>
internal sealed class StoredZipWriter(Stream destination)
{
    private const int Alignment = 64;
    private const uint Limit32 = uint.MaxValue;
    private const ushort DosDate = (0 << 9) | (1 << 5) | 1;                                    // 1980-01-01
    private readonly List<(byte[] Name, uint Crc, int Size, long Offset)> _entries = [];
    private long _position;                                                                    // bytes written so far: works on non-seekable streams

    /// <summary>Appends one record <paramref name="name"/> holding <paramref name="data"/>.</summary>
    public void Add(string name, ReadOnlySpan<byte> data)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        uint crc = Crc32(data);
        long offset = _position;
        long dataStart = offset + 30 + utf8.Length + 4;                                           // + the padding field's own header
        int padding = (int)((Alignment - dataStart % Alignment) % Alignment);

        var header = new byte[30 + utf8.Length + 4 + padding];
        var h = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 20);                                     // version needed
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0x0800);                                 // UTF-8 names
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0);                                      // stored
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], 0);                                     // time 00:00
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], DosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(h[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], (uint)data.Length);                     // compressed size
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], (uint)data.Length);                     // uncompressed size
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)utf8.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)(4 + padding));
        utf8.CopyTo(h[30..]);
        var extra = h[(30 + utf8.Length)..];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x4246);                                  // "FB": padding, as PyTorch's writer
        BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)padding);
        extra[4..].Fill((byte)'Z');

        Write(header);
        Write(data);
        _entries.Add((utf8, crc, data.Length, offset));
    }

    /// <summary>Writes the central directory and the end records; the archive is complete after this.</summary>
    public void Finish()
    {
        long directoryStart = _position;
        foreach (var (name, crc, size, offset) in _entries)
        {
            bool bigOffset = offset >= Limit32;
            int extraLength = bigOffset ? 12 : 0;                                                 // ZIP64 field holding the offset
            var record = new byte[46 + name.Length + extraLength];
            var r = record.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(r, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(r[4..], 45);                                 // version made by
            BinaryPrimitives.WriteUInt16LittleEndian(r[6..], (ushort)(extraLength > 0 ? 45 : 20));
            BinaryPrimitives.WriteUInt16LittleEndian(r[8..], 0x0800);
            BinaryPrimitives.WriteUInt16LittleEndian(r[10..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(r[12..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(r[14..], DosDate);
            BinaryPrimitives.WriteUInt32LittleEndian(r[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(r[20..], (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(r[24..], (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(r[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(r[30..], (ushort)extraLength);
            // comment length, disk number, internal and external attributes: 0
            BinaryPrimitives.WriteUInt32LittleEndian(r[42..], bigOffset ? Limit32 : (uint)offset);
            name.CopyTo(r[46..]);
            if (bigOffset)
            {
                var e = r[(46 + name.Length)..];
                BinaryPrimitives.WriteUInt16LittleEndian(e, 0x0001);
                BinaryPrimitives.WriteUInt16LittleEndian(e[2..], 8);
                BinaryPrimitives.WriteInt64LittleEndian(e[4..], offset);
            }
            Write(record);
        }
        long directorySize = _position - directoryStart;
        bool zip64 = _entries.Count >= ushort.MaxValue || directoryStart >= Limit32 || directorySize >= Limit32;
        if (zip64)
        {
            long recordStart = _position;
            var end64 = new byte[56 + 20];
            var z = end64.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(z, 0x06064b50);
            BinaryPrimitives.WriteInt64LittleEndian(z[4..], 44);                                  // size of the rest of the record
            BinaryPrimitives.WriteUInt16LittleEndian(z[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(z[14..], 45);
            BinaryPrimitives.WriteInt64LittleEndian(z[24..], _entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(z[32..], _entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(z[40..], directorySize);
            BinaryPrimitives.WriteInt64LittleEndian(z[48..], directoryStart);
            var locator = z[56..];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteInt64LittleEndian(locator[8..], recordStart);
            BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);                           // total number of disks
            Write(end64);
        }
        var end = new byte[22];
        var d = end.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(d, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(d[8..], zip64 ? ushort.MaxValue : (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(d[10..], zip64 ? ushort.MaxValue : (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], zip64 ? Limit32 : (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(d[16..], zip64 ? Limit32 : (uint)directoryStart);
        Write(end);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        destination.Write(bytes);
        _position += bytes.Length;
    }

    /// <summary>The zip format's CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);
}
