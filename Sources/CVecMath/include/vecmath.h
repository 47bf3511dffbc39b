// Bulk elementary functions from glibc's vector math library (libmvec). Nothing else.
#pragma once

/// x[i] = expf(x[i]) for i < n, four at a time through libmvec's SSE variant where available.
void saex_expf_inplace(float *x, long n);
