import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// `TopicWriter.truncate` and the retention planning helpers, on real SQLite files.
@Suite struct RetentionTests {
    /// A record of exactly 10 bytes (2-byte key, 8-byte value) stamped `timestamp`.
    func tenBytes(_ i: Int, timestamp: Int64? = nil) -> ProducerRecord {
        ProducerRecord(
            key: Array(String(format: "%02d", i % 100).utf8), value: Array(String(format: "v%07d", i).utf8),
            timestamp: timestamp)
    }

    func openTopic(_ dir: String, partitions: Int32 = 1) throws -> (Store, TopicWriter) {
        let store = try Store(path: dir)
        try store.createTopic(
            "t", config: TopicConfig(partitions: partitions, retentionMs: nil, retentionBytes: nil),
            now: t0)
        return (store, try store.openWriter("t"))
    }

    @Test func truncateDeletesBelowTheCutAndRaisesTheLogStart() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openTopic(dir)
            try writer.append(partition: 0, records: (0..<10).map { tenBytes($0) }, now: t0)
            #expect(try writer.status(partition: 0).sizeBytes == 100)

            let result = try writer.truncate(partition: 0, before: 4, maxRecords: 100)
            #expect(result.deletedRecords == 4)
            #expect(result.deletedBytes == 40)
            #expect(result.logStartOffset == 4)
            #expect(!result.hasMore)
            #expect(
                try writer.offsets(partition: 0) == PartitionOffsets(partition: 0, logStartOffset: 4, nextOffset: 10))
            #expect(try writer.status(partition: 0).sizeBytes == 60)

            let reader = try store.openReader("t")
            #expect(try reader.offsets(partition: 0).logStartOffset == 4)
            #expect(try reader.sizeBytes(partition: 0) == 60)
            expectError(.offsetOutOfRange) { try reader.read(partition: 0, from: 3) as [Record] }
            #expect(try reader.readAll(partition: 0, from: 4).map(\.offset) == Array(4..<10))
        }
    }

    @Test func truncateWorksInBoundedChunks() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            try writer.append(partition: 0, records: (0..<10).map { tenBytes($0) }, now: t0)
            var results: [DeletionResult] = []
            repeat {
                results.append(try writer.truncate(partition: 0, before: 8, maxRecords: 3))
            } while results.last!.hasMore
            #expect(results.map(\.deletedRecords) == [3, 3, 2])
            #expect(results.map(\.logStartOffset) == [3, 6, 8])
            #expect(try writer.status(partition: 0).sizeBytes == 20)
            // Nothing left below the cut: a further call deletes nothing.
            #expect(try writer.truncate(partition: 0, before: 8, maxRecords: 3).deletedRecords == 0)
        }
    }

    /// The cut never passes the next offset, and offsets keep growing after everything is gone, across a reopen.
    @Test func offsetsKeepGrowingAfterTruncatingEverything() throws {
        try withTemporaryDirectory { dir in
            do {
                let (_, writer) = try openTopic(dir)
                try writer.append(partition: 0, records: (0..<10).map { tenBytes($0) }, now: t0)
                let result = try writer.truncate(partition: 0, before: 1_000, maxRecords: 100)
                #expect(result.logStartOffset == 10)
                #expect(try writer.status(partition: 0).sizeBytes == 0)
                #expect(try writer.append(partition: 0, records: [tenBytes(10)], now: t0) == 10)
            }
            let store = try Store(path: dir)
            let writer = try store.openWriter("t")
            #expect(
                try writer.offsets(partition: 0) == PartitionOffsets(partition: 0, logStartOffset: 10, nextOffset: 11))
            #expect(try writer.append(partition: 0, records: [tenBytes(11)], now: t0) == 11)
            #expect(try store.openReader("t").readAll(partition: 0, from: 10).map(\.offset) == [10, 11])
        }
    }

    @Test func truncateRemovesTimeIndexEntriesBelowTheNewStart() throws {
        try withTemporaryDirectory { dir in
            let (store, writer) = try openTopic(dir)
            for batch in 0..<10 {
                try writer.append(
                    partition: 0, records: (0..<1000).map { tenBytes(batch * 1000 + $0, timestamp: t0 + Int64(batch)) },
                    now: t0)
            }
            let path = "\(dir)/topics/t.db"
            #expect(try rawScalar(path, "SELECT count(*) FROM time_index") == 2)  // after offsets 4999 and 9999
            try writer.truncate(partition: 0, before: 6000, maxRecords: 10_000)
            #expect(try rawScalar(path, "SELECT count(*) FROM time_index") == 1)
            #expect(try store.openReader("t").offset(partition: 0, atOrAfter: t0 + 5)?.offset == 6000)
            #expect(try store.openReader("t").offset(partition: 0, atOrAfter: t0 + 8)?.offset == 8000)
        }
    }

    // MARK: - Planning

    /// Age cuts at the first record not older than the cutoff: a far-future timestamp holds back what follows it.
    @Test func ageCutStopsAtTheFirstRecordNotOlderThanTheCutoff() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            let stamps: [Int64] = [0, 10, 20, 1_000_000, 5, 30]
            try writer.append(
                partition: 0, records: stamps.enumerated().map { tenBytes($0.offset, timestamp: t0 + $0.element) },
                now: t0)
            #expect(try writer.retentionCut(partition: 0, olderThan: t0) == 0)
            #expect(try writer.retentionCut(partition: 0, olderThan: t0 + 15) == 2)
            // Offset 4 (t0+5) is older, but waits behind offset 3's far-future timestamp.
            #expect(try writer.retentionCut(partition: 0, olderThan: t0 + 25) == 3)
            #expect(try writer.retentionCut(partition: 0, olderThan: t0 + 2_000_000) == 6)
            try writer.truncate(partition: 0, before: 2, maxRecords: 10)
            #expect(try writer.retentionCut(partition: 0, olderThan: t0 + 1) == 2)
        }
    }

    /// Many records: the time index skips ahead, and the answer is exact.
    @Test func ageCutUsesTheTimeIndex() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            for batch in 0..<20 {
                try writer.append(
                    partition: 0,
                    records: (0..<1000).map { i in
                        tenBytes(i, timestamp: t0 + Int64(batch * 1000 + i))
                    }, now: t0)
            }
            for cutoff in [0, 1, 4095, 4096, 4097, 12_345, 19_999] {
                #expect(try writer.retentionCut(partition: 0, olderThan: t0 + Int64(cutoff)) == Int64(cutoff))
            }
            #expect(try writer.retentionCut(partition: 0, olderThan: t0 + 20_000) == 20_000)
        }
    }

    @Test func sizeCutKeepsAtMostTheLimitAndWalksInBoundedSteps() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            try writer.append(partition: 0, records: (0..<10).map { tenBytes($0) }, now: t0)
            #expect(try writer.retentionCut(partition: 0, keepingBytes: 100, scanLimit: 100) == 0)
            #expect(try writer.retentionCut(partition: 0, keepingBytes: 99, scanLimit: 100) == 1)
            #expect(try writer.retentionCut(partition: 0, keepingBytes: 35, scanLimit: 100) == 7)
            #expect(try writer.retentionCut(partition: 0, keepingBytes: 35, scanLimit: 3) == 3)
            #expect(try writer.retentionCut(partition: 0, keepingBytes: 1, scanLimit: 100) == 10)
        }
    }

    /// Sizes count the encoded headers as `size_bytes` does, so cutting everything leaves exactly zero.
    @Test func sizeAccountingMatchesAppendsWithHeaders() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            let records = (0..<20).map { i in
                ProducerRecord(
                    key: i % 3 == 0 ? nil : Array("key\(i)".utf8),
                    value: i % 5 == 0 ? nil : Array(repeating: 7, count: i),
                    headers: i % 2 == 0 ? [Header(name: "h\(i)", value: [1, 2]), Header(name: "n", value: nil)] : [])
            }
            try writer.append(partition: 0, records: records, now: t0)
            let total = try writer.status(partition: 0).sizeBytes
            let cut = try writer.retentionCut(partition: 0, keepingBytes: total / 2, scanLimit: 100)
            let deleted = try writer.truncate(partition: 0, before: cut, maxRecords: 100)
            #expect(try writer.status(partition: 0).sizeBytes == total - deleted.deletedBytes)
            #expect(total - deleted.deletedBytes <= total / 2)
            try writer.truncate(partition: 0, before: 20, maxRecords: 100)
            #expect(try writer.status(partition: 0).sizeBytes == 0)
        }
    }

    @Test func countCutKeepsTheLastOffsets() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            try writer.append(partition: 0, records: (0..<10).map { tenBytes($0) }, now: t0)
            #expect(try writer.retentionCut(partition: 0, keepingRecords: 4) == 6)
            #expect(try writer.retentionCut(partition: 0, keepingRecords: 40) == 0)
        }
    }

    /// The combined cut takes the furthest policy, and nothing under a compact-only policy.
    @Test func combinedCutTakesTheFurthestPolicy() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir, partitions: 2)
            try writer.append(
                partition: 1, records: (0..<10).map { tenBytes($0, timestamp: t0 + Int64($0) * 1000) }, now: t0)
            let now = t0 + 10_000
            func cut(_ config: TopicConfig) throws -> Int64 {
                try writer.retentionCut(partition: 1, config: config, now: now, scanLimit: 100)
            }
            #expect(try cut(TopicConfig(retentionMs: nil, retentionBytes: nil)) == 0)
            #expect(try cut(TopicConfig(retentionMs: 5_500, retentionBytes: nil)) == 5)
            #expect(try cut(TopicConfig(retentionMs: 5_500, retentionBytes: 30)) == 7)
            #expect(try cut(TopicConfig(retentionMs: 5_500, retentionBytes: 30, retentionRecords: 2)) == 8)
            #expect(try cut(TopicConfig(retentionMs: 1, retentionBytes: nil)) == 10)
            #expect(try cut(TopicConfig(retentionMs: 1, cleanupPolicy: .compact)) == 0)
            #expect(try cut(TopicConfig(retentionMs: .max, retentionBytes: nil)) == 0)
            #expect(
                try writer.retentionCut(partition: 0, config: TopicConfig(retentionMs: 1), now: now, scanLimit: 100)
                    == 0)
        }
    }

    @Test func firstRecordSkipsWhatWasDeleted() throws {
        try withTemporaryDirectory { dir in
            let (_, writer) = try openTopic(dir)
            #expect(try writer.firstRecord(partition: 0) == nil)
            try writer.append(partition: 0, records: (0..<5).map { tenBytes($0, timestamp: t0 + Int64($0)) }, now: t0)
            try writer.truncate(partition: 0, before: 2, maxRecords: 10)
            #expect(try writer.firstRecord(partition: 0).map { [$0.offset, $0.timestamp] } == [2, t0 + 2])
        }
    }
}
