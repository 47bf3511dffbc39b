#!/usr/bin/env python3
"""Writes the seed corpus of the `formats` fuzz target into fuzz/seeds/formats/ (deterministic).

Run from the repository root: python3 fuzz/make_formats_seeds.py   (needs numpy only)
Safetensors files are written by hand (8-byte little-endian header length, JSON, data), the way
the format's reference implementation lays them out; .npy files come from numpy.save / numpy.lib.format.
"""
import io
import json
import os
import struct

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "formats")
os.makedirs(out, exist_ok=True)


def safetensors(tensors, metadata=None, pad=True):
    header, blobs, off = {}, [], 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-(8 + len(h)) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


f32 = np.array([[1.0, -2.5, 0.0], [3.25, 1e-8, -0.0]], dtype="<f4")
write("st_f32_meta.safetensors", safetensors(
    [("W_enc", "F32", f32.shape, f32.tobytes()), ("b_enc", "F32", (3,), np.arange(3, dtype="<f4").tobytes())],
    metadata={"format": "pt", "d_in": "2"}))
f16 = np.array([0.0, -0.0, 6.1035e-05, 5.96e-08, 65504.0, np.inf, -np.inf, np.nan], dtype="<f2")
bf16 = (np.array([1.0, -3.0, 1e30, 0.0], dtype="<f4").view("<u4") >> 16).astype("<u2")
write("st_mixed.safetensors", safetensors([
    ("half", "F16", (8,), f16.tobytes()),
    ("brain", "BF16", (2, 2), bf16.tobytes()),
    ("ids", "I64", (3,), np.array([0, -1, 2**62], dtype="<i8").tobytes()),
    ("bytes", "U8", (4,), bytes([0, 1, 127, 255])),
    ("mask", "BOOL", (2,), bytes([0, 1])),
    ("threshold", "F64", (), np.array(0.5, dtype="<f8").tobytes()),
    ("empty", "F32", (0, 4), b""),
    ("small", "I8", (2,), bytes([0x80, 0x7F])),
    ("u16", "U16", (1,), struct.pack("<H", 65535)),
    ("i16", "I16", (1,), struct.pack("<h", -32768)),
    ("u32", "U32", (1,), struct.pack("<I", 2**32 - 1)),
    ("i32", "I32", (1,), struct.pack("<i", -7)),
    ("u64", "U64", (1,), struct.pack("<Q", 2**64 - 1)),
]))
write("st_unpadded.safetensors", safetensors([("x", "F32", (2,), np.array([1.5, -1.5], dtype="<f4").tobytes())], pad=False))
write("st_empty.safetensors", safetensors([], metadata={}))


def npy(arr, version):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version)
    return buf.getvalue()


write("npy_f32_v1.npy", npy(np.array([[1.0, 2.0], [3.0, -4.5]], dtype="<f4"), (1, 0)))
write("npy_i64_v2.npy", npy(np.array([1, -2, 2**40], dtype="<i8"), (2, 0)))
write("npy_f16_v3.npy", npy(np.array([0.5, -0.0, 65504.0], dtype="<f2"), (3, 0)))
write("npy_u8_scalar_v1.npy", npy(np.array(7, dtype="|u1"), (1, 0)))
write("npy_bool_v1.npy", npy(np.array([True, False]), (1, 0)))
