import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// Opening a topic whose database file is missing, foreign or empty: a clear error naming the file, and the file
/// left as it was found.
@Suite struct DamagedTopicFileTests {
    /// A store with topic `t` holding a few records, closed again; returns the topic file's path.
    func prepare(_ dir: String) throws -> String {
        let store = try Store(path: dir)
        try store.createTopic("t", config: TopicConfig(), now: t0)
        try store.openWriter("t").append(partition: 0, records: records(3), now: t0)
        return store.directory.topicPath("t")
    }

    func removeSideFiles(_ path: String) {
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// SQLite takes an empty file for a new database: migrating it would give a topic with no partitions (and an
    /// error about partition 0) and overwrite the evidence. It is refused as damaged instead, untouched.
    @Test func anEmptyFileIsRefusedAndLeftUntouched() throws {
        try withTemporaryDirectory { dir in
            let path = try prepare(dir)
            removeSideFiles(path)
            try Data().write(to: URL(fileURLWithPath: path))
            let store = try Store(path: dir)
            let error = expectError(.corruptDatabase) { try store.openWriter("t") }
            #expect(error?.message.contains(path) == true, "\(String(describing: error))")
            #expect(error?.message.contains("empty") == true, "\(String(describing: error))")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
        }
    }

    @Test func aForeignFileIsRefusedAsCorrupt() throws {
        try withTemporaryDirectory { dir in
            let path = try prepare(dir)
            removeSideFiles(path)
            let text = Data(String(repeating: "not a database\n", count: 100).utf8)
            try text.write(to: URL(fileURLWithPath: path))
            let store = try Store(path: dir)
            expectError(.corruptDatabase) { try store.openWriter("t") }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == text)
        }
    }

    @Test func aMissingFileIsReportedNotRecreated() throws {
        try withTemporaryDirectory { dir in
            let path = try prepare(dir)
            removeSideFiles(path)
            try FileManager.default.removeItem(atPath: path)
            let store = try Store(path: dir)
            let error = expectError(.storageError) { try store.openWriter("t") }
            #expect(error?.message.contains(path) == true, "\(String(describing: error))")
            #expect(!fileExists(path))
        }
    }
}
