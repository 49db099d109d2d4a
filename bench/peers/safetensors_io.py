"""Writing safetensors without the safetensors package (it is not in Debian), for the same-start scripts."""
import json
import struct

import torch


def save_safetensors(path, tensors, metadata=None):
    """The safetensors layout by hand: u64 header length, JSON header (with string metadata under __metadata__) padded
    with spaces to 8 bytes, then each tensor's little-endian bytes."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        blob = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": {torch.float32: "F32", torch.int64: "I64"}[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
