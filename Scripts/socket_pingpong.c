/*
 * socket_pingpong: the round trip of one small message between two processes over a Unix stream socket, each
 * side blocked in read() until the other writes: the floor under any request/response latency on this machine.
 *
 *   socket_pingpong ROUND_TRIPS SIZE
 *
 * Prints "round_trips,seconds,microseconds_per_round_trip". Build: cc -O2 -o socket_pingpong socket_pingpong.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Reads exactly `size` bytes; returns 0 at end of stream. */
static int read_all(int fd, char *buffer, long size) {
    long done = 0;
    while (done < size) {
        ssize_t n = read(fd, buffer + done, (size_t)(size - done));
        if (n <= 0) return 0;
        done += n;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: socket_pingpong ROUND_TRIPS SIZE\n");
        return 2;
    }
    long trips = atol(argv[1]), size = atol(argv[2]);
    if (trips < 1 || trips > 10000000 || size < 1 || size > 65536) {
        fprintf(stderr, "socket_pingpong: ROUND_TRIPS must be 1 to 10000000 and SIZE 1 to 65536\n");
        return 2;
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
        perror("socket_pingpong: socketpair");
        return 1;
    }
    char *buffer = calloc(1, (size_t)size);
    if (!buffer) return 1;
    pid_t child = fork();
    if (child < 0) {
        perror("socket_pingpong: fork");
        return 1;
    }
    if (child == 0) {
        close(pair[0]);
        while (read_all(pair[1], buffer, size)) {
            if (write(pair[1], buffer, (size_t)size) != size) break;
        }
        _exit(0);
    }
    close(pair[1]);
    double start = seconds_now();
    for (long i = 0; i < trips; i++) {
        if (write(pair[0], buffer, (size_t)size) != size || !read_all(pair[0], buffer, size)) {
            fprintf(stderr, "socket_pingpong: the other side went away\n");
            return 1;
        }
    }
    double elapsed = seconds_now() - start;
    close(pair[0]);
    waitpid(child, NULL, 0);
    printf("%ld,%.6f,%.2f\n", trips, elapsed, elapsed / (double)trips * 1e6);
    free(buffer);
    return 0;
}
