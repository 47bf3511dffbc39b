"""Reads safetensors files as numpy memory maps and writes them from numpy arrays (shared by the numpy
peers and the input generators in bench/)."""
import json, os, struct
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


NAMES = {np.dtype(t): name for name, t in DTYPES.items()}


def write_header(f, header):
    """Writes the u64 length and the JSON header, padded with spaces so the data that follows starts
    8-aligned in the file; returns where the data starts."""
    h = json.dumps(header).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    f.write(struct.pack('<Q', len(h)))
    f.write(h)
    return 8 + len(h)


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` ({name: array, or a list of 1-d arrays stored one after another as one tensor})
    in their order, then `metadata` if any, through path + '.tmp' renamed into place."""
    def parts(v):
        return v if isinstance(v, list) else [v]

    header, off = {}, 0
    for k, v in tensors.items():
        n = sum(p.nbytes for p in parts(v))
        shape = [sum(len(p) for p in v)] if isinstance(v, list) else list(v.shape)
        header[k] = {'dtype': NAMES[parts(v)[0].dtype], 'shape': shape, 'data_offsets': [off, off + n]}
        off += n
    if metadata:
        header['__metadata__'] = metadata
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        write_header(f, header)
        for v in tensors.values():
            for p in parts(v):
                f.write(np.ascontiguousarray(p).tobytes())
    os.replace(tmp, path)
