import SluiceCore

/// One forward-only schema step: SQL run in its own transaction, recorded as `PRAGMA user_version = version`.
package struct Migration: Sendable {
    package var version: Int
    package var name: String
    package var sql: String

    init(version: Int, name: String, bytes: [UInt8]) {
        self.version = version
        self.name = name
        self.sql = String(decoding: bytes, as: UTF8.self)
    }
}

/// The embedded migration sets (files under the top-level `Migrations/` folder, compiled into the binary).
///
/// A new migration is a new numbered file plus one line here; `MigrationsTests` checks the two agree.
package enum Migrations {
    package static let catalog: [Migration] = [
        Migration(version: 1, name: "catalog_0001_initial.sql", bytes: PackageResources.catalog_0001_initial_sql),
        Migration(
            version: 2, name: "catalog_0002_delete_retention.sql",
            bytes: PackageResources.catalog_0002_delete_retention_sql),
        Migration(
            version: 3, name: "catalog_0003_producer_ids.sql", bytes: PackageResources.catalog_0003_producer_ids_sql),
        Migration(version: 4, name: "catalog_0004_topic_ids.sql", bytes: PackageResources.catalog_0004_topic_ids_sql),
        Migration(
            version: 5, name: "catalog_0005_share_groups.sql", bytes: PackageResources.catalog_0005_share_groups_sql),
    ]

    package static let topic: [Migration] = [
        Migration(version: 1, name: "topic_0001_initial.sql", bytes: PackageResources.topic_0001_initial_sql),
        Migration(version: 2, name: "topic_0002_compaction.sql", bytes: PackageResources.topic_0002_compaction_sql),
        Migration(
            version: 3, name: "topic_0003_producer_state.sql", bytes: PackageResources.topic_0003_producer_state_sql),
        Migration(
            version: 4, name: "topic_0004_share_state.sql", bytes: PackageResources.topic_0004_share_state_sql),
    ]

    /// Brings `connection`'s schema up to the newest of `migrations`, one transaction per step.
    ///
    /// Throws `.schemaTooNew` (touching nothing) when the database was written by a newer Sluice.
    package static func apply(_ migrations: [Migration], to connection: Connection) throws(SluiceError) {
        let latest = migrations.last?.version ?? 0
        do {
            let current = Int(try connection.scalarInt("PRAGMA user_version") ?? 0)
            if current > latest {
                throw SluiceError(
                    .schemaTooNew,
                    "\(connection.path) has schema version \(current), newer than this binary knows (\(latest)); "
                        + "upgrade sluice to open it"
                )
            }
            for migration in migrations where migration.version > current {
                try connection.transaction {
                    try connection.execute(migration.sql)
                    try connection.execute("PRAGMA user_version = \(migration.version)")
                }
            }
        } catch let error as SluiceError {
            throw error
        } catch let error as SQLiteError {
            throw error.sluiceError
        } catch {
            throw SluiceError(.storageError, "\(error)")
        }
    }
}
