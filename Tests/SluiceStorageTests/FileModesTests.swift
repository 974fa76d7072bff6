import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// The data directory is the server's own: folders 0700, files 0600, whatever the process's umask.
@Suite struct FileModesTests {
    private func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
    }

    @Test func aNewDataDirectoryAndEveryFileInItAreTheOwnersOnly() throws {
        try withTemporaryDirectory { parent in
            let dir = "\(parent)/data"
            let store = try Store(path: dir)
            try store.createTopic("orders", config: TopicConfig(partitions: 2), now: t0)
            let writer = try store.openWriter("orders")
            _ = try writer.append(partition: 0, records: [ProducerRecord(value: Array("v".utf8))], now: t0)
            #expect(mode(dir) == 0o700)
            #expect(mode("\(dir)/topics") == 0o700)
            for file in ["LOCK", "catalog.db", "catalog.db-wal", "topics/orders.db", "topics/orders.db-wal"] {
                #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file)"), "\(file)")
                #expect(mode("\(dir)/\(file)") == 0o600, "\(file)")
            }
        }
    }

    @Test func anOpenDirectoryLeftByAnOlderVersionIsTightenedAtOpen() throws {
        try withTemporaryDirectory { parent in
            let dir = "\(parent)/data"
            do {
                let store = try Store(path: dir)
                try store.createTopic("orders", config: TopicConfig(), now: t0)
            }
            for (path, loose) in [
                (dir, 0o755), ("\(dir)/topics", 0o750), ("\(dir)/catalog.db", 0o644),
                ("\(dir)/topics/orders.db", 0o640),
            ] {
                try FileManager.default.setAttributes([.posixPermissions: loose], ofItemAtPath: path)
            }
            let reopened = try Store(path: dir)
            #expect(try reopened.topics().map(\.name) == ["orders"])
            #expect(mode(dir) == 0o700)
            #expect(mode("\(dir)/topics") == 0o700)
            #expect(mode("\(dir)/catalog.db") == 0o600)
            #expect(mode("\(dir)/topics/orders.db") == 0o600)
        }
    }
}
