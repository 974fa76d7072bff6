import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// Giving disk space back after deletions: incremental vacuum and WAL checkpoints, on real files.
@Suite struct SpaceTests {
    @Test func filesShrinkAfterALargeDeletion() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(retentionMs: nil, retentionBytes: nil), now: t0)
            let writer = try store.openWriter("t")
            let value = [UInt8](repeating: 0x5a, count: 2000)
            for batch in 0..<20 {
                try writer.append(
                    partition: 0,
                    records: (0..<500).map { i in
                        ProducerRecord(key: Array("\(batch)-\(i)".utf8), value: value)
                    }, now: t0)
            }
            let full = store.diskSize("t")
            #expect(full > 20_000_000)

            while try writer.truncate(partition: 0, before: .max, maxRecords: 2000).hasMore {}
            let afterDelete = try writer.spaceUsage()
            #expect(afterDelete.canReclaim)
            #expect(afterDelete.freePages > afterDelete.pageCount * 9 / 10)

            var reclaimed: Int64 = 0
            while true {
                let freed = try writer.reclaimSpace(maxPages: 256)
                reclaimed += freed
                if freed == 0 { break }
            }
            #expect(reclaimed == afterDelete.freePages)
            #expect(try writer.spaceUsage().freePages == 0)
            #expect(try writer.checkpoint(waitingAtMost: 100))
            #expect(FileSystem.size("\(dir)/topics/t.db-wal") == 0)
            #expect(store.diskSize("t") < full / 20, "\(store.diskSize("t")) of \(full) bytes remain")

            // Still a working topic, offsets where they were.
            #expect(try writer.append(partition: 0, records: [ProducerRecord(value: [1])], now: t0) == 10_000)
        }
    }

    /// A checkpoint that readers hold up reports so instead of waiting long or failing.
    @Test func aCheckpointHeldUpByAReaderGivesUpQuickly() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(10), now: t0)
            let reader = try Connection(path: "\(dir)/topics/t.db", flags: [.readOnly])
            try reader.execute("BEGIN")
            _ = try reader.scalarInt("SELECT count(*) FROM partition_0")  // holds a snapshot open
            try writer.append(partition: 0, records: records(10), now: t0)
            let start = ContinuousClock.now
            #expect(try writer.checkpoint(waitingAtMost: 50) == false)
            #expect(ContinuousClock.now - start < .seconds(1))
            try reader.execute("COMMIT")
            #expect(try writer.checkpoint(waitingAtMost: 50))
        }
    }
}
