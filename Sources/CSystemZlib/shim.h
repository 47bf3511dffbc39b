// System-library shim for zlib (Debian: zlib1g-dev), used to read gzip'd JSONL. Nothing else.
// Named CSystemZlib because ZIPFoundation already defines a clang module "CZlib" on Linux, and two
// modules of one name cannot share a build.
#pragma once
#include <zlib.h>
