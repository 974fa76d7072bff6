import CSQLite
import SluiceCore

/// One SQLite connection, owned by one thread or serial queue at a time.
///
/// Not `Sendable`: a connection moves between threads only by handing over ownership (see `Connection.Handoff`).
/// Statements are prepared once and cached by their SQL text.
package final class Connection {
    let handle: OpaquePointer
    package let path: String
    private var statements: [String: Statement] = [:]

    package struct OpenFlags: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }
        package static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        package static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        package static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
    }

    /// Opens (and with `.create`, creates) the database at `path`. Throws `SQLiteError`.
    package init(path: String, flags: OpenFlags = [.readWrite, .create]) throws(SQLiteError) {
        _ = Self.libraryConfigured
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags.rawValue | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(extendedCode: rc, message: message, operation: "open \(path)")
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Self.defaultBusyTimeoutMs)
    }

    /// Process-wide SQLite settings, applied once before the first open (SQLite takes them only before it is
    /// initialised). Page caches allocate as they fill rather than 20 slots up front: about 70 KB less resident memory
    /// per open connection (an idle server holds a writer per topic), and no measurable cost once a cache is warm.
    private static let libraryConfigured: Void = {
        _ = csqlite_disable_page_cache_bulk_allocation()
    }()

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL that returns no rows (one or several statements). Only for constant SQL: nothing is bound.
    package func execute(_ sql: String) throws(SQLiteError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw SQLiteError(
                extendedCode: sqlite3_extended_errcode(handle), message: message, operation: "exec \(sql.prefix(80))")
        }
    }

    /// The cached prepared statement for `sql`, reset and with its bindings cleared.
    package func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Drops every cached statement (needed before closing, or after the schema changed under them).
    package func clearStatementCache() {
        statements.removeAll()
    }

    /// Runs `body` inside `BEGIN IMMEDIATE` … `COMMIT`, rolling back if it throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try begin(immediate: true)
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Starts a transaction: `BEGIN IMMEDIATE` takes the write lock at once; plain `BEGIN` defers it (for reads).
    /// Transaction statements are prepared once and cached like any other, not parsed on every call.
    package func begin(immediate: Bool = false) throws(SQLiteError) {
        try statement(immediate ? "BEGIN IMMEDIATE" : "BEGIN").run()
    }

    package func commit() throws(SQLiteError) {
        try statement("COMMIT").run()
    }

    /// Rolls back the open transaction, if there is one.
    package func rollback() {
        if !isAutocommit { try? statement("ROLLBACK").run() }
    }

    /// How long a statement waits, by default, for a lock another connection holds.
    package static let defaultBusyTimeoutMs: Int32 = 5_000

    /// How long a statement waits for a lock another connection holds before failing with `SQLITE_BUSY`.
    package func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// True when no transaction is open.
    package var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    package var changes: Int { Int(sqlite3_changes(handle)) }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ rc: Int32, _ operation: @autoclosure () -> String) -> SQLiteError {
        SQLiteError(extendedCode: sqlite3_extended_errcode(handle), message: lastMessage, operation: operation())
    }

    /// Runs a `PRAGMA` (or any single-row query) and returns the first column as an integer.
    package func scalarInt(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try statement(sql)
        // Reset at once: a statement left on a row keeps a read transaction open, which blocks every checkpoint.
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    package func scalarText(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try statement(sql)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.text(0)
    }
}
