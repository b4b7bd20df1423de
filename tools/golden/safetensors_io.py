"""Plain-Python safetensors writer and reader (struct + json, no numpy needed).

The writer follows the reference implementation (huggingface/safetensors,
safetensors/src/tensor.rs, `prepare`):
  * tensors sorted by descending dtype rank (the order of its Dtype enum,
    i.e. alignment), then by name; data_offsets assigned in that order;
  * header = compact JSON (no spaces) with "__metadata__" first (keys sorted
    here; the reference uses a HashMap, so any order is valid), then the
    tensors in offset order;
  * header padded with spaces to a multiple of 8 bytes;
  * 8-byte little-endian header length, header, raw little-endian data.
The Go package github.com/distilgo/distilgo/safetensors writes byte-identical
files for the same input; its tests check that against a file written here.
"""

import json
import struct

# Rank = position in the reference Dtype enum (ascending alignment).
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
               "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
DTYPE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
              "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
              "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
# struct format characters for the dtypes that struct can pack directly.
STRUCT_FMT = {"BOOL": "?", "U8": "B", "I8": "b", "I16": "h", "U16": "H",
              "F16": "e", "I32": "i", "U32": "I", "F32": "f", "F64": "d",
              "I64": "q", "U64": "Q"}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def pack(dtype, values):
    """Little-endian bytes of a flat list of Python numbers in `dtype`.

    BF16 is packed by truncating the float32 bits: exact only for values that
    are representable in bfloat16 (callers pass such values)."""
    if dtype == "BF16":
        out = bytearray()
        for v in values:
            bits = struct.unpack("<I", struct.pack("<f", v))[0]
            if bits & 0xFFFF:
                raise ValueError(f"{v!r} is not exactly representable in bfloat16")
            out += struct.pack("<H", bits >> 16)
        return bytes(out)
    return struct.pack("<%d%s" % (len(values), STRUCT_FMT[dtype]), *values)


def encode(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, data_bytes). Returns file bytes."""
    names = set()
    for name, dtype, shape, data in tensors:
        if name in names or name == "__metadata__":
            raise ValueError(f"duplicate or reserved tensor name {name!r}")
        names.add(name)
        if numel(shape) * DTYPE_SIZE[dtype] != len(data):
            raise ValueError(f"{name}: {dtype}{shape} does not match {len(data)} bytes")
    meta = dict(metadata or {})
    meta.setdefault("format", "pt")
    order = sorted(tensors, key=lambda t: (-DTYPE_ORDER.index(t[1]), t[0]))
    parts = ['"__metadata__":' + json.dumps(meta, separators=(",", ":"), sort_keys=True, ensure_ascii=False)]
    off = 0
    for name, dtype, shape, data in order:
        info = '{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}' % (
            dtype, ",".join(str(d) for d in shape), off, off + len(data))
        parts.append(json.dumps(name, ensure_ascii=False) + ":" + info)
        off += len(data)
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * ((8 - len(header) % 8) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(t[3] for t in order)


def write(path, tensors, metadata=None):
    """Write a safetensors file (plain write: goldens are regenerated whole)."""
    with open(path, "wb") as f:
        f.write(encode(tensors, metadata))


def read(path):
    """Read and validate a safetensors file.

    Returns (metadata, {name: (dtype, shape, bytes)})."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    hdr = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = hdr.pop("__metadata__", None)
    data = buf[8 + n:]
    out = {}
    end = 0
    for name, info in sorted(hdr.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        if b != end or numel(info["shape"]) * DTYPE_SIZE[info["dtype"]] != e - b:
            raise ValueError(f"{path}: tensor {name}: bad offsets or size")
        end = e
        out[name] = (info["dtype"], info["shape"], data[b:e])
    if end != len(data):
        raise ValueError(f"{path}: data area not covered")
    return meta, out


# --- torch helpers (imported lazily so the module works without torch) ---

def from_torch(name, t):
    """(name, dtype, shape, bytes) of a torch tensor: float32 -> F32,
    float64 -> F64, int64 -> I64, bool -> BOOL."""
    import numpy as np
    import torch
    t = t.detach().contiguous().cpu()
    kinds = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"),
             torch.int64: ("I64", "<i8"), torch.bool: ("BOOL", "?")}
    dtype, npfmt = kinds[t.dtype]
    return (name, dtype, list(t.shape), np.ascontiguousarray(t.numpy()).astype(npfmt).tobytes())


def to_torch(entry):
    """torch tensor from a (dtype, shape, bytes) entry of read()."""
    import numpy as np
    import torch
    dtype, shape, data = entry
    npfmt = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}[dtype]
    return torch.from_numpy(np.frombuffer(data, dtype=npfmt).reshape(shape).copy())
