/*
 * wsf_python.h -- the small C helpers the Cython modules share that need
 * Python.h (include after it; kernels.pxd declares them).
 */
#ifndef WSF_PYTHON_H
#define WSF_PYTHON_H

#include <Python.h>
#include "wsf_cpu.h"

/* Release the GIL around a kernel only from this many bytes on: releasing
 * and re-acquiring it measured ~110 ns here (3.11, loaded 2-core x86-64).
 * 64 KiB is 1-3 us of masking and ~4 us of non-ASCII validation, so the
 * release costs under ~5% from there on, while smaller calls would pay it
 * for nothing. */
#define WSF_NOGIL_THRESHOLD 65536

/* The usual key, a 4-byte bytes object, without the buffer protocol.
 * Forced inline: once _mask held the kernels, GCC stopped inlining the
 * Cython helper around it, which cost ~45 instructions per apply_mask call
 * (callgrind). */
WSF_ALWAYS_INLINE int wsf_key_from_bytes(PyObject *mask, uint8_t *key)
{
    if (PyBytes_CheckExact(mask) && PyBytes_GET_SIZE(mask) == 4) {
        memcpy(key, PyBytes_AS_STRING(mask), 4);
        return 1;
    }
    return 0;
}

#ifdef Py_GIL_DISABLED
#define WSF_FREE_THREADED 1
#else
#define WSF_FREE_THREADED 0
#endif

#endif /* WSF_PYTHON_H */
