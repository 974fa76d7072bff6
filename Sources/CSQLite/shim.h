#ifndef SLUICE_CSQLITE_SHIM_H
#define SLUICE_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT as a function: the C macro casts -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }

/// Turns off the page cache's up-front allocation (`sqlite3_config` is variadic, which Swift cannot call). By default
/// every connection's cache allocates and initialises 20 page slots at once (about 85 KB, all of it resident) before
/// it needs them; without it, pages are allocated as they are first used. Only effective before the library is
/// initialised (the first open); returns SQLITE_MISUSE afterwards.
static inline int csqlite_disable_page_cache_bulk_allocation(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}
#endif
