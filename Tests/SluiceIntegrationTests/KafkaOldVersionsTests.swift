import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// The old message formats and topic ids against the real server: a Produce v2 with magic 0 and 1 message sets is
/// stored as ordinary records (the native protocol reads them back), a Fetch v0 and v2 answers them as magic 0 and
/// magic 1 message sets within the partition's byte limit, and Metadata v12 names each topic with an id that stays
/// across a restart.
@Suite struct KafkaOldVersionsTests {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// One uncompressed message of `magic`, as an old producer writes it.
    static func message(magic: Int8, timestamp: Int64, key: [UInt8]?, value: [UInt8]) -> [UInt8] {
        var body = KafkaWire()
        body.int8(magic)
        body.int8(0)
        if magic == 1 { body.int64(timestamp) }
        if let key { body.blob(key) } else { body.int32(-1) }
        body.blob(value)
        var out = KafkaWire()
        out.int64(0)
        out.int32(Int32(body.bytes.count + 4))
        out.int32(Int32(bitPattern: crc32(body.bytes)))
        return out.bytes + body.bytes
    }

    /// The messages of a magic 0/1 message set: offset, magic, timestamp (-1 for magic 0), key and value.
    static func messages(_ set: [UInt8]) -> [(
        offset: Int64, magic: Int8, timestamp: Int64, key: [UInt8]?, value: [UInt8]?
    )] {
        var reader = KafkaReader(set)
        var out: [(Int64, Int8, Int64, [UInt8]?, [UInt8]?)] = []
        while reader.bytes.count - reader.at >= 12 {
            let offset = reader.int64()
            let size = Int(reader.int32())
            guard reader.bytes.count - reader.at >= size else { break }  // a partial last message
            let crc = UInt32(bitPattern: reader.int32())
            #expect(crc == crc32(Array(reader.bytes[reader.at..<(reader.at + size - 4)])), "CRC-32 of offset \(offset)")
            let magic = Int8(bitPattern: reader.bytes[reader.at])
            reader.skip(2)
            let timestamp = magic == 1 ? reader.int64() : -1
            let keyLength = Int(reader.int32())
            let key = keyLength < 0 ? nil : Array(reader.bytes[reader.at..<(reader.at + keyLength)])
            reader.skip(max(keyLength, 0))
            let valueLength = Int(reader.int32())
            let value = valueLength < 0 ? nil : Array(reader.bytes[reader.at..<(reader.at + valueLength)])
            reader.skip(max(valueLength, 0))
            out.append((offset, magic, timestamp, key, value))
        }
        return out
    }

    static func produceV2(_ kafka: RawKafkaConnection, topic: String, set: [UInt8]) -> (error: Int16, base: Int64) {
        var body = KafkaWire()
        body.int16(1)  // acks
        body.int32(5000)
        body.array([topic]) { wire, name in
            wire.string(name)
            wire.array([set]) { wire, records in
                wire.int32(0)
                wire.blob(records)
            }
        }
        kafka.send(apiKey: 0, version: 2, correlationID: 3, body: body)
        var reader = KafkaReader(kafka.readFrame() ?? [])
        _ = reader.int32()  // correlation id
        _ = reader.int32()  // topics
        _ = reader.string()
        _ = reader.int32()  // partitions
        _ = reader.int32()
        return (reader.int16(), reader.int64())
    }

    /// The records bytes of partition 0 in a Fetch at `version` (0-3).
    static func fetchRecords(_ kafka: RawKafkaConnection, topic: String, version: Int16, partitionMaxBytes: Int32)
        -> (error: Int16, records: [UInt8])
    {
        var body = KafkaWire()
        body.int32(-1)  // replica
        body.int32(0)  // max wait
        body.int32(1)  // min bytes
        if version >= 3 { body.int32(1 << 20) }
        body.array([topic]) { wire, name in
            wire.string(name)
            wire.array([Int32(0)]) { wire, partition in
                wire.int32(partition)
                wire.int64(0)
                wire.int32(partitionMaxBytes)
            }
        }
        kafka.send(apiKey: 1, version: version, correlationID: 4, body: body)
        var reader = KafkaReader(kafka.readFrame() ?? [])
        _ = reader.int32()  // correlation id
        if version >= 1 { _ = reader.int32() }  // throttle
        _ = reader.int32()
        _ = reader.string()
        _ = reader.int32()
        _ = reader.int32()  // partition
        let error = reader.int16()
        _ = reader.int64()  // high watermark
        let length = Int(reader.int32())
        return (error, Array(reader.bytes[reader.at..<(reader.at + max(0, length))]))
    }

    @Test func oldFormatsAreStoredAndAnsweredInTheFormatEachVersionNeeds() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let native = try RawConnection(path: server.socketPath)
        try native.createTopic("old")
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)

        let magic0 = Self.message(magic: 0, timestamp: -1, key: Array("k0".utf8), value: Array("zero".utf8))
        let magic1 =
            Self.message(magic: 1, timestamp: 1_700_000_000_123, key: nil, value: Array("one".utf8))
            + Self.message(magic: 1, timestamp: 1_700_000_000_456, key: Array("k2".utf8), value: Array("two".utf8))
        #expect(Self.produceV2(kafka, topic: "old", set: magic0) == (0, 0))
        #expect(Self.produceV2(kafka, topic: "old", set: magic1) == (0, 1))
        var corrupt = magic0
        corrupt[20] ^= 0xFF
        #expect(Self.produceV2(kafka, topic: "old", set: corrupt).error == 2, "CORRUPT_MESSAGE")

        // Ordinary records: the magic 1 timestamps kept, the magic 0 one stamped by the broker.
        let stored = try native.fetch("old").records
        #expect(stored.map(\.value) == ["zero", "one", "two"].map { Array($0.utf8) })
        #expect(stored.map(\.key) == [Array("k0".utf8), nil, Array("k2".utf8)])
        #expect(stored[0].timestamp > 1_700_000_000_456 && stored[1].timestamp == 1_700_000_000_123)

        let v0 = Self.fetchRecords(kafka, topic: "old", version: 0, partitionMaxBytes: 1 << 20)
        #expect(v0.error == 0)
        let zero = Self.messages(v0.records)
        #expect(zero.map(\.offset) == [0, 1, 2] && zero.allSatisfy { $0.magic == 0 })
        #expect(zero.map(\.value) == stored.map(\.value) && zero.map(\.key) == stored.map(\.key))

        let v2 = Self.fetchRecords(kafka, topic: "old", version: 2, partitionMaxBytes: 1 << 20)
        let one = Self.messages(v2.records)
        #expect(one.allSatisfy { $0.magic == 1 } && one.map(\.timestamp) == stored.map(\.timestamp))

        // A first message larger than the partition's limit (40 bytes here, limit 30): below v3 the limit is hard and
        // the answer is its first 30 bytes, a partial message (old clients skip it and grow their fetch size); v3
        // returns it whole (KIP-74).
        let cut = Self.fetchRecords(kafka, topic: "old", version: 2, partitionMaxBytes: 30)
        #expect(cut.error == 0 && cut.records.count == 30 && Self.messages(cut.records).isEmpty)
        let whole = Self.fetchRecords(kafka, topic: "old", version: 3, partitionMaxBytes: 30)
        #expect(whole.records.count == 12 + 4 + 1 + 1 + 8 + 4 + 2 + 4 + 4 && Self.messages(whole.records).count == 1)
    }

    /// The topic ids of Metadata v12: a 16-byte id per topic, not zero, different per topic, the same after a
    /// restart.
    @Test func metadataV12TopicIdsAreStable() throws {
        func ids(_ server: ServerProcess) throws -> [String: [UInt8]] {
            let kafka = try RawKafkaConnection(address: server.kafkaAddress)
            var frame = KafkaWire()
            frame.int16(3)
            frame.int16(12)
            frame.int32(8)
            frame.string("test")
            frame.int8(0)  // header tags
            frame.int8(0)  // topics: null (every topic)
            frame.int8(0)  // allow auto-creation
            frame.int8(0)  // topic authorized operations
            frame.int8(0)  // tags
            var prefixed = KafkaWire()
            prefixed.int32(Int32(frame.bytes.count))
            kafka.send(prefixed.bytes + frame.bytes)
            let answer = try #require(kafka.readFrame())
            var reader = KafkaReader(answer)
            reader.skip(4 + 1 + 4)  // correlation id, header tags (response header v1), throttle
            func uvarint() -> Int {
                var value = 0
                var shift = 0
                while true {
                    let byte = reader.bytes[reader.at]
                    reader.skip(1)
                    value |= Int(byte & 0x7F) << shift
                    if byte & 0x80 == 0 { return value }
                    shift += 7
                }
            }
            func compactString() -> String {
                let length = uvarint() - 1
                defer { reader.skip(max(0, length)) }
                return String(decoding: reader.bytes[reader.at..<(reader.at + max(0, length))], as: UTF8.self)
            }
            for _ in 0..<(uvarint() - 1) {  // brokers
                reader.skip(4)
                _ = compactString()
                reader.skip(4)
                _ = compactString()  // rack: null reads as empty
                reader.skip(1)
            }
            _ = compactString()  // cluster id
            reader.skip(4)  // controller
            var found: [String: [UInt8]] = [:]
            for _ in 0..<(uvarint() - 1) {
                #expect(reader.int16() == 0)
                let name = compactString()
                found[name] = Array(reader.bytes[reader.at..<(reader.at + 16)])
                reader.skip(16 + 1)  // id, internal
                for _ in 0..<(uvarint() - 1) {
                    reader.skip(2 + 4 + 4 + 4)
                    for _ in 0..<3 { reader.skip((uvarint() - 1) * 4) }
                    reader.skip(1)
                }
                reader.skip(4 + 1)  // authorized operations, tags
            }
            return found
        }
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let native = try RawConnection(path: server.socketPath)
        try native.createTopic("a")
        try native.createTopic("b", partitions: 2)
        // Every topic, and Kafka's internal `__consumer_offsets` (served read-only, with an id of its own).
        let first = try ids(server).filter { $0.key != "__consumer_offsets" }
        #expect(Set(first.keys) == ["a", "b"])
        #expect(first.values.allSatisfy { $0.count == 16 && $0 != [UInt8](repeating: 0, count: 16) })
        #expect(first["a"] != first["b"])
        #expect(server.stop() == 0)
        _ = try server.start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        #expect(try ids(server).filter { $0.key != "__consumer_offsets" } == first, "kept in the catalog")
    }
}
