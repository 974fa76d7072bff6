import Foundation
import SluiceCore
import SluiceStorage
import Testing

@Suite struct TopicWriterTests {
    @Test func appendsGetConsecutiveBaseOffsets() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            #expect(try writer.append(partition: 0, records: records(3), now: t0) == 0)
            #expect(try writer.append(partition: 0, records: records(1, from: 3), now: t0) == 3)
            #expect(try writer.append(partition: 0, records: records(5, from: 4), now: t0) == 4)
            #expect(
                try writer.offsets(partition: 0) == PartitionOffsets(partition: 0, logStartOffset: 0, nextOffset: 9))

            let reader = try store.openReader("t")
            #expect(try reader.offsets(partition: 0).nextOffset == 9)
            let stored = try reader.readAll(partition: 0)
            #expect(stored.map(\.offset) == Array(0..<9))
            #expect(stored.map(\.value) == records(9).map(\.value))
        }
    }

    @Test func groupAppendCommitsSeveralBatchesTogether() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 3), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 1, records: records(2), now: t0)

            let results = try writer.append(
                [
                    .init(partition: 0, records: records(2, from: 100)),
                    .init(partition: 1, records: records(3, from: 200)),
                    .init(partition: 0, records: records(1, from: 102)),
                    .init(partition: 2, records: records(4, from: 300)),
                ], now: t0 + 5
            ).map { try $0.get() }
            #expect(results.map(\.baseOffset) == [0, 2, 2, 0])
            #expect(results.map(\.count) == [2, 3, 1, 4])
            #expect(results.allSatisfy { $0.logAppendTime == t0 + 5 })

            let reader = try store.openReader("t")
            #expect(try reader.readAll(partition: 0).map(\.value) == records(3, from: 100).map(\.value))
            #expect(try reader.readAll(partition: 1).map(\.value) == (records(2) + records(3, from: 200)).map(\.value))
            #expect(try reader.readAll(partition: 2).map(\.offset) == [0, 1, 2, 3])
        }
    }

    @Test func groupAppendIsAllOrNothing() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(2), now: t0)

            expectError(.unknownPartition) {
                try writer.append(
                    [
                        .init(partition: 0, records: records(5)),
                        .init(partition: 1, records: records(5)),
                        .init(partition: 7, records: records(1)),
                    ], now: t0)
            }
            let reader = try store.openReader("t")
            #expect(try reader.offsets(partition: 0).nextOffset == 2)
            #expect(try reader.offsets(partition: 1).nextOffset == 0)
            #expect(try reader.readAll(partition: 1).isEmpty)

            // The writer forgets the rolled-back offsets and carries on from the committed ones.
            #expect(try writer.offsets(partition: 0).nextOffset == 2)
            #expect(try writer.append(partition: 0, records: records(1), now: t0) == 2)
            #expect(try writer.append(partition: 1, records: records(1), now: t0) == 0)
        }
    }

    @Test func unknownPartitionsAreRefused() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0)
            let writer = try store.openWriter("t")
            for partition: Int32 in [2, 100, -1] {
                expectError(.unknownPartition) { try writer.append(partition: partition, records: records(1), now: t0) }
                expectError(.unknownPartition) { try writer.offsets(partition: partition) }
            }
        }
    }

    @Test func recordsWithoutTimestampAreStampedWithNow() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            let batch = [
                ProducerRecord(value: [1]),
                ProducerRecord(value: [2], timestamp: t0 - 86_400_000),  // older than now: kept as given
                ProducerRecord(value: [3], timestamp: t0 + 60_000),  // in the future: kept as given
                ProducerRecord(value: [4], timestamp: 0),
                ProducerRecord(value: [5]),
            ]
            let result = try writer.append([.init(partition: 0, records: batch)], now: t0 + 42).map { try $0.get() }
            #expect(result.map(\.baseOffset) == [0] && result.map(\.count) == [5])
            #expect(result.map(\.logAppendTime) == [t0 + 42])
            try writer.append(partition: 0, records: [ProducerRecord(value: [6])], now: t0 + 43)

            let stored = try store.openReader("t").readAll(partition: 0)
            #expect(stored.map(\.timestamp) == [t0 + 42, t0 - 86_400_000, t0 + 60_000, 0, t0 + 42, t0 + 43])
        }
    }

    /// Offsets come from the partition's watermark row, not from the rows that happen to be stored.
    @Test func offsetsAreNeverReusedEvenWhenEveryRowIsDeleted() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try Store(path: dir)
                try store.createTopic("t", config: TopicConfig(), now: t0)
                try store.openWriter("t").append(partition: 0, records: records(10), now: t0)
            }
            try rawExecute("\(dir)/topics/t.db", "DELETE FROM partition_0")
            #expect(try rawScalar("\(dir)/topics/t.db", "SELECT count(*) FROM partition_0") == 0)

            let store = try Store(path: dir)
            let writer = try store.openWriter("t")
            #expect(try writer.offsets(partition: 0).nextOffset == 10)
            #expect(try writer.append(partition: 0, records: records(3, from: 10), now: t0) == 10)
            let stored = try store.openReader("t").readAll(partition: 0)
            #expect(stored.map(\.offset) == [10, 11, 12])
            #expect(stored.map(\.key) == records(3, from: 10).map(\.key))
        }
    }

    @Test func offsetsContinueAfterReopening() throws {
        try withTemporaryDirectory { dir in
            for round in 0..<3 {
                let store = try Store(path: dir)
                if round == 0 { try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0) }
                let writer = try store.openWriter("t")
                #expect(try writer.append(partition: 1, records: records(4), now: t0) == Int64(round * 4))
            }
        }
    }

    /// A writer must not pin a read transaction: that would stop every checkpoint and grow the WAL without bound.
    @Test func checkpointsKeepTheWALSmallWhileTheWriterIsOpen() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(durability: .normal), now: t0)
            let writer = try store.openWriter("t")
            let value = [UInt8](repeating: 7, count: 1024)
            for _ in 0..<200 {  // about 20 MB of records, five times SQLite's automatic checkpoint threshold
                try writer.append(
                    partition: 0, records: Array(repeating: ProducerRecord(value: value), count: 100), now: t0)
            }
            let wal = try FileManager.default.attributesOfItem(atPath: "\(dir)/topics/t.db-wal")[.size] as? Int ?? 0
            let db = try FileManager.default.attributesOfItem(atPath: "\(dir)/topics/t.db")[.size] as? Int ?? 0
            #expect(wal < 8 << 20, "the WAL grew to \(wal) bytes")
            #expect(db > 16 << 20, "only \(db) bytes reached the database file")
        }
    }
}
