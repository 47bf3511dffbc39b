"""The per-feature example work of a cache, in numpy (shared by the cache benchmark's numpy peers):
each feature's top-K rows and its interval bin counts, from CSC columns (colptr, rows r, values v)."""
import numpy as np


def top_rows(colptr, r, v, topk):
    """Per feature, the indices (into r, v) of its top-K values, best first, ties to the lower row."""
    out = []
    for k in range(len(colptr) - 1):
        a, b = colptr[k], colptr[k + 1]
        idx = np.arange(a, b) if b - a <= topk else a + np.argpartition(-v[a:b], topk - 1)[:topk]
        out.append(idx[np.lexsort((r[idx], -v[idx]))])
    return out


def bin_counts(colptr, v, bins):
    """[features, bins] counts of equal-width bins from each feature's smallest positive activation
    to its max, as FeatureExamples.bin: b = clamp(ceil((v - min) / width) - 1, 0, bins - 1); a zero
    width puts everything in the top bin."""
    f = len(colptr) - 1
    counts = np.diff(colptr)
    fid = np.repeat(np.arange(f), counts)
    nz = counts > 0
    vmax = np.zeros(f, np.float32)
    vmax[nz] = np.maximum.reduceat(v, colptr[:-1][nz])
    vmin = np.zeros(f, np.float32)
    vmin[nz] = np.minimum.reduceat(np.where(v > 0, v, np.float32(np.inf)).astype(np.float32), colptr[:-1][nz])
    vmin[~np.isfinite(vmin)] = 0
    width = ((vmax - vmin) / np.float32(bins)).astype(np.float32)
    with np.errstate(divide='ignore', invalid='ignore'):
        q = np.ceil(((v - vmin[fid]) / width[fid]).astype(np.float32))
    q[~np.isfinite(q)] = bins
    b = q.astype(np.int64) - 1
    np.clip(b, 0, bins - 1, out=b)
    return np.bincount(fid * bins + b, minlength=f * bins).reshape(f, bins)
