// Calls glibc's libmvec (the vector variants of libm that GCC uses for -ffast-math loops) so
// that saex does not hand-write an exponential. _ZGVbN4v_expf is the 4-lane SSE ABI variant,
// available on every x86-64 CPU; glibc picks the fastest implementation for the CPU at load time.
#include "vecmath.h"
#include <math.h>

#if defined(__x86_64__) && defined(__GLIBC__)
#include <xmmintrin.h>
__m128 _ZGVbN4v_expf(__m128 x);

void saex_expf_inplace(float *x, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        _mm_storeu_ps(x + i, _ZGVbN4v_expf(_mm_loadu_ps(x + i)));
    }
    for (; i < n; i++) x[i] = expf(x[i]);
}
#else
void saex_expf_inplace(float *x, long n) {
    for (long i = 0; i < n; i++) x[i] = expf(x[i]);
}
#endif
