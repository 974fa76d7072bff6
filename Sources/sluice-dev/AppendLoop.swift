import SluiceCore
import SluiceStorage

/// `append-loop DATA_DIR TOPIC [--durability full|normal]`: the crash test's child process.
///
/// Creates the topic (one partition) when missing, then appends batches of 1 to 50 records to partition 0 until it
/// is killed, printing `<baseOffset> <count>` after each batch is committed. Every record is derived from its
/// offset (`record(at:)`), so a reader can check each one after the crash. `CrashRecoveryTests` re-derives the
/// records the same way: change both together.
enum AppendLoop {
    static func run(_ arguments: [String]) throws {
        let options = try Arguments(arguments, options: ["durability"])
        guard options.positional.count == 2 else { throw UsageError("append-loop needs DATA_DIR and TOPIC") }
        let durability = try options.durability(default: .full)
        let topic = options.positional[1]

        let store = try Store(path: options.positional[0])
        if try !store.topics().contains(where: { $0.name == topic }) {
            try store.createTopic(topic, config: TopicConfig(durability: durability), now: wallClockMillis())
        }
        let writer = try store.openWriter(topic)
        var next = try writer.offsets(partition: 0).nextOffset
        var batch = 0
        while true {
            let count = 1 + (batch * 17 + Int(next % 50)) % 50
            let records = (next..<next + Int64(count)).map(record(at:))
            let base = try writer.append(partition: 0, records: records, now: wallClockMillis())
            guard base == next else {
                throw SluiceError(.storageError, "batch \(batch) got base offset \(base), expected \(next)")
            }
            Output.line("\(base) \(count)")
            next += Int64(count)
            batch += 1
        }
    }

    /// The record stored at `offset`: key `k<offset>`, `value(at:)`, and one header `offset` = `<offset>`.
    static func record(at offset: Int64) -> ProducerRecord {
        ProducerRecord(
            key: Array("k\(offset)".utf8),
            value: value(at: offset),
            headers: [Header(name: "offset", value: Array("\(offset)".utf8))]
        )
    }

    /// `v<offset>:` then 16 to 112 bytes computed from the offset (zero bytes included).
    static func value(at offset: Int64) -> [UInt8] {
        var bytes = Array("v\(offset):".utf8)
        for i in 0..<(16 + offset % 97) {
            bytes.append(UInt8(truncatingIfNeeded: offset &* 31 &+ i &* 7))
        }
        return bytes
    }
}
