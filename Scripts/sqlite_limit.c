/*
 * sqlite_limit: the physical limit of Sluice's storage layer, measured with raw SQLite from C.
 *
 *   sqlite_limit DIR --records N --batch B --size BYTES --durability full|normal
 *
 * Does what `sluice-dev storage-bench` does, with nothing between the program and SQLite: the same table as a
 * Sluice partition (STRICT, offset INTEGER PRIMARY KEY, timestamp, key, value, headers), WAL, auto_vacuum
 * INCREMENTAL, a partition_state row updated once per batch, one prepared insert, a commit per batch; then a
 * scan back in chunks of 1000 offsets. Records have an 8-byte key and a BYTES-byte value, built before timing.
 * Prints one CSV line per phase: phase,MODE,batch,size,records,seconds,records_per_second.
 *
 * Build: cc -O2 -o sqlite_limit sqlite_limit.c -lsqlite3
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "sqlite_limit: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "sqlite_limit: %s: %s\n", sql, error ? error : "failed");
        exit(1);
    }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) die(sql, db);
    return statement;
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int64_t wall_clock_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void report(const char *phase, const char *mode, long batch, long size, long records, double seconds) {
    printf("%s,%s,%ld,%ld,%ld,%.6f,%.0f\n", phase, mode, batch, size, records, seconds, (double)records / seconds);
    fflush(stdout);
}

static long option(int argc, char **argv, const char *name, long fallback) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
    return fallback;
}

static const char *text_option(int argc, char **argv, const char *name) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

/* Appends the records in batches, one transaction each, as TopicWriter.append does. */
static void write_phase(sqlite3 *db, const uint8_t *keys, const uint8_t *values, long records, long batch, long size) {
    sqlite3_stmt *insert = prepare(db, "INSERT INTO partition_0 (offset, timestamp, key, value, headers) VALUES (?, ?, ?, ?, ?)");
    sqlite3_stmt *state = prepare(db, "UPDATE partition_state SET next_offset = ?, max_timestamp = ?, size_bytes = ? WHERE partition = 0");
    int64_t size_bytes = 0;
    for (long first = 0; first < records; first += batch) {
        long end = first + batch < records ? first + batch : records;
        int64_t now = wall_clock_ms();
        exec(db, "BEGIN IMMEDIATE");
        for (long i = first; i < end; i++) {
            sqlite3_bind_int64(insert, 1, i);
            sqlite3_bind_int64(insert, 2, now);
            sqlite3_bind_blob(insert, 3, keys + i * 8, 8, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 4, values + i * size, (int)size, SQLITE_STATIC);
            sqlite3_bind_null(insert, 5);
            if (sqlite3_step(insert) != SQLITE_DONE) die("insert", db);
            sqlite3_reset(insert);
            size_bytes += 8 + size;
        }
        sqlite3_bind_int64(state, 1, end);
        sqlite3_bind_int64(state, 2, now);
        sqlite3_bind_int64(state, 3, size_bytes);
        if (sqlite3_step(state) != SQLITE_DONE) die("update partition_state", db);
        sqlite3_reset(state);
        exec(db, "COMMIT");
    }
    sqlite3_finalize(insert);
    sqlite3_finalize(state);
}

/* Reads every record back, 1000 offsets at a time, touching each column; returns the bytes of keys and values. */
static int64_t read_phase(sqlite3 *db, long records, long *seen, int64_t *checksum) {
    sqlite3_stmt *scan = prepare(db,
        "SELECT offset, timestamp, key, value, headers FROM partition_0 WHERE offset >= ? AND offset < ? ORDER BY offset");
    int64_t bytes = 0;
    for (long first = 0; first < records; first += 1000) {
        sqlite3_bind_int64(scan, 1, first);
        sqlite3_bind_int64(scan, 2, first + 1000);
        while (sqlite3_step(scan) == SQLITE_ROW) {
            *checksum += sqlite3_column_int64(scan, 0) + sqlite3_column_int64(scan, 1);
            (void)sqlite3_column_blob(scan, 2);
            bytes += sqlite3_column_bytes(scan, 2);
            const uint8_t *value = sqlite3_column_blob(scan, 3);
            bytes += sqlite3_column_bytes(scan, 3);
            if (value) *checksum += value[0];
            (void)sqlite3_column_blob(scan, 4);
            (*seen)++;
        }
        sqlite3_reset(scan);
    }
    sqlite3_finalize(scan);
    return bytes;
}

int main(int argc, char **argv) {
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: sqlite_limit DIR --records N --batch B --size BYTES --durability full|normal\n");
        return 2;
    }
    long records = option(argc, argv, "--records", 1000000);
    long batch = option(argc, argv, "--batch", 1000);
    long size = option(argc, argv, "--size", 100);
    const char *durability = text_option(argc, argv, "--durability");
    if (!durability) durability = "full";
    int full = strcmp(durability, "full") == 0;
    if (records <= 0 || batch <= 0 || size <= 0 || (!full && strcmp(durability, "normal") != 0)) {
        fprintf(stderr, "sqlite_limit: bad arguments\n");
        return 2;
    }
    const char *mode = full ? "FULL" : "NORMAL";

    char path[4096];
    snprintf(path, sizeof path, "%s/limit.db", argv[1]);
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }

    /* The records, built before timing: key i (8 bytes, little-endian), a value that starts from i. */
    uint8_t *keys = malloc((size_t)records * 8);
    uint8_t *values = malloc((size_t)records * (size_t)size);
    if (!keys || !values) die("out of memory", NULL);
    for (long i = 0; i < records; i++) {
        for (int b = 0; b < 8; b++) keys[i * 8 + b] = (uint8_t)((uint64_t)i >> (b * 8));
        for (long b = 0; b < size; b++) values[i * size + b] = (uint8_t)(i + b);
    }

    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        die("open", db);
    exec(db, "PRAGMA auto_vacuum = INCREMENTAL");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec(db,
         "CREATE TABLE partition_state (partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL DEFAULT 0,"
         " log_start_offset INTEGER NOT NULL DEFAULT 0, max_timestamp INTEGER NOT NULL DEFAULT -1,"
         " size_bytes INTEGER NOT NULL DEFAULT 0) STRICT;"
         "CREATE TABLE partition_0 (offset INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL, key BLOB, value BLOB,"
         " headers BLOB) STRICT;"
         "INSERT INTO partition_state (partition) VALUES (0);");

    double start = seconds_now();
    write_phase(db, keys, values, records, batch, size);
    report("write", mode, batch, size, records, seconds_now() - start);
    sqlite3_close(db);

    /* Read back on a new connection, as a consumer would. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) die("open", db);
    long seen = 0;
    int64_t checksum = 0;
    start = seconds_now();
    int64_t bytes = read_phase(db, records, &seen, &checksum);
    double elapsed = seconds_now() - start;
    if (seen != records || bytes != (int64_t)records * (8 + size)) {
        fprintf(stderr, "sqlite_limit: read back %ld records and %lld bytes\n", seen, (long long)bytes);
        return 1;
    }
    report("read", mode, batch, size, records, elapsed);
    if (checksum == -1) fprintf(stderr, "unreachable\n");
    sqlite3_close(db);
    free(keys);
    free(values);
    return 0;
}
