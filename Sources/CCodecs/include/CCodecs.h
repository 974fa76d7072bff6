#ifndef SLUICE_CCODECS_H
#define SLUICE_CCODECS_H

/// The compression libraries Kafka batches may need, opened at run time with dlopen() so that building Sluice needs
/// none of their development files and running it needs none of them installed: a codec whose library is missing
/// is answered UNSUPPORTED_COMPRESSION_TYPE. This header declares the few types and functions Sluice calls, spelled
/// as their stable ABIs define them (zlib 1.2, zstd 1.4+, lz4 1.8+), and includes nothing beyond the C library.

#include <stddef.h>
#include <stdint.h>

// MARK: - zlib

/// zlib's `z_stream`, field for field (its layout has been fixed since zlib 1.0).
typedef struct sluice_z_stream {
    const unsigned char *next_in;
    unsigned int avail_in;
    unsigned long total_in;
    unsigned char *next_out;
    unsigned int avail_out;
    unsigned long total_out;
    const char *msg;
    void *state;
    void *zalloc;
    void *zfree;
    void *opaque;
    int data_type;
    unsigned long adler;
    unsigned long reserved;
} sluice_z_stream;

#define SLUICE_Z_OK 0
#define SLUICE_Z_STREAM_END 1
#define SLUICE_Z_BUF_ERROR (-5)
#define SLUICE_Z_NO_FLUSH 0

/// zlib's inflate functions, resolved from an opened library.
typedef struct sluice_zlib {
    void *handle;
    int (*inflateInit2_)(sluice_z_stream *stream, int windowBits, const char *version, int streamSize);
    int (*inflate)(sluice_z_stream *stream, int flush);
    int (*inflateReset)(sluice_z_stream *stream);
    int (*inflateEnd)(sluice_z_stream *stream);
} sluice_zlib;

/// Opens `path` (a file name the dynamic loader looks up, such as "libz.so.1") and resolves every function.
/// Returns 0 on success, with every function pointer of `table` set; otherwise non-zero, with `table` cleared and
/// nothing left open. The same holds for the zstd and lz4 tables below.
int sluice_zlib_open(sluice_zlib *table, const char *path);


// MARK: - zstd

typedef struct sluice_zstd_in_buffer {
    const void *src;
    size_t size;
    size_t pos;
} sluice_zstd_in_buffer;

typedef struct sluice_zstd_out_buffer {
    void *dst;
    size_t size;
    size_t pos;
} sluice_zstd_out_buffer;

/// zstd's streaming decompression functions (`ZSTD_DCtx *` is opaque).
typedef struct sluice_zstd {
    void *handle;
    void *(*createDCtx)(void);
    size_t (*freeDCtx)(void *context);
    size_t (*decompressStream)(void *context, sluice_zstd_out_buffer *output, sluice_zstd_in_buffer *input);
    unsigned (*isError)(size_t code);
    const char *(*getErrorName)(size_t code);
} sluice_zstd;

int sluice_zstd_open(sluice_zstd *table, const char *path);

// MARK: - lz4 (frame format)

/// LZ4F_VERSION, which LZ4F_createDecompressionContext checks.
#define SLUICE_LZ4F_VERSION 100

/// lz4's frame decompression functions (`LZ4F_dctx *` is opaque; options may be NULL).
typedef struct sluice_lz4 {
    void *handle;
    size_t (*createDecompressionContext)(void **context, unsigned version);
    size_t (*freeDecompressionContext)(void *context);
    size_t (*decompress)(void *context, void *dst, size_t *dstSize, const void *src, size_t *srcSize,
                         const void *options);
    unsigned (*isError)(size_t code);
    const char *(*getErrorName)(size_t code);
} sluice_lz4;

int sluice_lz4_open(sluice_lz4 *table, const char *path);

#endif
