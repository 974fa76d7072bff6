import SluiceCore
import SluiceStorage

/// `storage-bench DIR --records N --batch B --size BYTES --durability full|normal [--cleanup-policy P]`: storage
/// throughput. `--cleanup-policy compact` measures appends with the compaction indexes in place.
///
/// Appends N records (an 8-byte key, a BYTES-byte value, no headers) to one partition in batches of B through
/// `TopicWriter.append`, then reads them back through `TopicReader.read` in chunks of 1000, touching each key and
/// value. The records are built before the clock starts, so the figures measure storage alone, as
/// `Scripts/sqlite_limit.c` measures raw SQLite on the same schema. Prints one CSV line per phase:
/// `phase,MODE,batch,size,records,seconds,records_per_second`.
enum StorageBench {
    static let topic = "bench"
    static let readChunk = 1000

    static func run(_ arguments: [String]) throws {
        let options = try Arguments(arguments, options: ["records", "batch", "size", "durability", "cleanup-policy"])
        guard options.positional.count == 1 else { throw UsageError("storage-bench needs DIR") }
        let records = try options.positiveInt("records")
        let batchSize = try options.positiveInt("batch")
        let size = try options.positiveInt("size")
        let durability = try options.durability()
        let mode = durability.rawValue.uppercased()
        guard let policy = CleanupPolicy(name: options.string("cleanup-policy") ?? "delete") else {
            throw UsageError("--cleanup-policy must be delete, compact or compact,delete")
        }

        let store = try Store(path: options.positional[0])
        if try store.topics().contains(where: { $0.name == topic }) {
            try store.deleteTopic(topic)
        }
        let config = TopicConfig(
            retentionMs: nil, retentionBytes: nil, cleanupPolicy: policy, durability: durability,
            maxMessageBytes: max(size + 64, TopicConfig.defaultMaxMessageBytes)
        )
        try store.createTopic(topic, config: config, now: wallClockMillis())

        var batches = makeBatches(records: records, batchSize: batchSize, size: size)
        do {
            let writer = try store.openWriter(topic)
            let start = ContinuousClock.now
            for batch in batches {
                try writer.append(partition: 0, records: batch, now: wallClockMillis())
            }
            report("write", mode, batchSize, size, records, start.duration(to: .now))
        }  // The writer closes here, as the C program closes its connection before reading.
        batches = []

        let reader = try store.openReader(topic)
        var offset: Int64 = 0
        var bytes = 0
        var checksum = 0
        let start = ContinuousClock.now
        while offset < Int64(records) {
            let summary = try reader.read(partition: 0, from: offset, maxRecords: readChunk, maxBytes: .max) { view in
                bytes += (view.key?.count ?? 0) + (view.value?.count ?? 0)
                checksum &+= Int(view.value?.first ?? 0)
            }
            if summary.recordCount == 0 { break }
            offset += Int64(summary.recordCount)
        }
        let elapsed = start.duration(to: .now)
        guard offset == Int64(records), bytes == records * (8 + size) else {
            throw SluiceError(.storageError, "read back \(offset) records and \(bytes) bytes; expected \(records)")
        }
        report("read", mode, batchSize, size, records, elapsed)
        if checksum == -1 { Output.error("unreachable") }  // Keeps the byte reads from being optimised away.
    }

    /// The records to append, built before timing: record `i` has key `i` (8 bytes, little-endian) and a value of
    /// `size` bytes that starts from `i`.
    static func makeBatches(records: Int, batchSize: Int, size: Int) -> [[ProducerRecord]] {
        var batches: [[ProducerRecord]] = []
        batches.reserveCapacity((records + batchSize - 1) / batchSize)
        var i = 0
        while i < records {
            let end = min(i + batchSize, records)
            batches.append(
                (i..<end).map { n in
                    let key = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(n) >> ($0 * 8)) }
                    let value = (0..<size).map { UInt8(truncatingIfNeeded: n &+ $0) }
                    return ProducerRecord(key: key, value: value)
                })
            i = end
        }
        return batches
    }

    static func report(_ phase: String, _ mode: String, _ batch: Int, _ size: Int, _ records: Int, _ elapsed: Duration)
    {
        let (seconds, attoseconds) = elapsed.components
        let micros = max(1, Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
        let rate = Int((Double(records) * 1_000_000 / Double(micros)).rounded())
        let fraction = String(micros % 1_000_000)
        let secondsText = "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
        Output.line("\(phase),\(mode),\(batch),\(size),\(records),\(secondsText),\(rate)")
    }
}
