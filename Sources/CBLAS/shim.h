// System-library shim for OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Nothing else.
#pragma once
#include <cblas.h>
