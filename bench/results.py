#!/usr/bin/env python3
"""Benchmark results as JSON files (bench/run_all.sh and the bench/*/run.sh scripts; numpy only).

As a module: helpers that the run scripts' summary steps share.
As a command:
  results.py numpy-blas                 prints numpy's version and its OpenBLAS (version, core, threads)
  results.py machine OUT.json MODE CMD  records the machine, numpy's BLAS, the commit and the start time
  results.py finish OUT.json            adds the end time and the load average to the machine record
"""
import json, os, platform, subprocess, sys, time

RESULTS = os.environ.get('SAEX_BENCH_RESULTS') or os.path.join(os.environ.get('TMPDIR', '/tmp'), 'saex-bench-results')


def loadavg():
    return [float(x) for x in open('/proc/loadavg').read().split()[:3]]


def result_lines(path):
    """{name: value} of the `RESULT name value` lines in a file."""
    out = {}
    for line in open(path):
        p = line.split()
        if len(p) == 3 and p[0] == 'RESULT':
            out[p[1]] = float(p[2])
    return out


def json_line(path):
    """The last line of a file that is a JSON object (saex-bench prints one)."""
    last = None
    for line in open(path):
        if line.startswith('{'):
            last = json.loads(line)
    if last is None:
        raise SystemExit(f'{path}: no JSON line')
    return last


def max_rss_kib(time_v_path):
    """Maximum resident set size from a `/usr/bin/time -v` report."""
    for line in open(time_v_path):
        if 'Maximum resident' in line:
            return int(line.split(':')[1])
    return None


def write(name, obj):
    """Writes RESULTS/name.json with the load average at the time of writing added."""
    obj = dict(obj, load_after=loadavg(), written_at=time.time())
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, name + '.json')
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True)
    return path


def numpy_blas():
    import numpy
    info = {'numpy': numpy.__version__}
    try:
        from threadpoolctl import threadpool_info
        for i in threadpool_info():
            if i.get('internal_api') == 'openblas':
                info.update(openblas=i.get('version'), core=i.get('architecture'), threads=i.get('num_threads'))
                break
    except ImportError:
        pass
    return info


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine(out, mode, command):
    cpuinfo = open('/proc/cpuinfo').read().splitlines()
    model = next((l.split(':', 1)[1].strip() for l in cpuinfo if l.startswith('model name')), platform.processor())
    flags = next((l.split(':', 1)[1].split() for l in cpuinfo if l.startswith('flags')), [])
    mem = next((int(l.split()[1]) for l in open('/proc/meminfo') if l.startswith('MemTotal')), 0)
    os_name = next((l.split('=', 1)[1].strip().strip('"') for l in open('/etc/os-release') if l.startswith('PRETTY_NAME')), '')
    rec = {
        'mode': mode, 'command': command, 'date_start': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
        'commit': sh('git', 'rev-parse', '--short', 'HEAD'), 'branch': sh('git', 'rev-parse', '--abbrev-ref', 'HEAD'),
        'dirty': bool(sh('git', 'status', '--porcelain', '--untracked-files=no')),
        'cpu': model, 'nproc': os.cpu_count(), 'mem_gib': round(mem / 1048576, 1), 'os': os_name,
        'avx512f': 'avx512f' in flags, 'avx2': 'avx2' in flags,
        'swift': (sh('swift', '--version') or '').splitlines()[0] if sh('swift', '--version') else None,
        'python': platform.python_version(),
        'system_openblas': sh('dpkg-query', '-W', '-f=${Version}', 'libopenblas0-pthread'),
        'numpy_blas': numpy_blas(),
        'env_openblas_coretype': os.environ.get('OPENBLAS_CORETYPE'),
        'env_openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'load_start': loadavg(), 'start_epoch': time.time(),
    }
    with open(out, 'w') as f:
        json.dump(rec, f, indent=1, sort_keys=True)


def finish(out):
    rec = json.load(open(out))
    rec['date_end'] = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    rec['load_end'] = loadavg()
    rec['seconds'] = time.time() - rec['start_epoch']
    with open(out, 'w') as f:
        json.dump(rec, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else ''
    if what == 'numpy-blas':
        b = numpy_blas()
        print(f"numpy {b['numpy']}; its OpenBLAS {b.get('openblas')}, core {b.get('core')}, {b.get('threads')} threads")
    elif what == 'machine':
        machine(sys.argv[2], sys.argv[3], sys.argv[4])
    elif what == 'finish':
        finish(sys.argv[2])
    else:
        raise SystemExit(__doc__)
