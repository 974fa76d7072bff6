#include "CCodecs.h"

#include <dlfcn.h>
#include <string.h>

// Each function resolves its symbols one by one; any missing symbol closes the library again and fails the open.
// `*(void **)&field = dlsym(...)` is how POSIX's dlsym() documentation stores a function pointer.
#define LOAD(table, handle, field, symbol) (*(void **)&(table)->field = dlsym(handle, symbol)) != NULL

static void *open_library(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }

static int fail(void *table, size_t size, void *handle) {
    if (handle != NULL) dlclose(handle);
    memset(table, 0, size);
    return -1;
}

int sluice_zlib_open(sluice_zlib *table, const char *path) {
    memset(table, 0, sizeof(*table));
    void *handle = open_library(path);
    if (handle == NULL) return -1;
    if (!(LOAD(table, handle, inflateInit2_, "inflateInit2_") && LOAD(table, handle, inflate, "inflate") &&
          LOAD(table, handle, inflateReset, "inflateReset") && LOAD(table, handle, inflateEnd, "inflateEnd")))
        return fail(table, sizeof(*table), handle);
    table->handle = handle;
    return 0;
}

int sluice_zstd_open(sluice_zstd *table, const char *path) {
    memset(table, 0, sizeof(*table));
    void *handle = open_library(path);
    if (handle == NULL) return -1;
    if (!(LOAD(table, handle, createDCtx, "ZSTD_createDCtx") && LOAD(table, handle, freeDCtx, "ZSTD_freeDCtx") &&
          LOAD(table, handle, decompressStream, "ZSTD_decompressStream") &&
          LOAD(table, handle, isError, "ZSTD_isError") && LOAD(table, handle, getErrorName, "ZSTD_getErrorName")))
        return fail(table, sizeof(*table), handle);
    table->handle = handle;
    return 0;
}

int sluice_lz4_open(sluice_lz4 *table, const char *path) {
    memset(table, 0, sizeof(*table));
    void *handle = open_library(path);
    if (handle == NULL) return -1;
    if (!(LOAD(table, handle, createDecompressionContext, "LZ4F_createDecompressionContext") &&
          LOAD(table, handle, freeDecompressionContext, "LZ4F_freeDecompressionContext") &&
          LOAD(table, handle, decompress, "LZ4F_decompress") && LOAD(table, handle, isError, "LZ4F_isError") &&
          LOAD(table, handle, getErrorName, "LZ4F_getErrorName")))
        return fail(table, sizeof(*table), handle);
    table->handle = handle;
    return 0;
}
