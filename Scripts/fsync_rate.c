/*
 * fsync_rate: the disk's raw durable-write rate, the unit a durable commit costs: append 4 KiB to a file and
 * fdatasync it, again and again, for SECONDS (at most 1,000,000 times). Prints "syncs,seconds,syncs_per_second".
 *
 *   fsync_rate FILE SECONDS
 *
 * The file is created (truncated) and removed at the end. Build: cc -O2 -o fsync_rate fsync_rate.c
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fsync_rate FILE SECONDS\n");
        return 2;
    }
    double limit = atof(argv[2]);
    if (!(limit > 0 && limit <= 600)) {
        fprintf(stderr, "fsync_rate: SECONDS must be between 0 and 600\n");
        return 2;
    }
    int fd = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
    if (fd < 0) {
        perror("fsync_rate: open");
        return 1;
    }
    char block[4096];
    memset(block, 'x', sizeof block);
    long syncs = 0;
    const long max_syncs = 1000000;
    double start = seconds_now(), elapsed = 0;
    while (syncs < max_syncs && (elapsed = seconds_now() - start) < limit) {
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) {
            perror("fsync_rate: write");
            return 1;
        }
        if (fdatasync(fd) != 0) {
            perror("fsync_rate: fdatasync");
            return 1;
        }
        syncs++;
    }
    elapsed = seconds_now() - start;
    printf("%ld,%.3f,%.0f\n", syncs, elapsed, (double)syncs / elapsed);
    close(fd);
    unlink(argv[1]);
    return 0;
}
