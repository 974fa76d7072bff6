import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// `TopicWriter.compact`, tombstone removal and the compaction indexes, on real SQLite files.
@Suite struct CompactionTests {
    func record(_ key: String?, _ value: String?, at offset: Int64) -> ProducerRecord {
        ProducerRecord(key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) }, timestamp: t0 + offset)
    }

    /// 0 a=1, 1 b=1, 2 (keyless) x, 3 a=2, 4 b=2, 5 (keyless) y, 6 a=3, 7 c=1, 8 c=tombstone.
    var sample: [ProducerRecord] {
        let pairs: [(String?, String?)] = [
            ("a", "1"), ("b", "1"), (nil, "x"), ("a", "2"), ("b", "2"), (nil, "y"), ("a", "3"), ("c", "1"), ("c", nil),
        ]
        return pairs.enumerated().map { record($0.element.0, $0.element.1, at: Int64($0.offset)) }
    }

    func openCompacted(_ dir: String) throws -> (Store, TopicWriter) {
        let store = try Store(path: dir)
        try store.createTopic("t", config: TopicConfig(cleanupPolicy: .compact), now: t0)
        return (store, try store.openWriter("t"))
    }

    func stored(_ store: Store) throws -> [String] {
        try store.openReader("t").readAll(partition: 0).map { record in
            "\(record.offset) \(record.key.map { String(decoding: $0, as: UTF8.self) } ?? "-")="
                + (record.value.map { String(decoding: $0, as: UTF8.self) } ?? "nil")
        }
    }

    @Test func keepsTheLatestPerKeyInOrderWithOffsetsAndKeylessRecords() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openCompacted(dir)
            try writer.append(partition: 0, records: sample, now: t0)
            let result = try writer.compact(partition: 0, maxRecords: 100)
            #expect(result.examinedOffsets == 9)
            #expect(result.deletedRecords == 4)
            #expect(result.deletedBytes == 8)
            #expect(result.compactedOffset == 9)
            #expect(!result.hasMore)
            #expect(try stored(store) == ["2 -=x", "4 b=2", "5 -=y", "6 a=3", "8 c=nil"])
            let status = try writer.status(partition: 0)
            #expect(status.logStartOffset == 0)
            #expect(status.sizeBytes == 1 + 2 + 1 + 2 + 1)  // what remains: "x", "b2", "y", "a3", "c"
            #expect(try store.openReader("t").sizeBytes(partition: 0) == status.sizeBytes)
        }
    }

    @Test func chunkedPassesGiveTheSameResult() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openCompacted(dir)
            try writer.append(partition: 0, records: sample, now: t0)
            var passes = 0
            while try writer.compact(partition: 0, maxRecords: 2).hasMore { passes += 1 }
            #expect(passes == 4)
            #expect(try stored(store) == ["2 -=x", "4 b=2", "5 -=y", "6 a=3", "8 c=nil"])
        }
    }

    /// Each pass examines only what was appended since the last one, and the cursor survives a reopen.
    @Test func theCursorMakesPassesIncremental() throws {
        try withTemporaryDirectory { dir in
            do {
                let (_, writer) = try openCompacted(dir)
                try writer.append(partition: 0, records: sample, now: t0)
                try writer.compact(partition: 0, maxRecords: 100)
                #expect(try writer.compact(partition: 0, maxRecords: 100).examinedOffsets == 0)
            }
            let store = try Store(path: dir)
            let writer = try store.openWriter("t")
            #expect(try writer.status(partition: 0).compactedOffset == 9)
            #expect(try writer.status(partition: 0).compactionBacklog == 0)
            try writer.append(partition: 0, records: [record("a", "4", at: 9), record("d", "1", at: 10)], now: t0)
            #expect(try writer.status(partition: 0).compactionBacklog == 2)
            let result = try writer.compact(partition: 0, maxRecords: 100)
            #expect(result.examinedOffsets == 2)
            #expect(result.deletedRecords == 1)
            #expect(try stored(store) == ["2 -=x", "4 b=2", "5 -=y", "8 c=nil", "9 a=4", "10 d=1"])
        }
    }

    @Test func tombstonesGoOnlyAfterTheirDelayAndOnlyOnceCompacted() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openCompacted(dir)
            try writer.append(partition: 0, records: sample, now: t0)
            // Not compacted yet: the tombstone at 8 is not known to be the latest for its key.
            #expect(try writer.removeTombstones(partition: 0, olderThan: .max, maxRecords: 10).deletedRecords == 0)
            try writer.compact(partition: 0, maxRecords: 100)
            #expect(try writer.oldestTombstone(partition: 0) == t0 + 8)
            // Its timestamp is t0+8: it stays while the cutoff is not past it.
            #expect(try writer.removeTombstones(partition: 0, olderThan: t0 + 8, maxRecords: 10).deletedRecords == 0)
            let removed = try writer.removeTombstones(partition: 0, olderThan: t0 + 9, maxRecords: 10)
            #expect(removed.deletedRecords == 1)
            #expect(removed.deletedBytes == 1)
            #expect(removed.logStartOffset == 0)
            #expect(!removed.hasMore)
            #expect(try stored(store) == ["2 -=x", "4 b=2", "5 -=y", "6 a=3"])
            #expect(try writer.oldestTombstone(partition: 0) == nil)
            #expect(try writer.status(partition: 0).sizeBytes == 6)
        }
    }

    /// A tombstone that is no longer the latest for its key goes with compaction, not with the delay.
    @Test func aKeyWrittenAgainAfterItsTombstoneKeepsOnlyTheNewValue() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openCompacted(dir)
            try writer.append(partition: 0, records: sample + [record("c", "2", at: 9)], now: t0)
            try writer.compact(partition: 0, maxRecords: 100)
            #expect(try stored(store) == ["2 -=x", "4 b=2", "5 -=y", "6 a=3", "9 c=2"])
        }
    }

    /// Compaction and retention together: compaction leaves holes, retention still cuts by offset and moves the
    /// log start; keyless records are kept by compaction and removed by retention.
    @Test func retentionAfterCompactionSkipsHoles() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openCompacted(dir)
            try writer.append(partition: 0, records: sample, now: t0)
            try writer.compact(partition: 0, maxRecords: 100)
            let cut = try writer.retentionCut(partition: 0, keepingRecords: 4)
            #expect(cut == 5)
            let result = try writer.truncate(partition: 0, before: cut, maxRecords: 1)
            #expect(result.deletedRecords == 1)  // offset 2; 0, 1 and 3 were already gone
            #expect(result.logStartOffset == 4)
            #expect(result.hasMore)
            #expect(try writer.truncate(partition: 0, before: cut, maxRecords: 1).logStartOffset == 5)
            #expect(try store.openReader("t").readAll(partition: 0, from: 5).first?.offset == 5)
            #expect(try writer.firstRecord(partition: 0)?.offset == 5)
        }
    }

    /// Appends leave the key map alone; compaction keeps one entry per key; retention forgets deleted records.
    @Test func theKeyMapHoldsOneEntryPerKeyAndFollowsRetention() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openCompacted(dir)
            let path = "\(dir)/topics/t.db"
            let entries = "SELECT count(*) FROM compaction_keys"
            try writer.append(partition: 0, records: sample, now: t0)
            #expect(try rawScalar(path, entries) == 0)
            try writer.compact(partition: 0, maxRecords: 100)
            #expect(try rawScalar(path, entries) == 3)  // a, b, c
            #expect(
                try rawScalar(path, "SELECT count(*) FROM compaction_keys WHERE tombstone_timestamp IS NOT NULL") == 1)
            try writer.truncate(partition: 0, before: 7, maxRecords: 100)  // takes b (4) and a (6) with it
            #expect(try rawScalar(path, entries) == 1)
        }
    }

    /// A topic created with the delete policy can be compacted later: the first pass examines everything.
    @Test func compactionCanBeSwitchedOnLater() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: sample, now: t0)
            #expect(try writer.status(partition: 0).compactionBacklog == 9)
            try writer.compact(partition: 0, maxRecords: 100)
            #expect(try stored(store) == ["2 -=x", "4 b=2", "5 -=y", "6 a=3", "8 c=nil"])
        }
    }

    @Test func compactionScalesWithTheBacklogNotThePartition() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openCompacted(dir)
            // 20,000 records over 100 keys: compaction keeps the last 100.
            for batch in 0..<20 {
                try writer.append(
                    partition: 0,
                    records: (0..<1000).map { i in
                        ProducerRecord(key: Array("key\(i % 100)".utf8), value: Array("\(batch)-\(i)".utf8))
                    }, now: t0)
            }
            var deleted = 0
            while true {
                let result = try writer.compact(partition: 0, maxRecords: 2000)
                deleted += result.deletedRecords
                if !result.hasMore { break }
            }
            #expect(deleted == 19_900)
            let kept = try store.openReader("t").readAll(partition: 0)
            #expect(kept.map(\.offset) == Array(19_900..<20_000))
        }
    }
}
