#!/usr/bin/env python3
"""Writes docs/PERFORMANCE.md from bench/run_all.sh's results and bench/PERFORMANCE.template.md.

  render_performance.py RESULTS_DIR OUT.md [--template PATH]

The template holds the prose; `{{name}}` placeholders are filled from the results (tables and single
figures; an unknown name is an error, so prose cannot drift from what is computed). Blocks
    <!-- reason: TARGET_ID --> ... <!-- /reason -->
explain why a target is behind; they are shown only for targets the numbers say are behind. A target
is "met" only when its figure was measured in this run and satisfies the target; a target behind
without a reason block says so. numpy only.
"""
import glob, json, math, os, re, sys

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'PERFORMANCE.template.md')


LAST = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'last')


def load_results(d):
    r = {}
    for p in glob.glob(os.path.join(d, '*.json')):
        with open(p) as f:
            r[os.path.basename(p)[:-5]] = json.load(f)
    # Figures of optional long steps (bench/run_all.sh --memory-1m) from the last run that made them,
    # marked as such, when this run did not.
    for p in glob.glob(os.path.join(LAST, '*.json')):
        k = os.path.basename(p)[:-5]
        if k not in r:
            with open(p) as f:
                r[k] = dict(json.load(f), from_earlier_run=True)
    return r


def runs(results, prefix, *fields):
    """The results whose name starts with `prefix` (one per size measured), sorted by `fields`."""
    return sorted((v for k, v in results.items() if k.startswith(prefix)), key=lambda r: tuple(r[f] for f in fields))


def runs_table(results, prefix, order, head, row, missing='(not measured)'):
    """A table with one row(r) for each of runs(results, prefix, *order), or `missing` when there is none."""
    rs = runs(results, prefix, *order)
    return table(head, [row(r) for r in rs]) if rs else missing


# ---------- formatting

def s_(x):  # seconds
    return '—' if x is None else (f'{x:.2f} s' if x >= 1 else f'{x * 1e3:.0f} ms' if x >= 0.1 else f'{x * 1e3:.1f} ms')


def ms(x):
    return '—' if x is None else f'{x:.2f} ms' if x < 10 else f'{x:.1f} ms'


def x_(v):
    return '—' if v is None or not math.isfinite(v) else f'{v:.2f}x'


def n_(v):
    return f'{v:,}'


def gib(kib):
    return '—' if kib is None else f'{kib / 1048576:.2f} GiB'


def load_str(l):
    return '—' if not l else ' / '.join(f'{v:.1f}' for v in l)


def table(head, rows):
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    out += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(out)


def growth(a, b):
    return f'x{b / a:.2f}' if a and b else '—'


# ---------- derived figures

class Cache:
    def __init__(self, r):
        self.r = r
        s, n = r['saex'], r['numpy']
        self.din, self.dsae, self.tokens, self.rows = r['d_in'], r['d_sae'], r['tokens'], r['rows']
        self.build, self.np_total = s['build_seconds'], n['total_seconds']
        self.enc = sum(s['encode_seconds'].values())
        self.sgemm = sum(s['bare_sgemm_seconds'].values())
        self.np_enc, self.np_dot = n['encode_seconds'], n['dot_seconds']
        flops = 2.0 * 2 * self.rows * self.din * self.dsae
        self.sgemm_gflops, self.np_gflops = flops / self.sgemm / 1e9, flops / self.np_dot / 1e9
        self.np_over_saex = self.np_total / self.build
        self.enc_over_sgemm = self.enc / self.sgemm
        self.enc_std = s['encode_seconds']['std'] / s['bare_sgemm_seconds']['std']
        self.enc_cos = s['encode_seconds']['cos'] / s['bare_sgemm_seconds']['cos']
        self.build_over_sgemm = self.build / self.sgemm
        self.np_enc_over_dot = self.np_enc / self.np_dot
        self.core = s['blas_core']
        self.np_core = (n.get('blas') or {}).get('core')
        self.nnz = sum(s['nonzeros'].values())


def fig(results):
    """All derived figures, keyed for the tables, the targets and the template."""
    plan = results.get('plan', {})
    bw = results.get('bandwidth')
    best_bw = bw['best_gbs'] if bw else None
    caches = {(c['d_in'], c['d_sae'], c['tokens']): Cache(c) for k, c in results.items() if k.startswith('cache_')}
    return plan, best_bw, caches


def mib(b):
    return '—' if b is None else f'{b / 2**20:,.0f} MiB'


def wide_result(results, plan):
    w = plan.get('wide') or []
    return results.get(f'wide_{w[0]}') if w else None


def exact_matching_seconds(r):
    return r['analysis_parts'].get('decoder matching', 0)


def approx_matching_seconds(r):
    return sum(v for k, v in r['analysis_parts'].items() if k.startswith('approximate matching'))


PART_ORDER = ['statistics', 'loading decoders', 'decoder matching', 'approximate matching: centroids', 'approximate matching: placing rows',
              'approximate matching: products', 'activation correlation', 'match lists', 'writing', 'other']


def parts_table(columns):
    """columns: [(heading, parts dict, total seconds)] -> a table of each part's seconds and share."""
    names = [n for n in PART_ORDER if any(n in p for _, p, _ in columns)]
    names += sorted({n for _, p, _ in columns for n in p} - set(names))
    rows = []
    for n in names:
        rows.append([n] + [f"{s_(p[n])} ({100 * p[n] / tot:.0f}%)" if n in p and tot > 0 else '—' for _, p, tot in columns])
    rows.append(['**total**'] + [f'**{s_(tot)}**' for _, _, tot in columns])
    return table(['part'] + [h for h, _, _ in columns], rows)


# ---------- targets

class Target:
    def __init__(self, tid, what, target, measured=None, ok=None, at_size=True, peer='', limit='', note=''):
        self.tid, self.what, self.target, self.measured, self.ok, self.at_size = tid, what, target, measured, ok, at_size
        self.peer, self.limit, self.note = peer, limit, note

    also_behind = ''  # set when the same target is missed at other sizes in the same run

    @property
    def status(self):
        if self.ok is None:
            return 'not measured'
        st = ('met' + self.also_behind) if self.ok else '**behind**'
        return st if self.at_size else st + ' (quick sizes, not the target\'s)'


def targets(results, plan, best_bw, caches):
    t = []
    full = plan.get('mode') == 'full'
    tok, dsae = plan.get('tokens'), plan.get('d_sae')
    for din in plan.get('d_ins', []):
        c = caches.get((din, dsae, tok))
        at = full and tok == 100000 and dsae == 16384
        if c:
            t.append(Target(f'cache_build_{din}', f'cache build, d_in {din:,}, {c.rows:,} tokens, d_sae {dsae:,}, 2 dictionaries',
                            'saex at least as fast as numpy (numpy / saex >= 1)', f'{s_(c.build)} (numpy / saex {x_(c.np_over_saex)})',
                            c.np_over_saex >= 1, at, peer=s_(c.np_total), limit=f'bare sgemm {s_(c.sgemm)}'))
            t.append(Target(f'encode_{din}', f'encode, d_in {din:,}, both dictionaries', 'encode <= 1.25x bare sgemm of its shapes',
                            f'{s_(c.enc)} ({x_(c.enc_over_sgemm)} sgemm)', c.enc_over_sgemm <= 1.25, at,
                            peer=f'{s_(c.np_enc)} ({x_(c.np_enc_over_dot)} np.dot)', limit=f'Swift sgemm {s_(c.sgemm)}, np.dot {s_(c.np_dot)}'))
        else:
            t.append(Target(f'cache_build_{din}', f'cache build, d_in {din:,}', 'numpy / saex >= 1'))
            t.append(Target(f'encode_{din}', f'encode, d_in {din:,}', 'encode <= 1.25x bare sgemm'))
    for din in plan.get('d_ins', []):
        c = caches.get((din, dsae, tok))
        a = c.r['saex'].get('refresh_seconds', -1) if c else -1
        if c and a >= 0:
            t.append(Target(f'analysis_{din}', f'analysis after the build, d_in {din:,}, {c.rows:,} tokens, 2 x {dsae:,} features',
                            'analysis <= 0.5x the build', f'{s_(a)} ({x_(a / c.build)} of the build)', a <= 0.5 * c.build,
                            full and tok == 100000 and dsae == 16384, peer='n/a', limit=f'build {s_(c.build)}'))
        else:
            t.append(Target(f'analysis_{din}', f'analysis after the build, d_in {din:,}', 'analysis <= 0.5x the build'))
    wide = wide_result(results, plan)
    if wide:
        r = wide['recall']['recall']
        worst = min(r.values(), key=lambda v: v['top1'])
        ex, ap = wide['exact'], wide['approximate']
        dm_ex, dm_ap = exact_matching_seconds(ex), approx_matching_seconds(ap)
        t.append(Target('approx_recall', f"approximate matching, {wide['d_sae']:,} x {wide['d_in']:,} pair: recall of the exact top-1 (worst list)",
                        '>= 0.95', f"{worst['top1']:.3f} (top-5 {min(v['top5'] for v in r.values()):.3f}); matching {x_(dm_ex / dm_ap)} faster",
                        worst['top1'] >= 0.95, full and wide['d_sae'] >= 65536, peer='numpy checks the exact lists',
                        limit=f'exact matching {s_(dm_ex)}'))
    else:
        t.append(Target('approx_recall', 'approximate matching, 65,536 x 2,304 pair: recall of the exact top-1', '>= 0.95'))
    mil = results.get('million')
    if mil:
        u, at = mil['ui'], full and mil['d_sae'] >= 1048576
        what = f"{mil['d_sae']:,} features"
        mapped = mil['cache_bytes'] + mil['analysis_bytes']
        rss = mil['ui_max_rss_kib'] * 1024 if mil['ui_max_rss_kib'] else None
        t.append(Target('million_open', f'open-to-first-frame, real cache of 2 x {what}', '<= 0.3 s', ms(u['open_to_first_frame_ms']),
                        u['open_to_first_frame_ms'] <= 300, at, peer='n/a', limit='n/a'))
        t.append(Target('million_key', f'keystroke-to-frame p99, real cache of 2 x {what}', '<= 10 ms', ms(u['key_p99_ms']),
                        u['key_p99_ms'] <= 10, at, peer='n/a', limit='n/a'))
        t.append(Target('million_sort', f'first sort, real cache of 2 x {what}', '<= 0.3 s', ms(u['first_sort_ms']),
                        u['first_sort_ms'] <= 300, at, peer='n/a', limit='n/a'))
        t.append(Target('million_memory', f'explorer max RSS, real cache of 2 x {what}', '<= mapped files + 300 MB',
                        f"{mib(rss)} (files {mib(mapped)})" if rss else '—', rss is not None and rss <= mapped + 300e6, at,
                        peer='n/a', limit=f'files {mib(mapped)}'))
    else:
        for tid, what, tgt in (('million_open', 'open-to-first-frame, real cache of 2 x 1,048,576 features', '<= 0.3 s'),
                               ('million_key', 'keystroke-to-frame p99, real cache of 2 x 1,048,576 features', '<= 10 ms'),
                               ('million_sort', 'first sort, real cache of 2 x 1,048,576 features', '<= 0.3 s'),
                               ('million_memory', 'explorer max RSS, real cache of 2 x 1,048,576 features', '<= mapped files + 300 MB')):
            t.append(Target(tid, what + ' (bench/run_all.sh --million)', tgt))
    od, oc = results.get('open_dict'), results.get('open_cache')
    if od:
        v = od['saex']['seconds_min']
        lim = od['bytes_read'] / (best_bw * 1e9) if best_bw else None
        t.append(Target('dict_open', f"dictionary open, {od['saex']['d_sae']:,} x {od['saex']['d_in']:,} F32",
                        'well under 100 ms (counted as met below 50 ms)', s_(v) + (' (under 100 ms, not well under)' if 0.05 <= v < 0.1 else ''), v < 0.05, od['saex']['d_sae'] == 16384 and od['saex']['d_in'] == 2304, peer=s_(od['numpy']['seconds_min']),
                        limit=f'{s_(lim)} (bandwidth)' if lim else ''))
    else:
        t.append(Target('dict_open', 'dictionary open, 16,384 x 2,304 F32', '< 100 ms'))
    if oc:
        v = oc['saex']['open_seconds_min']
        lim = oc['bytes_read'] / (best_bw * 1e9) if best_bw else None
        feats = oc['saex']['features']
        t.append(Target('cache_open', f"cache open, {len(feats)} x {feats[0]:,} features, {oc['saex']['rows']:,} tokens", '< 100 ms for 16,384 features',
                        s_(v), v < 0.1, feats and feats[0] >= 16384, peer=s_(oc['numpy']['seconds_min']), limit=f'{s_(lim)} (bandwidth)' if lim else ''))
    else:
        t.append(Target('cache_open', 'cache open, 16,384 features', '< 100 ms'))
    us, ud = results.get('ui_synthetic'), results.get('ui_demo')
    if us:
        t.append(Target('ui_key_p99', f"keystroke-to-frame p99, {us['features']:,} features", '<= 10 ms', ms(us['key_p99_ms']),
                        us['key_p99_ms'] <= 10, us['features'] >= 131072 and full, peer='n/a', limit='n/a'))
    else:
        t.append(Target('ui_key_p99', 'keystroke-to-frame p99, 131,072 features', '<= 10 ms'))
    if ud and ud['runs']:
        worst = max(r['open_to_first_frame_ms'] for r in ud['runs'])
        t.append(Target('ui_open_demo', f"open-to-first-frame, demo (worst of {len(ud['runs'])})", '<= 0.3 s', ms(worst), worst <= 300, True,
                        peer='n/a', limit='n/a'))
    else:
        t.append(Target('ui_open_demo', 'open-to-first-frame, demo', '<= 0.3 s'))
    up = results.get('ui_pairs')
    if up and up['runs']:
        rr = up['runs']
        size = f"{rr[0]['features_a']:,} x {rr[0]['features_b']:,} features"
        at = full and rr[0]['features_a'] >= 16384
        first = max(r['pairs_first_build_ms'] for r in rr)
        t.append(Target('ui_pairs_first', f"pairs screen, first build of the table, {size} (worst of {len(rr)})", '<= 1 s', ms(first),
                        first <= 1000, at, peer='n/a', limit='n/a'))
        p99 = max(r['key_p99_ms'] for r in rr)
        t.append(Target('ui_pairs_key_p99', f"pairs screen, keystroke-to-frame p99, {size} (worst of {len(rr)})", '<= 10 ms', ms(p99),
                        p99 <= 10, at, peer='n/a', limit='n/a'))
    else:
        t.append(Target('ui_pairs_first', 'pairs screen, first build of the table, 16,384 x 16,384 features', '<= 1 s'))
        t.append(Target('ui_pairs_key_p99', 'pairs screen, keystroke-to-frame p99, 16,384 x 16,384 features', '<= 10 ms'))
    stats = runs(results, 'stats_', 'tokens')
    if stats:
        r = stats[-1]
        best = min(r['swift_seconds_1t'], r['swift_seconds_all'])
        t.append(Target('stats', f"per-feature statistics, {r['tokens']:,} tokens x {r['features']:,} features", 'numpy / Swift >= 5x',
                        f"{s_(best)} (numpy / Swift {x_(r['numpy_seconds'] / best)})", r['numpy_seconds'] / best >= 5,
                        r['tokens'] >= 1000000 and r['features'] >= 16384, peer=s_(r['numpy_seconds']),
                        limit=f"{s_(r['input_bytes'] / (best_bw * 1e9))} (bandwidth)" if best_bw else ''))
    else:
        t.append(Target('stats', 'per-feature statistics, 1,000,000 tokens x 16,384 features', 'numpy / Swift >= 5x'))
    match = runs(results, 'match_', 'rows')
    if match:
        r = match[-1]
        q = r['swift_match_seconds'] / r['swift_sgemm_seconds']
        t.append(Target('match', f"decoder matching {r['rows']:,} x {r['rows']:,} x {r['dim']:,}", '<= 1.2x bare sgemm', f"{s_(r['swift_match_seconds'])} ({x_(q)} sgemm)",
                        q <= 1.2, r['rows'] >= 16384, peer=f"np.dot {s_(r['numpy_dot_seconds'])}", limit=f"Swift sgemm {s_(r['swift_sgemm_seconds'])}"))
    else:
        t.append(Target('match', 'decoder matching 16,384 x 16,384 x 2,304', '<= 1.2x bare sgemm'))
    mem = runs(results, 'memory_', 'tokens')
    if len(mem) >= 2:
        a, b = mem[0], mem[-1]
        g = b['saex']['max_rss_kib'] / a['saex']['max_rss_kib']
        early = ' (the larger point from an earlier run)' if b.get('from_earlier_run') else ''
        t.append(Target('cache_memory', f"cache build max RSS, {a['rows']:,} to {b['rows']:,} tokens, d_in {a['d_in']}, 2 x {a['d_sae']:,}",
                        'growth <= 1.2x and under 3 GiB', f"{gib(a['saex']['max_rss_kib'])} to {gib(b['saex']['max_rss_kib'])} ({x_(g)}){early}",
                        g <= 1.2 and b['saex']['max_rss_kib'] < 3 * 1048576, full and a['tokens'] <= 100000 and b['tokens'] >= 1000000,
                        peer=(f"{gib(a['numpy']['max_rss_kib'])} to {gib(b['numpy']['max_rss_kib'])}" if a.get('numpy') and b.get('numpy') else '—'),
                        limit='n/a'))
    else:
        t.append(Target('cache_memory', 'cache build max RSS, 100k to 1M tokens', 'growth <= 1.2x and under 3 GiB'))
    feats = runs(results, 'features_', 'tokens')
    if feats:
        r = feats[-1]
        q = (r['saex']['open_seconds'] + r['saex']['build_seconds']) / r['encode_build_seconds']
        t.append(Target('feature_acts', f"--feature-acts build, {r['rows']:,} tokens x 2 x {r['d_sae']:,}", '<= 0.2x the encoding build',
                        f"{s_(r['saex']['open_seconds'] + r['saex']['build_seconds'])} ({x_(q)} of {s_(r['encode_build_seconds'])})", q <= 0.2,
                        full and r['tokens'] >= 100000 and r['d_sae'] >= 16384, peer=s_(r['numpy']['build_seconds']), limit='n/a'))
    else:
        t.append(Target('feature_acts', '--feature-acts build, 100,000 tokens x 2 x 16,384', '<= 0.2x the encoding build'))
    logits = runs(results, 'logits_', 'd_sae', 'd_vocab')
    if logits:
        r = logits[-1]
        s, n = r['saex'], r['numpy']
        q = n['logits_seconds'] / s['compute_seconds']
        t.append(Target('logits', f"logit effects, {r['d_sae']:,} features x {r['d_vocab']:,} tokens, d_model {r['d_model']:,}",
                        'saex at least as fast as numpy (numpy / saex >= 1)',
                        f"{s_(s['compute_seconds'])} (numpy / saex {x_(q)}; "
                        f"{x_(s['compute_seconds'] / s['bare_sgemm_seconds'])} bare sgemm)", q >= 1,
                        full and r['d_sae'] >= 16384 and r['d_vocab'] >= 50257, peer=s_(n['logits_seconds']),
                        limit=f"bare sgemm {s_(s['bare_sgemm_seconds'])}, np.dot {s_(n['dot_seconds'])}"))
    else:
        t.append(Target('logits', 'logit effects, 16,384 features x 50,257 tokens, d_model 768', 'numpy / saex >= 1'))
    # Every scaling point is held to the headline targets too.
    scaling = [c for c in caches.values() if (c.tokens, c.dsae) != (tok, dsae)]
    for h in t:
        for kind, miss in (('cache_build_', lambda c: c.np_over_saex < 1), ('encode_', lambda c: c.enc_over_sgemm > 1.25)):
            if h.tid.startswith(kind) and h.ok:
                same = [c for c in scaling if f'{kind}{c.din}' == h.tid]
                bad = [c for c in same if miss(c)]
                if bad:
                    h.also_behind = f'; **behind at {len(bad)} of {len(same)} scaling points** (below)'
    for key, c in sorted(caches.items()):
        if (c.tokens, c.dsae) == (tok, dsae):
            continue
        if c.np_over_saex < 1:
            t.append(Target('cache_build_scaling', f'cache build, d_in {c.din}, d_sae {c.dsae:,}, {c.rows:,} tokens', 'numpy / saex >= 1',
                            f'{s_(c.build)} (numpy / saex {x_(c.np_over_saex)})', False, full, peer=s_(c.np_total), limit=f'bare sgemm {s_(c.sgemm)}'))
        if c.enc_over_sgemm > 1.25:
            t.append(Target('encode_scaling', f'encode, d_in {c.din}, d_sae {c.dsae:,}, {c.rows:,} tokens', 'encode <= 1.25x bare sgemm',
                            f'{s_(c.enc)} ({x_(c.enc_over_sgemm)} sgemm)', False, full, peer=f'{s_(c.np_enc)}', limit=f'Swift sgemm {s_(c.sgemm)}'))
    return t


# ---------- sections

def machine_section(results):
    m = results.get('machine', {})
    nb = m.get('numpy_blas', {})
    core = results.get('swift_blas', {}).get('blas_core', '?')
    rows = [
        ('CPU', f"{m.get('cpu')}, {m.get('nproc')} cores{' (AVX-512)' if m.get('avx512f') else ' (AVX2)' if m.get('avx2') else ''}, {m.get('mem_gib')} GiB"),
        ('OS, toolchains', f"{m.get('os')}; {m.get('swift')}; Python {m.get('python')}, numpy {nb.get('numpy')}"),
        ('OpenBLAS used by saex (Swift)', f"Debian's libopenblas0-pthread {m.get('system_openblas')}, core **{core}** (BLASRuntime's choice)"),
        ('OpenBLAS used by numpy', f"numpy's bundled {nb.get('openblas')}, core **{nb.get('core')}**, {nb.get('threads')} threads"),
        ('environment', f"OPENBLAS_CORETYPE={m.get('env_openblas_coretype') or 'unset'}, OPENBLAS_NUM_THREADS={m.get('env_openblas_num_threads') or 'unset'} "
                        '(numpy peers run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)'),
        ('load average (1/5/15 min)', f"{load_str(m.get('load_start'))} at the start, {load_str(m.get('load_end'))} at the end; each section gives its own"),
    ]
    return table(['', ''], rows)


def run_section(results):
    m = results.get('machine', {})
    dur = m.get('seconds')
    text = (f"This document: `{m.get('command')}` ({m.get('mode')} run), commit `{m.get('commit')}`"
            f"{' with uncommitted changes' if m.get('dirty') else ''} on `{m.get('branch')}`, "
            f"{m.get('date_start')} to {m.get('date_end')}" + (f", {dur / 60:.0f} minutes." if dur else '.'))
    # Results a single benchmark script wrote into the same folder after the whole run ended.
    end = m.get('start_epoch', 0) + (dur or 0)
    later = sorted((r['written_at'], k) for k, r in results.items() if dur and r.get('written_at', 0) > end)
    if later:
        import time
        text += (' Re-run afterwards by their own scripts into the same results, on the same machine: ' +
                 ', '.join(f"`{k}` ({time.strftime('%H:%M UTC', time.gmtime(w))})" for w, k in later) + '; see the section concerned.')
        if m.get('rerun_commit'):  # set by hand in machine.json when the re-runs ran newer code
            text += f" The re-runs ran commit `{m['rerun_commit']}`."
    return text


def cache_tables(plan, caches, best_bw):
    out = []
    for din in plan.get('d_ins', []):
        c = caches.get((din, plan['d_sae'], plan['tokens']))
        if not c:
            out.append(f'(d_in {din}: not measured)')
            continue
        r = c.r
        out.append(f"**d_in {din:,}**, d_sae {c.dsae:,}, {c.rows:,} tokens, a standard and a cosine dictionary "
                   f"({n_(c.nnz)} nonzeros; load average {load_str(r['load_before'])} before, {load_str(r['load_after'])} after):\n")
        out.append(table(['', 'saex', 'numpy peer', 'limit', 'ratio'], [
            ('cache build', s_(c.build), s_(c.np_total), f'bare sgemm {s_(c.sgemm)} (Swift)',
             f'numpy / saex **{x_(c.np_over_saex)}**; saex / sgemm {x_(c.build_over_sgemm)}'),
            ('encode, both dictionaries', f'{s_(c.enc)} (standard {x_(c.enc_std)}, cosine {x_(c.enc_cos)} of their sgemm)',
             f'{s_(c.np_enc)} (with nonzero collection)', f'sgemm {s_(c.sgemm)} (Swift), {s_(c.np_dot)} (np.dot)',
             f'saex / sgemm **{x_(c.enc_over_sgemm)}**; numpy / np.dot {x_(c.np_enc_over_dot)}'),
            ('bare sgemm, same shapes', f'{s_(c.sgemm)} ({c.sgemm_gflops:.0f} GFLOP/s, {c.core})', f'np.dot {s_(c.np_dot)} ({c.np_gflops:.0f} GFLOP/s, {c.np_core})',
             '', f'Swift / numpy time {x_(c.sgemm / c.np_dot)}'),
            ('max RSS', gib(r['saex']['max_rss_kib']), gib(r['numpy']['max_rss_kib']), '', ''),
            ('cache file', f"{r['cache_bytes'] / 1e6:,.0f} MB", 'writes none', '', ''),
        ]))
        out.append(f"\n{r['agreement']['text'].replace('agreement:', 'Agreement with numpy:')}" + ('' if r['agreement']['ok'] else ' **(disagreement)**') + '\n')
    return '\n'.join(out)


def scaling_table(items, key_name, key):
    items = sorted(items, key=key)
    if not items:
        return '(not measured)'
    rows = []
    for c in items:
        rows.append((n_(key(c)), s_(c.build), s_(c.np_total), x_(c.np_over_saex), s_(c.enc), f'{s_(c.sgemm)} ({c.sgemm_gflops:.0f})',
                     f'{s_(c.np_dot)} ({c.np_gflops:.0f})', x_(c.enc_over_sgemm), f'{c.build / c.rows * 1e6:.0f} µs',
                     load_str(c.r['load_before'][:1])))
    a, b = items[0], items[-1]
    rows.append((f'growth {n_(key(a))} → {n_(key(b))} (x{key(b) / key(a):.0f})', growth(a.build, b.build), growth(a.np_total, b.np_total), '',
                 growth(a.enc, b.enc), growth(a.sgemm, b.sgemm), growth(a.np_dot, b.np_dot), '', '', ''))
    out = table([key_name, 'saex build', 'numpy', 'numpy / saex', 'saex encode', 'Swift sgemm (GFLOP/s)', 'np.dot (GFLOP/s)',
                 'encode / sgemm', 'saex build per token', 'load'], rows)
    speeds = [c.sgemm_gflops for c in items]
    if max(speeds) > 1.25 * min(speeds):
        out += (f'\n\n**These points ran under different loads**: the same sgemm ran at {min(speeds):.0f} to {max(speeds):.0f} GFLOP/s '
                'across them, so the growth row mixes load with size. The ratios within a row (numpy / saex, encode / sgemm) '
                'were measured at one load and compare across rows.')
    return out


def open_table(results, best_bw):
    rows = []
    for kind, label in [('dict', 'dictionary'), ('cache', 'cache')]:
        r = results.get(f'open_{kind}')
        if not r:
            rows.append((label, 'not measured', '', '', '', ''))
            continue
        s = r['saex']
        v = s['seconds_min'] if kind == 'dict' else s['open_seconds_min']
        what = (f"{s['d_sae']:,} x {s['d_in']:,} F32, standard" if kind == 'dict'
                else f"{len(s['features'])} x {s['features'][0]:,} features, {s['rows']:,} tokens, {n_(s['nonzeros'])} nonzeros")
        lim = r['bytes_read'] / (best_bw * 1e9) if best_bw else None
        rows.append((f'{label}: {what}', s_(v), s_(r['numpy']['seconds_min']), f"{r['bytes_read'] / 1e6:,.0f} MB in {s_(lim)}",
                     f"saex / limit {x_(v / lim) if lim else '—'}; numpy / saex {x_(r['numpy']['seconds_min'] / v)}", load_str(r['load_before'][:1])))
    return table(['open (warm page cache, min of 5)', 'saex', 'numpy peer', 'limit: bytes checked at memory bandwidth', 'ratio', 'load'], rows)


def bandwidth_table(results):
    b = results.get('bandwidth')
    if not b:
        return '(not measured)'
    s, p = b['swift'], b['numpy']
    return table(['', 'copy', 'triad / add'], [
        ('Swift, 1 thread (`saex-bench stream`)', f"{s['copy_gbs_1t']:.1f} GB/s", f"{s['triad_gbs_1t']:.1f} GB/s"),
        (f"Swift, {s['threads_all']} threads", f"{s['copy_gbs_all']:.1f} GB/s", f"{s['triad_gbs_all']:.1f} GB/s"),
        ('numpy, 1 thread (`np.copyto`, `np.add`)', f"{p['copy_gbs']:.1f} GB/s", f"{p['add_gbs']:.1f} GB/s"),
    ]) + f"\n\nArrays of {s['mib_per_array']:,} MiB each, best of {s['repeats']}; load average {load_str(b['load_before'])} before. " \
         f"The limit used below is the best of these, **{b['best_gbs']:.1f} GB/s**."


def stats_table(results, best_bw):
    st = runs(results, 'stats_', 'tokens')
    if not st:
        return '(not measured)'
    rows = []
    for r in st:
        best = min(r['swift_seconds_1t'], r['swift_seconds_all'])
        lim = r['input_bytes'] / (best_bw * 1e9) if best_bw else None
        rows.append((n_(r['tokens']), f"{r['input_bytes'] / 1e6:,.0f} MB", s_(r['swift_seconds_1t']), s_(r['swift_seconds_all']), s_(r['numpy_seconds']),
                     f"**{x_(r['numpy_seconds'] / best)}**", s_(lim), x_(best / lim) if lim else '—',
                     'yes' if r['agreement']['ok'] else '**no**', load_str(r['load_before'][:1])))
    a, b = st[0], st[-1]
    rows.append((f"growth (x{b['tokens'] / a['tokens']:.0f})", '', growth(a['swift_seconds_1t'], b['swift_seconds_1t']),
                 growth(a['swift_seconds_all'], b['swift_seconds_all']), growth(a['numpy_seconds'], b['numpy_seconds']), '', '', '', '', ''))
    return table(['tokens', 'input', 'Swift 1 thread', 'Swift all threads', 'numpy', 'numpy / Swift (best)', 'limit: input at bandwidth',
                  'Swift / limit', 'agree', 'load'], rows) + f"\n\nAgreement with numpy ({n_(b['tokens'])} tokens): {b['agreement']['text'].replace('agreement: ', '')}"


def match_table(results):
    def row(r):
        fl = 2.0 * r['rows'] ** 2 * r['dim']
        return (f"{n_(r['rows'])} x {n_(r['rows'])} x {n_(r['dim'])}", s_(r['swift_match_seconds']),
                f"{s_(r['swift_sgemm_seconds'])} ({fl / r['swift_sgemm_seconds'] / 1e9:.0f}, {r.get('blas_core') or 'core not recorded'})", f"{s_(r['numpy_dot_seconds'])} ({fl / r['numpy_dot_seconds'] / 1e9:.0f})",
                f"**{x_(r['swift_match_seconds'] / r['swift_sgemm_seconds'])}**", x_(r['swift_match_seconds'] / r['numpy_dot_seconds']),
                load_str(r['load_before'][:1]))
    return runs_table(results, 'match_', ['rows'], ['shape', 'Swift matching, top-5 both ways', 'Swift bare sgemm (GFLOP/s)',
                      'numpy np.dot (GFLOP/s)', 'matching / Swift sgemm', 'matching / np.dot', 'load'], row)


def corr_table(results):
    def row(r):
        return (n_(r['tokens']), n_(r['features']), s_(r['swift_seconds']), s_(r['numpy_seconds']), f"**{x_(r['numpy_seconds'] / r['swift_seconds'])}**",
                r['agreement']['text'] + ('' if r['agreement']['ok'] else ' **(disagreement)**'), load_str(r['load_before'][:1]))
    return runs_table(results, 'correlate_', ['tokens'], ['tokens', 'features', 'Swift', 'numpy/scipy', 'numpy / Swift', 'agreement', 'load'], row)


def ui_table(results):
    us, ud = results.get('ui_synthetic'), results.get('ui_demo')
    rows = []
    if us:
        f = f"{us['features']:,} synthetic features, {us['keys']:,} keys"
        rows += [(f'{f}: keystroke-to-frame p50 / p99 / max, wall', f"{ms(us['key_p50_ms'])} / **{ms(us['key_p99_ms'])}** / {ms(us['key_max_ms'])}"),
                 (f'{f}: the same, thread CPU', f"{ms(us['key_cpu_p50_ms'])} / {ms(us['key_cpu_p99_ms'])} / {ms(us['key_cpu_max_ms'])}"),
                 (f'{f}: open-to-first-frame', ms(us['open_to_first_frame_ms'])),
                 (f'{f}: first sort (worker thread) / re-sort', f"{ms(us['first_sort_ms'])} / {ms(us['resort_ms'])}")]
    if ud and ud['runs']:
        rr = ud['runs']
        rows += [(f"demo cache, {len(rr)} run(s): open-to-first-frame", ', '.join(ms(r['open_to_first_frame_ms']) for r in rr)),
                 (f"demo cache: keystroke-to-frame p50 / p99 (per run)", ', '.join(f"{ms(r['key_p50_ms'])} / {ms(r['key_p99_ms'])}" for r in rr))]
    if not rows:
        return '(not measured)'
    load = load_str((us or ud)['load_before'])
    return table(['measure', 'figure'], rows) + f'\n\nLoad average {load} before.'


def ui_pairs_table(results):
    up = results.get('ui_pairs')
    if not up or not up['runs']:
        return '(not measured)'
    rr = up['runs']
    per = lambda f: ', '.join(f(r) for r in rr)
    rows = [('first build of the pairs table (worker thread)', per(lambda r: ms(r['pairs_first_build_ms']))),
            ('rebuild after switching the ranking', per(lambda r: ms(r['pairs_rebuild_ms']))),
            (f"keystroke-to-frame on the pairs screen, p50 / p99 / max ({rr[0]['keys']:,} keys)",
             per(lambda r: f"{ms(r['key_p50_ms'])} / **{ms(r['key_p99_ms'])}** / {ms(r['key_max_ms'])}")),
            (f"a pair opened in compare with its shared evidence, p50 / p99 ({rr[0]['open_pair_count']} pairs)",
             per(lambda r: f"{ms(r['open_pair_p50_ms'])} / {ms(r['open_pair_p99_ms'])}")),
            ('open-to-first-frame (cache and analysis)', per(lambda r: ms(r['open_to_first_frame_ms'])))]
    return (f"{rr[0]['features_a']:,} x {rr[0]['features_b']:,} features, {len(rr)} runs (one figure per run):\n\n"
            + table(['measure', 'figures'], rows) + f"\n\nLoad average {load_str(up['load_before'])} before.")


def analysis_parts_section(plan, caches):
    cols = []
    for din in plan.get('d_ins', []):
        c = caches.get((din, plan['d_sae'], plan['tokens']))
        if c and c.r['saex'].get('refresh_seconds', -1) >= 0:
            est = c.r['saex'].get('estimated_analysis_seconds', -1)
            cols.append((f"d_in {din:,} (build {s_(c.build)}; estimate printed {s_(est) if est >= 0 else '—'})",
                         c.r['saex'].get('analysis_parts', {}), c.r['saex']['refresh_seconds']))
    return parts_table(cols) if cols else '(not measured)'


def wide_section(results, plan, best_bw):
    w = wide_result(results, plan)
    if not w:
        return '(not measured)'
    b, ex, ap, rc = w['build'], w['exact'], w['approximate'], w['recall']
    dm_ex, dm_ap = exact_matching_seconds(ex), approx_matching_seconds(ap)
    head = (f"A standard and a cosine dictionary of **{w['d_sae']:,} features at d_in {w['d_in']:,}**, with structured decoders "
            f"(`make_synthetic.py --structure families`), {b['rows']:,} tokens; load average {load_str(w['load_before'])} before, "
            f"{load_str(w['load_after'])} after.\n\n")
    fl_exact = (w['d_sae'] ** 2) * w['d_in'] * 2.0 * 2  # two neighbour triangles (F^2 d each) and the pair (2 F^2 d)
    sg = ex.get('sgemm_gflops', -1)
    build = table(['', 'saex', 'numpy peer', 'limit', 'ratio'], [
        ('cache build (encode, CSC, contexts, write)', s_(b['build_seconds']), s_(w['numpy_build_seconds']), '',
         f"numpy / saex **{x_(w['numpy_build_seconds'] / b['build_seconds'])}**"),
        ('max RSS of the build', gib(w['build_max_rss_kib']), gib(w['numpy_max_rss_kib']), '', ''),
        ('decoder matching, exact (all pairs)', s_(dm_ex), f"np.dot of the same products {s_(rc['numpy_products_seconds_scaled'])} "
         f"(timed on {rc['numpy_sample_rows']:,} rows, scaled)", f"sgemm {s_(fl_exact / (sg * 1e9)) if sg > 0 else '—'} at the plan's "
         f"{sg:.0f} GFLOP/s" if sg > 0 else '', f"estimate printed {s_(ex['estimated_exact_matching_seconds'])}"),
        ('decoder matching, approximate', s_(dm_ap), '', '', f"**{x_(dm_ex / dm_ap)} faster**; estimate printed "
         f"{s_(ap['estimated_approximate_matching_seconds'])}"),
        ('whole analysis, exact / approximate', f"{s_(ex['analysis_seconds'])} / {s_(ap['analysis_seconds'])}", '', '',
         f"{x_(ex['analysis_seconds'] / b['build_seconds'])} / {x_(ap['analysis_seconds'] / b['build_seconds'])} of the build"),
        ('cache open (min of 5)', s_(w['open']['open_seconds_min']), s_(w['numpy_open']['seconds_min']),
         f"{w['numpy_open']['bytes_read'] / 1e6:,.0f} MB at bandwidth {s_(w['numpy_open']['bytes_read'] / (best_bw * 1e9)) if best_bw else '—'}",
         f"numpy / saex {x_(w['numpy_open']['seconds_min'] / w['open']['open_seconds_min'])}"),
        ('explorer: open-to-first-frame (cache and analysis)', ms(w['ui']['open_to_first_frame_ms']), 'n/a', 'n/a', ''),
        ('explorer: keystroke-to-frame p50 / p99 (wall), p99 thread CPU', f"{ms(w['ui']['key_p50_ms'])} / **{ms(w['ui']['key_p99_ms'])}**, "
         f"{ms(w['ui']['key_cpu_p99_ms'])}", 'n/a', 'n/a', ''),
        ('explorer: first sort / re-sort', f"{ms(w['ui']['first_sort_ms'])} / {ms(w['ui']['resort_ms'])}", 'n/a', 'n/a', ''),
        ('explorer: max RSS, files it maps', f"{gib(w['ui_max_rss_kib'])}, cache {w['cache_bytes'] / 1e6:,.0f} MB + analysis "
         f"{w['analysis_bytes'] / 1e6:,.0f} MB", '', '', ''),
    ])
    names = {'neighbours_a': 'neighbours, standard', 'neighbours_b': 'neighbours, cosine', 'a_to_b': 'standard → cosine',
             'b_to_a': 'cosine → standard'}
    recall = table(['lists', 'top-1 recall', 'top-5 recall'], [(names[k], f"{v['top1']:.3f}", f"{v['top5']:.3f}")
                                                               for k, v in rc['recall'].items()])
    n_bad = rc['numpy_disagreements']
    verdict = "its top-5 equals saex's exact lists for all of them" if n_bad == 0 else f'**{n_bad} disagree**'
    agree = (f"numpy recomputed the cosines of {rc['numpy_sample_rows']:,} random standard features with every feature of both "
             f"dictionaries: {verdict}.")
    parts = parts_table([('exact (forced)', ex['analysis_parts'], ex['analysis_seconds']),
                         ('approximate (forced)', ap['analysis_parts'], ap['analysis_seconds'])])
    return head + build + '\n\nRecall of the exact lists by the approximate ones (saex\'s two analysis files compared by `bench/wide/recall.py`):\n\n' + \
        recall + '\n\n' + agree + '\n\nThe analysis part by part:\n\n' + parts


def million_section(results):
    m = results.get('million')
    if not m:
        return 'Not measured in this run (`bench/run_all.sh --million`).'
    u, a = m['ui'], m['analysis']
    mapped = m['cache_bytes'] + m['analysis_bytes']
    rows = [
        ('`saex cache build` (encode with both dictionaries, then the analysis)', f"{s_(m['build_seconds'])}, max RSS {gib(m['build_max_rss_kib'])}"),
        ('what it printed before the analysis', m['plan'] or '—'),
        ('the analysis again (`saex-bench analysis-refresh`)', f"{s_(a['analysis_seconds'])} ({a.get('method')}; estimate {s_(a.get('estimated_seconds'))})"),
        ('cache open (min of 5)', s_(m['open']['open_seconds_min'])),
        ('explorer: open-to-first-frame', f"**{ms(u['open_to_first_frame_ms'])}**"),
        ('explorer: keystroke-to-frame p50 / p99 / max (wall)', f"{ms(u['key_p50_ms'])} / **{ms(u['key_p99_ms'])}** / {ms(u['key_max_ms'])}"),
        ('explorer: keystroke-to-frame p99 (thread CPU), sorted list p99', f"{ms(u['key_cpu_p99_ms'])}, {ms(u.get('sorted_key_p99_ms'))}"),
        ('explorer: first sort / re-sort', f"**{ms(u['first_sort_ms'])}** / {ms(u['resort_ms'])}"),
        ('explorer: max RSS / the files it maps', f"**{gib(m['ui_max_rss_kib'])}** / cache {m['cache_bytes'] / 1e6:,.0f} MB + analysis "
         f"{m['analysis_bytes'] / 1e6:,.0f} MB = {mib(mapped)}"),
    ]
    return (f"A real cache of a standard and a cosine dictionary of **{m['d_sae']:,} features** each at d_in {m['d_in']:,} (structured "
            f"synthetic weights as SAELens and cosine folders), {m['tokens']:,} tokens; load average {load_str(m['load_before'])} before.\n\n"
            + table(['measure', 'figure'], rows) + '\n\nThe analysis part by part:\n\n' + parts_table([('', a['analysis_parts'], a['analysis_seconds'])]))


def memory_table(results):
    mem = runs(results, 'memory_', 'tokens')
    if not mem:
        return 'Not measured in this run.'
    base = mem[0]['saex']['max_rss_kib']
    rows = []
    for r in mem:
        s, n = r['saex'], r.get('numpy') or {}
        rows.append((f"{r['rows']:,}" + (' (earlier run)' if r.get('from_earlier_run') else ''), f"{r['activation_bytes'] / 2**30:.2f} GiB",
                     gib(s['max_rss_kib']), growth(base, s['max_rss_kib']), s_(s['build_seconds']),
                     gib(n.get('max_rss_kib')), s_(n.get('total_seconds')), f"{r['memory_limit'] / 2**30:.2f} GiB", load_str(r.get('load_before'))))
    return table(['tokens', 'activation file', 'saex max RSS', 'growth', 'saex build', 'numpy max RSS', 'numpy', '--memory-limit', 'load before'], rows)


def features_table(results):
    def row(r):
        s = r['saex']
        total = s['open_seconds'] + s['build_seconds']
        return (f"{r['rows']:,}", f"{r['features_bytes'] / 2**30:.2f} GiB", s_(s['open_seconds']), s_(s['check_seconds']),
                f"{s['check_rows']:,}", f"{s['worst_check_ratio']:.3g}", s_(total), s_(r['encode_build_seconds']),
                x_(total / r['encode_build_seconds']), s_(r['numpy']['build_seconds']), gib(s['max_rss_kib']), load_str(r.get('load_before')))
    return runs_table(results, 'features_', ['tokens'], ['tokens', 'feature file', 'open', 'check alone', 'check tokens', 'worst / tolerance',
                      'saex --feature-acts build', 'saex encoding build', 'ratio', 'numpy peer', 'saex max RSS', 'load before'], row,
                      missing='Not measured in this run.')


def logits_table(results):
    def row(r):
        s, n = r['saex'], r['numpy']
        flop = 2.0 * r['d_sae'] * r['d_vocab'] * r['d_model']
        return (f"{r['d_sae']:,} x {r['d_model']:,} x {r['d_vocab']:,}", f"{r['block_rows']:,}", s_(s['compute_seconds']),
                f"{s_(s['bare_sgemm_seconds'])} ({flop / s['bare_sgemm_seconds'] / 1e9:.0f} GFLOP/s, {s['blas_core']})",
                x_(s['compute_seconds'] / s['bare_sgemm_seconds']), s_(n['logits_seconds']),
                f"{s_(n['dot_seconds'])} ({flop / n['dot_seconds'] / 1e9:.0f} GFLOP/s)",
                x_(n['logits_seconds'] / s['compute_seconds']),
                'yes' if r.get('same_first_ids') else '**no**', s_(s['open_seconds']), load_str(r.get('load_before')))
    return runs_table(results, 'logits_', ['d_sae', 'd_vocab'], ['features x d_model x d_vocab', 'block rows', 'saex', 'Swift sgemm, same blocks',
                      'saex / sgemm', 'numpy peer', 'np.dot, same blocks', 'numpy / saex', 'same ids', 'unembedding open', 'load before'], row,
                      missing='Not measured in this run.')


def render(results, template):
    plan, best_bw, caches = fig(results)
    ts = targets(results, plan, best_bw, caches)
    reasons = dict(re.findall(r'<!-- reason: (\w+) -->\n(.*?)<!-- /reason -->\n?', template, re.S))
    body = re.sub(r'<!-- reason: \w+ -->\n.*?<!-- /reason -->\n?', '', template, flags=re.S)
    v = {
        'run': run_section(results), 'machine': machine_section(results),
        'targets': table(['figure', 'target', 'measured (saex)', 'numpy peer', 'limit', 'status'],
                         [(t.what, t.target, t.measured or '—', t.peer or '—', t.limit or '—', t.status) for t in ts]),
        'cache_headline': cache_tables(plan, caches, best_bw),
        'cache_scaling_dsae': scaling_table([c for c in caches.values() if c.din == plan.get('scale_d_in') and c.tokens == plan.get('scale_d_sae_tokens')], 'd_sae', lambda c: c.dsae),
        'cache_scaling_tokens': scaling_table([c for c in caches.values() if c.din == plan.get('scale_d_in') and c.dsae == plan.get('d_sae')], 'tokens', lambda c: c.rows),
        'open': open_table(results, best_bw), 'bandwidth': bandwidth_table(results), 'stats': stats_table(results, best_bw),
        'match': match_table(results), 'correlate': corr_table(results), 'ui': ui_table(results), 'ui_pairs': ui_pairs_table(results),
        'analysis_parts': analysis_parts_section(plan, caches), 'wide': wide_section(results, plan, best_bw),
        'million': million_section(results),
        'cache_memory': memory_table(results), 'feature_acts': features_table(results), 'logits': logits_table(results),
        'quick_note': ('**This is a `--quick` run: small sizes that check the pipeline; its figures are not the targets\' sizes and '
                       'its statuses say so.**\n\n') if plan.get('mode') != 'full' else '',
    }
    refreshed = sorted((c for c in caches.values() if c.r['saex'].get('refresh_seconds', -1) >= 0), key=lambda c: c.rows)
    v['refresh'] = ('; '.join(f"at d_in {c.din:,}, d_sae {c.dsae:,}, {c.rows:,} tokens it took {s_(c.r['saex']['refresh_seconds'])} "
                              f"after a {s_(c.build)} build" for c in refreshed) + '.') if refreshed else 'It was not timed in this run.'
    # Figures the prose and the reasons may quote.
    od = results.get('open_dict')
    if od:
        v.update({'dict_open_np': s_(od['numpy']['seconds_min']), 'dict_open_mb': f"{od['bytes_read'] / 1e6:,.0f}",
                  'dict_open_limit': s_(od['bytes_read'] / (best_bw * 1e9)) if best_bw else '—',
                  'dict_open_limit2': s_(2 * od['bytes_read'] / (best_bw * 1e9)) if best_bw else '—',
                  'dict_open': s_(od['saex']['seconds_min'])})
    us = results.get('ui_synthetic') or {}
    v.update({'scale_d_in': f"{plan.get('scale_d_in', 0):,}", 'scale_tokens_fixed': f"{plan.get('scale_d_sae_tokens', 0):,}",
              'scale_d_sae_fixed': f"{plan.get('d_sae', 0):,}", 'ui_cpu_p99': ms(us.get('key_cpu_p99_ms'))})
    for (din, dsae, tok), c in caches.items():
        if (dsae, tok) == (plan.get('d_sae'), plan.get('tokens')):
            p = f'c{din}'
            v.update({f'{p}_sgemm_gflops': f'{c.sgemm_gflops:.0f}', f'{p}_np_gflops': f'{c.np_gflops:.0f}', f'{p}_core': c.core,
                      f'{p}_np_core': str(c.np_core), f'{p}_enc_std': x_(c.enc_std), f'{p}_enc_cos': x_(c.enc_cos),
                      f'{p}_build_over_sgemm': x_(c.build_over_sgemm), f'{p}_sgemm_over_np': x_(c.sgemm / c.np_dot),
                      f'{p}_np_over_saex': x_(c.np_over_saex), f'{p}_enc_over_sgemm': x_(c.enc_over_sgemm),
                      f'{p}_np_enc_over_dot': x_(c.np_enc_over_dot)})
    behind = [t for t in ts if t.ok is False]
    lines = []
    for tid in dict.fromkeys(t.tid for t in behind):  # one bullet per target, listing every size that misses it
        group = [t for t in behind if t.tid == tid]
        why = reasons.get(tid)
        what = '; '.join(f'{t.what}: {t.measured}' for t in group)
        lines.append(f'- **{what}**; target {group[0].target}. ' +
                     (fill(' '.join(why.split()), v) if why else 'No reason recorded in bench/PERFORMANCE.template.md: not yet investigated.'))
    unmeasured = [t for t in ts if t.ok is None]
    lines += [f'- **{t.what}**: not measured in this run.' for t in unmeasured]
    v['behind'] = '\n'.join(lines) if lines else 'Nothing: every target was met in this run.'
    return fill(body, v)


def fill(text, v):
    def sub(m):
        k = m.group(1)
        if k not in v:
            raise SystemExit(f'template: no figure named {{{{{k}}}}} in these results')
        return str(v[k])
    return re.sub(r'\{\{(\w+)\}\}', sub, text)


if __name__ == '__main__':
    args = sys.argv[1:]
    tpl = TEMPLATE
    if '--template' in args:
        i = args.index('--template'); tpl = args[i + 1]; del args[i:i + 2]
    if len(args) != 2:
        raise SystemExit(__doc__)
    out = render(load_results(args[0]), open(tpl).read())
    with open(args[1], 'w') as f:
        f.write(out)
