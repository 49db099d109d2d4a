using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Autodiff.NN;

/// <summary>A restricted unpickler for what <c>torch.save</c> writes for a state dict (pickle protocol 2): strings,
/// integers, floats, booleans, None, tuples, lists, dicts, <c>collections.OrderedDict</c>, storages by persistent id and
/// tensors rebuilt from them. It is an interpreter of data only: it never resolves a Python name to code. A GLOBAL
/// outside <see cref="AllowedGlobals"/> is refused the moment it is read, before any later opcode runs.</summary>
/// <remarks>The result is plain data: <c>string</c>, <c>long</c>, <c>double</c>, <c>bool</c>, <c>null</c> (None),
/// <c>object?[]</c> (tuple), <see cref="List{T}"/> (list), <see cref="PickleDict"/> (dict and OrderedDict) and
/// <see cref="PickleTensor"/> (a tensor view, not yet read from its storage).</remarks>
internal sealed class Unpickler
{
    /// <summary>Storage class names (<c>torch.FloatStorage</c>, ...) and their element sizes in bytes.</summary>
    internal static readonly Dictionary<string, int> StorageElementSizes = new()
    {
        ["FloatStorage"] = 4, ["DoubleStorage"] = 8, ["HalfStorage"] = 2, ["BFloat16Storage"] = 2,
        ["LongStorage"] = 8, ["IntStorage"] = 4, ["ShortStorage"] = 2, ["CharStorage"] = 1, ["ByteStorage"] = 1,
        ["BoolStorage"] = 1,
    };

    /// <summary>The only globals a pickle may name: the OrderedDict class, the tensor rebuild functions and the storage classes.</summary>
    internal static readonly HashSet<string> AllowedGlobals =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        .. StorageElementSizes.Keys.Select(name => "torch." + name),
    ];

    private readonly byte[] _data;
    private readonly string _source;
    private int _position;
    private readonly List<object?> _stack = [];
    private readonly Stack<List<object?>> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    private Unpickler(byte[] data, string source) => (_data, _source) = (data, source);

    /// <summary>Runs the pickle in <paramref name="data"/> to its STOP and returns the object it built.</summary>
    /// <exception cref="InvalidDataException">The pickle is malformed, uses an opcode outside the supported set, or names a
    /// global that is not allowed; the message names the file, the opcode or global and its byte offset.</exception>
    public static object? Load(byte[] data, string source) => new Unpickler(data, source).Run();

    private object? Run()
    {
        while (true)
        {
            int at = _position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                                   // PROTO n
                case 0x95: ReadBytes(8); break;                                                 // FRAME (protocol 4): a length hint
                case (byte)'}': Push(new PickleDict()); break;                                  // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break;                               // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break;                            // EMPTY_TUPLE
                case (byte)'(': _marks.Push([.. _stack]); _stack.Clear(); break;                // MARK
                case (byte)'X': Push(ReadString(ReadLength(at), at)); break;                  // BINUNICODE
                case 0x8c: Push(ReadString(ReadByte(), at)); break;                             // SHORT_BINUNICODE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;   // BININT
                case (byte)'K': Push((long)ReadByte()); break;                                  // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;  // BININT2
                case 0x8a: Push(ReadLong1(at)); break;                                          // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT (big-endian)
                case 0x88: Push(true); break;                                                   // NEWTRUE
                case 0x89: Push(false); break;                                                  // NEWFALSE
                case (byte)'N': Push(null); break;                                              // NONE
                case (byte)'t': Push(PopMark(at).ToArray()); break;                             // TUPLE
                case 0x85: Push(new[] { Pop(at) }); break;                                      // TUPLE1
                case 0x86: { var b = Pop(at); var a = Pop(at); Push(new[] { a, b }); break; }   // TUPLE2
                case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'s': { var v = Pop(at); var k = Pop(at); Top<PickleDict>("SETITEM", at).Set(k, v); break; }
                case (byte)'u':                                                                 // SETITEMS
                {
                    var items = PopMark(at);
                    if (items.Count % 2 != 0) Fail($"SETITEMS at byte {at} has an odd number of items ({items.Count}).");
                    var dict = Top<PickleDict>("SETITEMS", at);
                    for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
                    break;
                }
                case (byte)'a': { var v = Pop(at); Top<List<object?>>("APPEND", at).Add(v); break; }
                case (byte)'e': { var items = PopMark(at); Top<List<object?>>("APPENDS", at).AddRange(items); break; }
                case (byte)'q': _memo[ReadByte()] = Peek(at); break;                            // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(at); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(at); break;                                // MEMOIZE (protocol 4)
                case (byte)'h': Push(Recall(ReadByte(), at)); break;                            // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), at)); break; // LONG_BINGET
                case (byte)'c': Push(ReadGlobal(at)); break;                                    // GLOBAL
                case (byte)'R': { var args = Pop(at); var callable = Pop(at); Push(Reduce(callable, args, at)); break; }
                case (byte)'b': Build(Pop(at), at); break;                                      // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop(at), at)); break;                       // BINPERSID
                case (byte)'.':                                                                 // STOP
                    if (_stack.Count != 1 || _marks.Count != 0) Fail($"STOP at byte {at} leaves {_stack.Count} objects on the stack, expected 1.");
                    return _stack[0];
                default:
                    Fail($"opcode 0x{op:x2} at byte {at} is not one a state dict uses; only protocol-2 data opcodes are read.");
                    break;
            }
        }
    }

    // ---- the stack -------------------------------------------------------------------------------------------------

    private void Push(object? value) => _stack.Add(value);

    private object? Pop(int at)
    {
        if (_stack.Count == 0) Fail($"the opcode at byte {at} pops an empty stack.");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek(int at) => _stack.Count == 0 ? Fail<object?>($"the opcode at byte {at} reads an empty stack.") : _stack[^1];

    private T Top<T>(string opcode, int at) where T : class =>
        Peek(at) as T ?? Fail<T>($"{opcode} at byte {at} needs a {(typeof(T) == typeof(PickleDict) ? "dict" : "list")} below its items, found {Describe(_stack[^1])}.");

    /// <summary>The objects pushed since the last MARK, the stack as it was before the MARK restored.</summary>
    private List<object?> PopMark(int at)
    {
        if (_marks.Count == 0) Fail($"the opcode at byte {at} needs a MARK, and there is none.");
        var items = new List<object?>(_stack);
        _stack.Clear();
        _stack.AddRange(_marks.Pop());
        return items;
    }

    private object? Recall(long key, int at) =>
        _memo.TryGetValue(key, out var value) ? value : Fail<object?>($"memo entry {key} read at byte {at} was never stored.");

    // ---- reading the bytes -----------------------------------------------------------------------------------------

    private byte ReadByte()
    {
        if (_position >= _data.Length) Fail($"ends at byte {_data.Length} without a STOP opcode (truncated).");
        return _data[_position++];
    }

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _data.Length - _position) Fail($"ends at byte {_data.Length}, inside an opcode's {count}-byte argument (truncated).");
        var bytes = _data.AsSpan(_position, count);
        _position += count;
        return bytes;
    }

    /// <summary>A 4-byte little-endian length, refused when it is longer than what is left of the pickle.</summary>
    private int ReadLength(int at)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
        if (length > _data.Length - _position) Fail($"the string at byte {at} claims {length} bytes, past the end of the pickle (truncated).");
        return (int)length;
    }

    private string ReadString(int length, int at)
    {
        var bytes = ReadBytes(length);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Fail<string>($"the string at byte {at} is not valid UTF-8.");
        }
    }

    /// <summary>LONG1: a little-endian two's-complement integer of n bytes; up to 8 fit a <c>long</c>.</summary>
    private long ReadLong1(int at)
    {
        int n = ReadByte();
        if (n > 8) Fail($"LONG1 at byte {at} has {n} bytes, more than a 64-bit integer holds.");
        var bytes = ReadBytes(n);
        long value = 0;
        for (int i = n - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (n is > 0 and < 8 && (bytes[n - 1] & 0x80) != 0) value -= 1L << (8 * n);          // sign-extend
        return value;
    }

    private string ReadLine(int at)
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0) Fail($"GLOBAL at byte {at} has no line end (truncated).");
        string line = Encoding.ASCII.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    // ---- globals, calls, persistent ids ----------------------------------------------------------------------------

    /// <summary>GLOBAL: refused here, before anything else is read, unless it is on <see cref="AllowedGlobals"/>.</summary>
    private PickleGlobal ReadGlobal(int at)
    {
        string module = ReadLine(at), name = ReadLine(at);
        string full = module + "." + name;
        if (!AllowedGlobals.Contains(full))
            Fail($"the pickle references global '{full}' at byte {at}, which is not allowed: a state dict holds only tensors, " +
                "storages, (ordered) dicts, lists, tuples, numbers and strings. Nothing was called.");
        return new PickleGlobal(module, name);
    }

    private object? Reduce(object? callable, object? args, int at)
    {
        if (callable is not PickleGlobal global) return Fail<object?>($"REDUCE at byte {at} calls {Describe(callable)}, not an allowed global.");
        if (args is not object?[] a) return Fail<object?>($"REDUCE at byte {at} calls '{global}' with {Describe(args)}, not a tuple of arguments.");
        switch (global.ToString())
        {
            case "collections.OrderedDict":                                                      // OrderedDict() or OrderedDict([(k, v), ...])
            {
                var dict = new PickleDict();
                if (a.Length == 0) return dict;
                if (a.Length == 1 && a[0] is List<object?> pairs && pairs.All(p => p is object?[] { Length: 2 }))
                {
                    foreach (object?[] pair in pairs.Cast<object?[]>()) dict.Set(pair[0], pair[1]);
                    return dict;
                }
                return Fail<object?>($"REDUCE at byte {at} calls 'collections.OrderedDict' with {a.Length} arguments; expected none or a list of pairs.");
            }
            case "torch._utils._rebuild_tensor_v2":                                             // (storage, offset, size, stride, requires_grad, hooks[, metadata])
                if (a.Length is < 4 or > 7 || a[0] is not PickleStorage storage || a[1] is not long offset
                    || !TryLongs(a[2], out var size) || !TryLongs(a[3], out var stride) || size.Length != stride.Length)
                    return Fail<object?>($"REDUCE at byte {at}: '_rebuild_tensor_v2' arguments are not (storage, offset, size, stride, ...).");
                return new PickleTensor(storage, offset, size, stride);
            case "torch._utils._rebuild_parameter":                                             // (data, requires_grad, hooks)
                if (a.Length != 3 || a[0] is not PickleTensor tensor)
                    return Fail<object?>($"REDUCE at byte {at}: '_rebuild_parameter' arguments are not (tensor, requires_grad, hooks).");
                return tensor;
            default:
                return Fail<object?>($"REDUCE at byte {at} calls '{global}', which is a storage class, not a function a state dict calls.");
        }
    }

    /// <summary>BUILD: only an attribute dict on an (ordered) dict, as the <c>_metadata</c> PyTorch attaches to a state
    /// dict; accepted and ignored. Anything else is refused.</summary>
    private void Build(object? state, int at)
    {
        var target = Peek(at);
        if (target is not PickleDict || state is not PickleDict)
            Fail($"BUILD at byte {at} sets {Describe(state)} on {Describe(target)}; only attribute dicts on ordered dicts (the state dict's _metadata) are read.");
    }

    /// <summary>BINPERSID: <c>('storage', torch.XStorage, key, location, numel)</c>, the storage in <c>data/key</c>.</summary>
    private PickleStorage PersistentLoad(object? id, int at)
    {
        if (id is object?[] { Length: 5 } t && t[0] is "storage" && t[1] is PickleGlobal { Module: "torch" } type
            && StorageElementSizes.ContainsKey(type.Name) && t[2] is string key && t[3] is string && t[4] is long numel && numel >= 0)
            return new PickleStorage(type.Name, key, numel);
        return Fail<PickleStorage>($"BINPERSID at byte {at} has persistent id {Describe(id)}; expected ('storage', torch.XStorage, key, location, numel).");
    }

    private static bool TryLongs(object? value, out long[] result)
    {
        result = [];
        if (value is not object?[] items || items.Any(i => i is not long)) return false;
        result = Array.ConvertAll(items, i => (long)i!);
        return true;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long or double or bool => $"the number {value}",
        object?[] t => $"a tuple of {t.Length}",
        List<object?> => "a list",
        PickleDict => "a dict",
        PickleGlobal g => $"the global '{g}'",
        PickleStorage => "a storage",
        PickleTensor => "a tensor",
        _ => value.GetType().Name,
    };

    [DoesNotReturn]
    private void Fail(string message) => Fail<object?>(message);

    [DoesNotReturn]
    private T Fail<T>(string message) => throw new InvalidDataException($"PyTorchFile: {_source}: data.pkl: {message}");
}

/// <summary>A Python dict or OrderedDict: insertion-ordered, a repeated key keeps its first position with the last value.</summary>
internal sealed class PickleDict
{
    private readonly Dictionary<object, int> _index = [];

    /// <summary>The entries in insertion order.</summary>
    public List<KeyValuePair<object?, object?>> Items { get; } = [];

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (dict's <c>d[key] = value</c>).</summary>
    public void Set(object? key, object? value)
    {
        object boxed = key ?? DBNull.Value;                                                       // None is a valid key
        if (_index.TryGetValue(boxed, out int i)) Items[i] = new(key, value);
        else
        {
            _index[boxed] = Items.Count;
            Items.Add(new(key, value));
        }
    }
}

/// <summary>A global the pickle named (only allowed ones are ever created).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => Module + "." + Name;
}

/// <summary>A storage by persistent id: its class (<c>FloatStorage</c>, ...), its record <c>data/Key</c> and element count.</summary>
internal sealed record PickleStorage(string TypeName, string Key, long Numel);

/// <summary>A tensor as <c>_rebuild_tensor_v2</c> describes it: a strided view of a storage, read later.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long Offset, long[] Size, long[] Stride);
