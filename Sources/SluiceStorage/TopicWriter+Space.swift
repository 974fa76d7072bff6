import CSQLite
import SluiceCore

/// How a topic database's file is used, in pages.
package struct SpaceUsage: Sendable, Hashable {
    package var pageSize: Int64
    /// Pages in the database file (not counting the WAL).
    package var pageCount: Int64
    /// Pages on the free list: freed by deletions, reused by appends, or given back by `reclaimSpace`.
    package var freePages: Int64
    /// Whether the database can give free pages back to the file system (`auto_vacuum=INCREMENTAL`).
    package var canReclaim: Bool

    package var usedPages: Int64 { pageCount - freePages }
}

extension TopicWriter {
    /// The database file's page counts.
    package func spaceUsage() throws(SluiceError) -> SpaceUsage {
        do {
            return SpaceUsage(
                pageSize: try connection.scalarInt("PRAGMA page_size") ?? 4096,
                pageCount: try connection.scalarInt("PRAGMA page_count") ?? 0,
                freePages: try connection.scalarInt("PRAGMA freelist_count") ?? 0,
                canReclaim: try connection.scalarInt("PRAGMA auto_vacuum") == 2)
        } catch {
            throw storageError(error)
        }
    }

    /// Gives up to `maxPages` free pages back to the file system (an incremental vacuum: pages from the end of the
    /// file move into free slots, then the file is cut); returns how many went.
    ///
    /// Its transaction commits without an fsync of its own, like `truncate`. The file shrinks once the WAL is
    /// checkpointed (SQLite checkpoints every thousand pages or so, and `checkpoint(waitingAtMost:)` does it at
    /// once). Does nothing on a database created without `auto_vacuum=INCREMENTAL`.
    @discardableResult
    package func reclaimSpace(maxPages: Int) throws(SluiceError) -> Int64 {
        precondition(maxPages > 0, "maxPages must be positive")
        let before = try spaceUsage()
        guard before.canReclaim, before.freePages > 0 else { return 0 }
        let relax = durability == .full
        do {
            if relax { try connection.execute("PRAGMA synchronous = NORMAL") }
            try connection.execute("PRAGMA incremental_vacuum(\(maxPages))")
            if relax { try connection.execute("PRAGMA synchronous = FULL") }
        } catch {
            if relax { try? connection.execute("PRAGMA synchronous = FULL") }
            throw storageError(error)
        }
        return before.freePages - (try spaceUsage().freePages)
    }

    /// Copies the WAL into the database and truncates it to zero bytes, waiting at most `milliseconds` for readers
    /// still using older snapshots; returns whether it completed (otherwise nothing is lost: the next checkpoint
    /// finishes the job). Meant for when the writer is idle: it holds the write lock while it works.
    @discardableResult
    package func checkpoint(waitingAtMost milliseconds: Int32) throws(SluiceError) -> Bool {
        connection.setBusyTimeout(milliseconds: milliseconds)
        defer { connection.setBusyTimeout(milliseconds: Connection.defaultBusyTimeoutMs) }
        do {
            // One row: busy (1 when readers or a writer prevented completion), WAL frames, frames checkpointed.
            return try connection.scalarInt("PRAGMA wal_checkpoint(TRUNCATE)") == 0
        } catch {
            if error.primaryCode == SQLITE_BUSY { return false }
            throw storageError(error)
        }
    }
}
