// The system zlib, for the SPDY/3 header compression of the Kubernetes API server double's port-forward.
#ifndef CVZAUTH_ZLIB_SHIM_H
#define CVZAUTH_ZLIB_SHIM_H

#include <zlib.h>

// `inflateInit` and `deflateInit` are function-like macros, which Swift cannot call.
static inline int cvzauth_inflateInit(z_streamp stream) { return inflateInit(stream); }
static inline int cvzauth_deflateInit(z_streamp stream, int level) { return deflateInit(stream, level); }

#endif
