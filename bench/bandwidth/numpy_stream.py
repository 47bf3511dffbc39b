#!/usr/bin/env python3
"""STREAM-style memory bandwidth in numpy (one thread: numpy's elementwise loops are single-threaded).
  numpy_stream.py [MIB] [REPEAT]     copy (np.copyto(b, a)) and add (np.add(a, b, out=c)) over float32
arrays of MIB MiB each (default 1024); best of REPEAT. Bytes as STREAM counts them: copy 2, add 3 per
element x 4 B. Prints one JSON object."""
import json, sys, time
import numpy as np

mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = mib << 18
a = np.ones(n, np.float32); b = np.full(n, 2, np.float32); c = np.full(n, 0, np.float32)  # written, so no page faults in the timed loops
copy = add = float('inf')
for _ in range(repeat):
    t = time.perf_counter(); np.copyto(b, a); copy = min(copy, time.perf_counter() - t)
    t = time.perf_counter(); np.add(a, b, out=c); add = min(add, time.perf_counter() - t)
print(json.dumps({'what': 'numpy-stream', 'mib_per_array': mib, 'repeats': repeat,
                  'copy_gbs': 2 * 4 * n / copy / 1e9, 'add_gbs': 3 * 4 * n / add / 1e9}))
