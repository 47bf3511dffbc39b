"""Reads safetensors files as numpy memory maps (shared by the numpy peers in bench/)."""
import json, struct
import numpy as np

DTYPES = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64,
          'U32': np.uint32, 'U8': np.uint8}


def read_safetensors(path):
    """{name: read-only np.memmap} for every tensor (the metadata entry is skipped)."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        shape = tuple(v['shape'])
        out[k] = np.memmap(path, dtype=DTYPES[v['dtype']], mode='r', offset=8 + n + a, shape=shape) if b > a \
            else np.zeros(shape, DTYPES[v['dtype']])
    return out


def metadata(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        return json.loads(f.read(n)).get('__metadata__', {})
