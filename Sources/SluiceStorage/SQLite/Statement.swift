import CSQLite

/// A prepared statement: prepared in `init`, finalized in `deinit`, reused through `Connection.statement(_:)`.
///
/// Parameters are 1-based (as in SQLite); columns are 0-based.
package final class Statement {
    let handle: OpaquePointer
    unowned let connection: Connection
    package let sql: String

    init(connection: Connection, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw connection.error(rc, "prepare \"\(sql)\"")
        }
        self.handle = statement
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement so it can run again, and clears its bindings unless `keepingBindings` is set (for a
    /// loop that binds every parameter again before each step).
    package func reset(keepingBindings: Bool = false) {
        sqlite3_reset(handle)
        if !keepingBindings { sqlite3_clear_bindings(handle) }
    }

    // MARK: - Binding

    package func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    package func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    package func bind(_ index: Int32, _ value: String?) {
        if let value {
            sqlite3_bind_text(handle, index, value, -1, csqlite_transient())
        } else {
            sqlite3_bind_null(handle, index)
        }
    }

    /// Binds a blob, copied by SQLite. `nil` binds NULL; an empty array binds an empty (non-NULL) blob.
    package func bind(_ index: Int32, _ value: [UInt8]?) {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUnsafeBytes { bytes in
            bindBlob(index, bytes)
        }
    }

    /// Binds a blob that SQLite copies (`SQLITE_TRANSIENT`); `bytes` may be released after the call.
    package func bindBlob(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        // A zero-length blob needs a non-NULL pointer to stay a blob rather than NULL.
        if bytes.isEmpty {
            sqlite3_bind_zeroblob(handle, index, 0)
        } else {
            sqlite3_bind_blob64(handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), csqlite_transient())
        }
    }

    /// Binds a blob that SQLite reads in place, without copying it (`SQLITE_STATIC`), and runs `body` (which
    /// steps the statement) while the bytes are known to be valid. `nil` binds NULL, `[]` an empty blob.
    ///
    /// The binding is left dangling when `body` returns: rebind the parameter, or `reset()`, before stepping again.
    package func withBlob<R>(_ index: Int32, _ value: [UInt8]?, _ body: () throws -> R) rethrows -> R {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return try body()
        }
        return try value.withUnsafeBytes { bytes in
            if bytes.isEmpty {
                sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                sqlite3_bind_blob64(handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), csqlite_static())
            }
            return try body()
        }
    }

    package func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    // MARK: - Stepping

    /// Steps once: true when a row is available, false when the statement is done.
    @discardableResult
    package func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, "step \"\(sql)\"")
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs a statement that returns no rows.
    package func run() throws(SQLiteError) {
        _ = try step()
    }

    // MARK: - Reading columns

    package func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    package func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    package func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    package func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The column's bytes, valid only until the next step, reset or column call on this statement.
    package func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer? {
        if let pointer = sqlite3_column_blob(handle, column) {
            return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
        }
        // No pointer: NULL or an empty blob (asking the type only then saves a call per column on the hot path).
        return sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The column's bytes as a new array; NULL is `nil`, an empty blob `[]`.
    package func blob(_ column: Int32) -> [UInt8]? {
        guard let bytes = blobBytes(column) else { return nil }
        return Array(bytes)
    }
}
