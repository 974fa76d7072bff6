import Foundation
import SluiceCore
import SluiceStorage
import Testing

@Suite struct TopicReaderTests {
    /// A store with topic `t` (one partition) holding `count` records of `valueSize`-byte values and no key.
    private func withRecords<T>(_ count: Int, valueSize: Int = 100, _ body: (Store, TopicReader) throws -> T) throws
        -> T
    {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let batch = (0..<count).map { ProducerRecord(value: [UInt8](repeating: UInt8($0 % 256), count: valueSize)) }
            if count > 0 { try store.openWriter("t").append(partition: 0, records: batch, now: t0) }
            return try body(store, try store.openReader("t"))
        }
    }

    @Test func readStopsAtMaxRecords() throws {
        try withRecords(10) { _, reader in
            var offsets: [Int64] = []
            let summary = try reader.read(partition: 0, from: 0, maxRecords: 4) { offsets.append($0.offset) }
            #expect(offsets == [0, 1, 2, 3])
            #expect(summary.logStartOffset == 0 && summary.highWatermark == 10)
            #expect(summary.recordCount == 4 && summary.bytes == 400)

            let rest: [Record] = try reader.read(partition: 0, from: 4, maxRecords: 100)
            #expect(rest.map(\.offset) == Array(4..<10))
            #expect(try reader.read(partition: 0, from: 9, maxRecords: 0).isEmpty)
        }
    }

    @Test func readStopsBeforeMaxBytesButReturnsAtLeastOneRecord() throws {
        try withRecords(10) { _, reader in
            let summary = try reader.read(partition: 0, from: 0, maxBytes: 250) { _ in }
            #expect(summary.recordCount == 2)
            #expect(summary.bytes == 200)
            #expect(try reader.read(partition: 0, from: 3, maxBytes: 300).map(\.offset) == [3, 4, 5])

            // A record larger than the limit still comes back, alone, so a consumer can get past it.
            for limit in [0, 1, 99] {
                let records: [Record] = try reader.read(partition: 0, from: 7, maxBytes: limit)
                #expect(records.map(\.offset) == [7])
            }
        }
    }

    @Test func readingAtTheNextOffsetReturnsNothing() throws {
        try withRecords(0) { store, reader in
            let empty = try reader.read(partition: 0, from: 0) { _ in Issue.record("an empty partition has no records")
            }
            #expect(empty.logStartOffset == 0 && empty.highWatermark == 0)
            #expect(empty.recordCount == 0 && empty.bytes == 0)

            try store.openWriter("t").append(partition: 0, records: records(5), now: t0)
            let atEnd = try reader.read(partition: 0, from: 5) { _ in Issue.record("nothing is stored at offset 5") }
            #expect(atEnd.logStartOffset == 0 && atEnd.highWatermark == 5)
            #expect(atEnd.recordCount == 0 && atEnd.bytes == 0)
        }
    }

    @Test func offsetsOutsideTheLogAreOutOfRange() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try Store(path: dir)
                try store.createTopic("t", config: TopicConfig(), now: t0)
                try store.openWriter("t").append(partition: 0, records: records(5), now: t0)
            }
            // What retention does: raise the log start and delete below it.
            try rawExecute(
                "\(dir)/topics/t.db",
                """
                UPDATE partition_state SET log_start_offset = 2 WHERE partition = 0;
                DELETE FROM partition_0 WHERE offset < 2;
                """)
            let reader = try Store(path: dir).openReader("t")
            #expect(
                try reader.offsets(partition: 0) == PartitionOffsets(partition: 0, logStartOffset: 2, nextOffset: 5))
            for offset: Int64 in [-1, 0, 1, 6, 1000] {
                let error = expectError(.offsetOutOfRange) { try reader.read(partition: 0, from: offset) { _ in } }
                #expect(error?.message.contains("\(offset)") == true)
            }
            #expect(try reader.read(partition: 0, from: 2).map(\.offset) == [2, 3, 4])
            #expect(try reader.read(partition: 0, from: 5).isEmpty)
        }
    }

    @Test func unknownPartitionsAreRefused() throws {
        try withRecords(1) { _, reader in
            expectError(.unknownPartition) { try reader.read(partition: 1, from: 0) { _ in } }
            expectError(.unknownPartition) { try reader.offsets(partition: 1) }
            expectError(.unknownPartition) { try reader.sizeBytes(partition: -1) }
            expectError(.unknownPartition) { try reader.offset(partition: 3, atOrAfter: t0) }
        }
    }

    @Test func aReaderSeesEveryCommitWithoutReopening() throws {
        try withRecords(0) { store, reader in
            let writer = try store.openWriter("t")
            for round in 0..<3 {
                try writer.append(partition: 0, records: records(2, from: round * 2), now: t0)
                #expect(try reader.offsets(partition: 0).nextOffset == Int64(round * 2 + 2))
                #expect(try reader.readAll(partition: 0).count == round * 2 + 2)
            }
        }
    }

    @Test func sizeBytesCountsKeysValuesAndHeaders() throws {
        try withRecords(0) { store, reader in
            #expect(try reader.sizeBytes(partition: 0) == 0)
            let writer = try store.openWriter("t")
            try writer.append(
                partition: 0,
                records: [
                    ProducerRecord(key: [1, 2], value: [1, 2, 3]),
                    ProducerRecord(value: nil),
                    ProducerRecord(key: [], value: []),
                ], now: t0)
            #expect(try reader.sizeBytes(partition: 0) == 5)

            try writer.append(
                partition: 0,
                records: [
                    ProducerRecord(
                        key: [9], value: [9],
                        headers: [Header(name: "name", value: [1, 2]), Header(name: "n", value: nil)])
                ], now: t0)
            var viewed = 0
            try reader.read(partition: 0, from: 0) { viewed += $0.sizeInBytes }
            let size = try reader.sizeBytes(partition: 0)
            #expect(size == Int64(viewed))
            #expect(size > 5 + 2 + 6)  // the headers count too, in their stored form
        }
    }

    /// Everything a producer can send comes back exactly: empty versus absent, zero bytes, header order and nils.
    @Test func recordsRoundTripExactly() throws {
        let megabyte = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }
        let sent = [
            ProducerRecord(key: nil, value: megabyte, timestamp: t0),
            ProducerRecord(key: [], value: [], timestamp: t0 + 1),
            ProducerRecord(key: [0], value: nil, timestamp: t0 + 2),
            ProducerRecord(key: [0, 0, 0], value: [0, 255, 0, 1, 0], timestamp: t0 + 3),
            ProducerRecord(
                key: Array("ключ".utf8), value: Array("\u{0}text\u{0}".utf8),
                headers: [
                    Header(name: "b", value: [1]),
                    Header(name: "a", value: nil),
                    Header(name: "", value: []),
                    Header(name: "b", value: [0, 0]),
                    Header(name: "ünïcode", value: Array(repeating: 0xAB, count: 300)),
                ], timestamp: t0 + 4),
            ProducerRecord(value: [42], headers: [Header(name: "only-nil", value: nil)], timestamp: t0 + 5),
        ]
        try withTemporaryDirectory { dir in
            let expected = sent.enumerated().map { index, record in
                Record(
                    offset: Int64(index), timestamp: record.timestamp!, key: record.key, value: record.value,
                    headers: record.headers)
            }
            do {
                let store = try Store(path: dir)
                try store.createTopic("t", config: TopicConfig(), now: t0)
                try store.openWriter("t").append(partition: 0, records: sent, now: t0)
                let reader = try store.openReader("t")
                // One at a time, with the default byte limit: the 1 MiB record is larger than it.
                let oneByOne = try (0..<Int64(sent.count)).flatMap { offset -> [Record] in
                    try reader.read(partition: 0, from: offset, maxRecords: 1)
                }
                #expect(oneByOne == expected)
            }
            let reopened = try Store(path: dir).openReader("t")
            let stored = try reopened.readAll(partition: 0)
            #expect(stored == expected)
            #expect(stored[0].value?.count == 1 << 20)
            #expect(stored[1].key == [] && stored[1].value == [])
            #expect(stored[2].value == nil)
            #expect(stored[0].key == nil)
        }
    }
}
