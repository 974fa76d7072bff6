import CSQLite
import SluiceCore

/// A failure reported by SQLite: the extended result code, SQLite's message and what Sluice was doing.
package struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (`sqlite3_extended_errcode`), e.g. `SQLITE_CONSTRAINT_PRIMARYKEY`.
    package var extendedCode: Int32
    package var message: String
    /// What failed, e.g. `prepare "SELECT ..."` or `open /data/catalog.db`.
    package var operation: String

    package init(extendedCode: Int32, message: String, operation: String) {
        self.extendedCode = extendedCode
        self.message = message
        self.operation = operation
    }

    /// The primary result code: the low byte of the extended code.
    package var primaryCode: Int32 { extendedCode & 0xff }

    package var description: String {
        "SQLite error \(extendedCode) (\(String(cString: sqlite3_errstr(extendedCode)))) in \(operation): \(message)"
    }

    /// The Sluice error a caller outside storage sees for this failure.
    package var sluiceError: SluiceError {
        switch primaryCode {
        case SQLITE_FULL:
            SluiceError(.diskFull, "disk full: \(operation)")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            SluiceError(.corruptDatabase, description)
        default:
            SluiceError(.storageError, description)
        }
    }
}
