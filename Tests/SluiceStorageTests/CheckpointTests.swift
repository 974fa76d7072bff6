import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// The WAL is checkpointed off the writer's path, and stays bounded without help.
@Suite struct CheckpointTests {
    static func walBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
    }

    /// 1 KiB values: about four records a page.
    static func large(_ count: Int, from first: Int) -> [ProducerRecord] {
        (first..<first + count).map {
            ProducerRecord(value: Array(repeating: UInt8(truncatingIfNeeded: $0), count: 1024))
        }
    }

    @Test func aWriterAloneKeepsItsWALBounded() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            var most = 0
            for batch in 0..<100 {
                try writer.append(partition: 0, records: Self.large(100, from: batch * 100), now: t0)
                most = max(most, writer.walFrames)
            }
            // About 10,000 pages were written; the writer checkpointed at the inline limit and started again.
            #expect(most >= TopicWriter.inlineCheckpointFrames)
            #expect(most < TopicWriter.inlineCheckpointFrames + 100)
            #expect(Self.walBytes(store.directory.topicPath("t")) < (TopicWriter.inlineCheckpointFrames + 100) * 4200)
        }
    }

    @Test func aBackgroundCheckpointThenTheResidueLetTheWALStartAgain() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            let path = store.directory.topicPath("t")
            var next = 0
            while writer.walFrames < TopicWriter.backgroundCheckpointFrames {
                try writer.append(partition: 0, records: Self.large(20, from: next), now: t0)
                next += 20
            }
            // Copied on a connection of its own, with the writer still open and no write lock taken.
            #expect(try TopicWriter.checkpointInBackground(path: path))
            // Committed after it: the writer copies that residue, and its next transaction starts the WAL again.
            try writer.append(partition: 0, records: Self.large(20, from: next), now: t0)
            let before = writer.walFrames
            writer.checkpointResidue()
            try writer.append(partition: 0, records: Self.large(1, from: next + 20), now: t0)
            #expect(writer.walFrames < 20, "the WAL went on from \(before) pages to \(writer.walFrames)")

            let reader = try store.openReader("t")
            let stored = try reader.readAll(partition: 0)
            #expect(stored.count == next + 21)
            #expect(stored.map(\.offset) == (0..<Int64(next + 21)).map { $0 })
        }
    }
}
