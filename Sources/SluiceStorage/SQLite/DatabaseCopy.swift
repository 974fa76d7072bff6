import CSQLite

/// SQLite's online backup of one database into another (`sqlite3_backup_*`), a few pages per step.
///
/// The copy is of the snapshot the source connection reads: when the source holds a read transaction open across
/// the steps (as `Backup` does), every step copies from that one snapshot, and writers of the source go on
/// committing meanwhile (WAL). Owned by the thread that owns both connections; `finish` (or deinit) releases it.
final class DatabaseCopy {
    private var handle: OpaquePointer?
    private let destination: Connection

    /// Starts copying `source`'s main database over `destination`'s, which must have no transaction open.
    init(from source: Connection, to destination: Connection) throws(SQLiteError) {
        guard let handle = sqlite3_backup_init(destination.handle, "main", source.handle, "main") else {
            throw destination.error(sqlite3_errcode(destination.handle), "backup \(source.path) to \(destination.path)")
        }
        self.handle = handle
        self.destination = destination
    }

    deinit { finish() }

    /// Copies up to `pages` more pages; returns true once the whole database has been copied. A lock the copy
    /// cannot take (`SQLITE_BUSY`, `SQLITE_LOCKED`) is not an error: the step is simply tried again later.
    func step(pages: Int32) throws(SQLiteError) -> Bool {
        guard let handle else { return true }
        let rc = sqlite3_backup_step(handle, pages)
        switch rc {
        case SQLITE_DONE: return true
        case SQLITE_OK, SQLITE_BUSY, SQLITE_LOCKED: return false
        default:
            let error = SQLiteError(
                extendedCode: rc, message: String(cString: sqlite3_errstr(rc)),
                operation: "backup step into \(destination.path)")
            finish()
            throw error
        }
    }

    /// Pages of the source database, as of the last step.
    var pageCount: Int { handle.map { Int(sqlite3_backup_pagecount($0)) } ?? 0 }

    /// Pages still to copy, as of the last step.
    var remaining: Int { handle.map { Int(sqlite3_backup_remaining($0)) } ?? 0 }

    /// Releases the copy (what was copied so far stays in the destination).
    func finish() {
        if let handle { sqlite3_backup_finish(handle) }
        handle = nil
    }
}
