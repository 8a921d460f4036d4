/*
 * wsf_capsule.h -- sharing the kernel table between extension modules.
 *
 * The owner (_mask) exports its wsf_kernels_api through a PyCapsule named
 * WSF_KERNELS_CAPSULE; every other module calls wsf_kernels_import() once at
 * import, which imports the owner (so its CPU detection and WSFRAME_SIMD
 * check run first), checks the ABI version and copies the active level.
 * This is the pattern of numpy's and datetime's C-API capsules: one copy of
 * the kernels per process, reached with one indirect call.
 */
#ifndef WSF_CAPSULE_H
#define WSF_CAPSULE_H

#include <Python.h>
#include "wsf_kernels.h"

#define WSF_KERNELS_MODULE "wsframe._speedups._mask"
#define WSF_KERNELS_CAPSULE WSF_KERNELS_MODULE "._C_API"

/* The owner's capsule (a new reference, or NULL with an exception set). */
static inline PyObject *wsf_kernels_capsule(const wsf_kernels_api *api)
{
    return PyCapsule_New((void *)api, WSF_KERNELS_CAPSULE, NULL);
}

/* Take the owner's kernels; -1 with an exception set (ImportError) if the
 * owner cannot be imported or was built from other headers. */
static inline int wsf_kernels_import(void)
{
    const wsf_kernels_api *api;
    PyObject *module, *capsule;
    /* Not PyCapsule_Import: before 3.13 it reaches _mask by attribute from
     * the package, which fails (AttributeError) when _mask was not imported
     * yet, hiding the owner's own ImportError. */
    module = PyImport_ImportModule(WSF_KERNELS_MODULE);
    if (module == NULL) {
        return -1;
    }
    capsule = PyObject_GetAttrString(module, "_C_API");
    Py_DECREF(module);
    if (capsule == NULL) {
        return -1;
    }
    api = (const wsf_kernels_api *)PyCapsule_GetPointer(capsule, WSF_KERNELS_CAPSULE);
    Py_DECREF(capsule); /* the module keeps the capsule (and the table) alive */
    if (api == NULL) {
        return -1;
    }
    if (api->abi != WSF_KERNELS_ABI || api->kernels == NULL) {
        PyErr_Format(PyExc_ImportError,
                     "wsframe: %s has kernel ABI %d, this module expects %d "
                     "(rebuild the extensions together)",
                     WSF_KERNELS_CAPSULE, api->abi, WSF_KERNELS_ABI);
        return -1;
    }
    wsf_kt = api->kernels;
    wsf_level = api->level;
    wsf_cpu_best = api->cpu_best;
    return 0;
}

#endif /* WSF_CAPSULE_H */
