import Foundation
import SluiceCore
import SluiceStorage
import Testing

@Suite struct MigrationsTests {
    /// The top-level `Migrations/` folder, found from this file's place in the repository.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Migrations")

    /// Every `.sql` file is embedded, in order, with its version in its name, and nothing else is.
    @Test(arguments: [("catalog", Migrations.catalog), ("topic", Migrations.topic)])
    func embeddedMigrationsMatchTheFolder(set: String, migrations: [Migration]) throws {
        let directory = Self.folder.appendingPathComponent(set)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!files.isEmpty)
        #expect(migrations.map(\.name) == files)
        #expect(migrations.map(\.version) == Array(1...max(1, files.count)))
        for migration in migrations {
            let expectedPrefix =
                "\(set)_" + String(repeating: "0", count: max(0, 4 - String(migration.version).count))
                + String(migration.version) + "_"
            #expect(migration.name.hasPrefix(expectedPrefix), "\(migration.name) is not numbered \(migration.version)")
            let text = try String(contentsOf: directory.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(migration.sql == text, "\(migration.name) differs from the embedded copy")
        }
    }

    @Test func aFreshDatabaseIsAtTheLatestVersion() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            #expect(
                try rawScalar("\(dir)/catalog.db", "PRAGMA user_version") == Int64(Migrations.catalog.last!.version))
            #expect(try rawScalar("\(dir)/topics/t.db", "PRAGMA user_version") == Int64(Migrations.topic.last!.version))
        }
    }

    /// A catalog written by a newer Sluice is refused, and neither its version nor a byte of it changes (not even
    /// the journal mode, should someone have taken it out of WAL).
    @Test(arguments: ["WAL", "DELETE"])
    func aNewerCatalogIsRefusedAndLeftUntouched(journalMode: String) throws {
        try withTemporaryDirectory { dir in
            let path = "\(dir)/catalog.db"
            let newer = Migrations.catalog.last!.version + 1
            try rawExecute(
                path,
                """
                PRAGMA journal_mode = \(journalMode);
                CREATE TABLE from_the_future (x INTEGER) STRICT;
                PRAGMA user_version = \(newer);
                """)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let error = expectError(.schemaTooNew) { try Store(path: dir) }
            #expect(error?.message.contains("\(newer)") == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try rawScalar(path, "PRAGMA user_version") == Int64(newer))
        }
    }

    /// A topic database written by a newer Sluice is refused by the writer, and left as it was.
    @Test(arguments: ["WAL", "DELETE"])
    func aNewerTopicDatabaseIsRefusedAndLeftUntouched(journalMode: String) throws {
        try withTemporaryDirectory { dir in
            let path = "\(dir)/topics/t.db"
            let newer = Migrations.topic.last!.version + 5
            do {
                let store = try Store(path: dir)
                try store.createTopic("t", config: TopicConfig(), now: t0)
                try store.openWriter("t").append(partition: 0, records: records(3), now: t0)
            }
            try rawExecute(path, "PRAGMA user_version = \(newer); PRAGMA journal_mode = \(journalMode)")
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let store = try Store(path: dir)
            expectError(.schemaTooNew) { try store.openWriter("t") }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try rawScalar(path, "PRAGMA user_version") == Int64(newer))
        }
    }

    /// Topics of a catalog from before topic ids get one each when it is migrated, distinct and kept from then on.
    @Test func topicsThatExistedBeforeTopicIDsGetOneOnMigration() throws {
        try withTemporaryDirectory { dir in
            // The catalog as the version before ids left it: no column, version 3.
            let path = "\(dir)/catalog.db"
            try Migrations.apply(Array(Migrations.catalog.prefix(3)), to: Connection(path: path))
            try rawExecute(
                path,
                """
                INSERT INTO topics (name, partitions, max_message_bytes, created_ms) VALUES ('a', 1, 1000, 1);
                INSERT INTO topics (name, partitions, max_message_bytes, created_ms) VALUES ('b', 1, 1000, 1);
                """)
            #expect(try rawScalar(path, "PRAGMA user_version") == 3)
            let first = try Store(path: dir).topics()
            #expect(first.map(\.name) == ["a", "b"])
            #expect(first.allSatisfy { !$0.topicID.isZero })
            #expect(first[0].topicID != first[1].topicID)
            #expect(try Store(path: dir).topics().map(\.topicID) == first.map(\.topicID), "kept across opens")
        }
    }
}
