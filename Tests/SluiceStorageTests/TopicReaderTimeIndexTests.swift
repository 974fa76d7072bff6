import SluiceCore
import SluiceStorage
import Testing

/// `TopicReader.offset(partition:atOrAfter:)` over enough records that the sparse time index (an entry every 4096
/// records) holds several entries.
@Suite struct TopicReaderTimeIndexTests {
    static let count = 20_000

    /// Appends records `0..<count` with `timestamp(i)`, in batches of 500, and hands over a reader.
    private func withTimestamps<T>(_ timestamp: (Int) -> Int64, _ body: (TopicReader) throws -> T) throws -> T {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0)
            let writer = try store.openWriter("t")
            for start in stride(from: 0, to: Self.count, by: 500) {
                let batch = (start..<start + 500).map { ProducerRecord(value: [1], timestamp: timestamp($0)) }
                try writer.append(partition: 1, records: batch, now: t0)
            }
            let entries = try rawScalar("\(dir)/topics/t.db", "SELECT count(*) FROM time_index WHERE partition = 1")
            #expect((entries ?? 0) >= 4, "the time index has \(entries ?? 0) entries")
            return try body(try store.openReader("t"))
        }
    }

    @Test func increasingTimestamps() throws {
        // Record i has timestamp t0 + 2i, so odd offsets from t0 fall between two records.
        try withTimestamps({ t0 + 2 * Int64($0) }) { reader in
            func lookup(_ timestamp: Int64) throws -> Int64? {
                try reader.offset(partition: 1, atOrAfter: timestamp)?.offset
            }
            #expect(try lookup(0) == 0)
            #expect(try lookup(t0 - 1) == 0)
            #expect(try lookup(t0) == 0)
            #expect(try lookup(t0 + 1) == 1)
            for i: Int64 in [4095, 4096, 4097, 8191, 8192, 12_288, 12_345, 16_000] {
                #expect(try lookup(t0 + 2 * i) == i, "exactly the timestamp of \(i)")
                #expect(try lookup(t0 + 2 * i - 1) == i, "just before the timestamp of \(i)")
            }
            let last = Int64(Self.count - 1)
            let hit = try reader.offset(partition: 1, atOrAfter: t0 + 2 * last)
            #expect(hit?.offset == last && hit?.timestamp == t0 + 2 * last)
            #expect(try lookup(t0 + 2 * last + 1) == nil)
            #expect(try lookup(.max) == nil)
            #expect(try reader.offset(partition: 0, atOrAfter: 0) == nil, "partition 0 is empty")
        }
    }

    /// Producers' clocks disagree: timestamps jitter by ±10 s around a rising line, with rare spikes far ahead.
    /// The answer is still the first offset whose timestamp is at or after the one asked for.
    @Test func nonMonotonicTimestamps() throws {
        let timestamps = (0..<Self.count).map { i -> Int64 in
            let jitter = Int64((UInt64(i) &* 2_654_435_761) % 20_001) - 10_000
            let spike: Int64 = i % 5003 == 17 ? 500_000 : 0
            return t0 + 10 * Int64(i) + jitter + spike
        }
        try withTimestamps({ timestamps[$0] }) { reader in
            var targets = Array(stride(from: t0 - 20_000, through: t0 + 10 * Int64(Self.count) + 20_000, by: 3001))
            targets += timestamps.enumerated().filter { $0.offset % 1999 == 0 }.map(\.element)  // exact hits
            targets += [timestamps.max()!, timestamps.max()! + 1]
            for target in targets {
                let first = timestamps.firstIndex { $0 >= target }
                let found = try reader.offset(partition: 1, atOrAfter: target)
                #expect(found?.offset == first.map(Int64.init), "first offset at or after \(target)")
                #expect(found?.timestamp == first.map { timestamps[$0] })
            }
        }
    }
}
