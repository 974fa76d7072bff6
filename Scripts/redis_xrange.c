/*
 * redis_xrange: reads a Redis stream from its first entry to its last with XRANGE ... COUNT N, the way a lean
 * client would: one request at a time, each starting after the last id received, every reply parsed (RESP) and
 * every value's bytes touched. The Redis side of "one consumer reading a partition from the beginning".
 *
 *   redis_xrange PORT STREAM COUNT
 *
 * Connects to 127.0.0.1:PORT. Prints "entries,seconds,entries_per_second". Bounded: at most 100 million entries
 * and 300 seconds. Needs Redis 6.2 or later (exclusive ranges). Build: cc -O2 -o redis_xrange redis_xrange.c
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_SIZE (1 << 20)

struct reader {
    int fd;
    char *buffer;
    size_t start, end;
};

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "redis_xrange: %s\n", what);
    exit(1);
}

/* Makes at least `want` bytes available at r->start, reading more as needed. */
static void need(struct reader *r, size_t want) {
    if (want > BUFFER_SIZE) fail("reply element too large");
    if (r->end - r->start >= want) return;
    memmove(r->buffer, r->buffer + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    while (r->end < want) {
        ssize_t n = read(r->fd, r->buffer + r->end, BUFFER_SIZE - r->end);
        if (n <= 0) fail("connection closed");
        r->end += (size_t)n;
    }
}

/* Reads one line (type byte and text, without CRLF) into `line`; returns its length. */
static size_t read_line(struct reader *r, char *line, size_t size) {
    size_t scanned = 0;
    for (;;) {
        char *crlf = NULL;
        if (r->end - r->start > scanned) {
            crlf = memchr(r->buffer + r->start + scanned, '\r', r->end - r->start - scanned);
        }
        if (crlf && crlf + 1 < r->buffer + r->end) {
            size_t length = (size_t)(crlf - (r->buffer + r->start));
            if (length + 1 > size) fail("reply line too long");
            memcpy(line, r->buffer + r->start, length);
            line[length] = 0;
            r->start += length + 2;
            return length;
        }
        /* A CR as the last byte read is looked at again once the LF after it has arrived. */
        scanned = crlf ? (size_t)(crlf - (r->buffer + r->start)) : r->end - r->start;
        need(r, r->end - r->start + 1);
    }
}

static long read_header(struct reader *r, char type) {
    char line[256];
    read_line(r, line, sizeof line);
    if (line[0] == '-') {
        fprintf(stderr, "redis_xrange: server error: %s\n", line + 1);
        exit(1);
    }
    if (line[0] != type) fail("unexpected reply type");
    return strtol(line + 1, NULL, 10);
}

/* Reads a bulk string; copies up to `size - 1` bytes of it into `copy` (if given); returns a checksum. */
static unsigned long read_bulk(struct reader *r, char *copy, size_t size) {
    long length = read_header(r, '$');
    if (length < 0) return 0;
    need(r, (size_t)length + 2);
    const unsigned char *bytes = (const unsigned char *)r->buffer + r->start;
    unsigned long sum = 0;
    for (long i = 0; i < length; i++) sum += bytes[i];
    if (copy) {
        size_t n = (size_t)length < size - 1 ? (size_t)length : size - 1;
        memcpy(copy, bytes, n);
        copy[n] = 0;
    }
    r->start += (size_t)length + 2;
    return sum;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: redis_xrange PORT STREAM COUNT\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *stream = argv[2];
    const char *count = argv[3];

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("cannot connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    struct reader r = {fd, malloc(BUFFER_SIZE), 0, 0};
    if (!r.buffer) fail("out of memory");
    char start_id[128] = "-";
    char last_id[128] = "";
    char request[512];
    long entries = 0;
    unsigned long checksum = 0;
    double start = seconds_now();
    for (;;) {
        int n = snprintf(request, sizeof request,
                         "*6\r\n$6\r\nXRANGE\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$1\r\n+\r\n$5\r\nCOUNT\r\n$%zu\r\n%s\r\n",
                         strlen(stream), stream, strlen(start_id), start_id, strlen(count), count);
        if (write(fd, request, (size_t)n) != n) fail("write");
        long replies = read_header(&r, '*');
        if (replies <= 0) break;
        for (long i = 0; i < replies; i++) {
            if (read_header(&r, '*') != 2) fail("unexpected entry shape");
            read_bulk(&r, last_id, sizeof last_id);
            long fields = read_header(&r, '*');
            for (long f = 0; f < fields; f++) checksum += read_bulk(&r, NULL, 0);
        }
        entries += replies;
        snprintf(start_id, sizeof start_id, "(%s", last_id);
        if (entries >= 100000000L || seconds_now() - start > 300) fail("bound reached (100M entries or 300 s)");
    }
    double elapsed = seconds_now() - start;
    printf("%ld,%.6f,%.0f\n", entries, elapsed, (double)entries / elapsed);
    if (checksum == 1) fprintf(stderr, "\n");
    close(fd);
    free(r.buffer);
    return 0;
}
