import SluiceCore

/// Reads the two Kafka "consumer" embedded protocols the broker otherwise treats as opaque, so that describing a
/// classic group can show topics and assigned partitions. Defensive: malformed bytes give `nil`, never a trap.
enum ConsumerProtocolBytes {
    /// The partitions of a ConsumerProtocolAssignment: int16 version, int32 count of (int16-length topic,
    /// int32 count of int32 partitions); user data ignored.
    static func assignedPartitions(_ bytes: [UInt8]) -> [TopicPartition]? {
        var reader = Reader(bytes: bytes)
        guard reader.int16() != nil, let topics = reader.count(minimumElementSize: 6) else { return nil }
        var result: [TopicPartition] = []
        for _ in 0..<topics {
            guard let topic = reader.string(), let partitions = reader.count(minimumElementSize: 4) else { return nil }
            for _ in 0..<partitions {
                guard let partition = reader.int32() else { return nil }
                result.append(TopicPartition(topic: topic, partition: partition))
            }
        }
        return result
    }

    /// The topics of a ConsumerProtocolSubscription: int16 version, int32 count of int16-length strings.
    static func subscribedTopics(_ bytes: [UInt8]) -> [String]? {
        var reader = Reader(bytes: bytes)
        guard reader.int16() != nil, let topics = reader.count(minimumElementSize: 2) else { return nil }
        var result: [String] = []
        for _ in 0..<topics {
            guard let topic = reader.string() else { return nil }
            result.append(topic)
        }
        return result
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - index >= count else { return nil }
            defer { index += count }
            return bytes[index..<index + count]
        }

        mutating func int16() -> Int16? {
            take(2).map { Int16(bitPattern: $0.reduce(0) { $0 << 8 | UInt16($1) }) }
        }

        mutating func int32() -> Int32? {
            take(4).map { Int32(bitPattern: $0.reduce(0) { $0 << 8 | UInt32($1) }) }
        }

        /// An array count, refused when negative or when the bytes left cannot hold that many elements.
        mutating func count(minimumElementSize: Int) -> Int? {
            guard let count = int32(), count >= 0, Int(count) * minimumElementSize <= bytes.count - index else {
                return nil
            }
            return Int(count)
        }

        mutating func string() -> String? {
            guard let length = int16(), length >= 0, let utf8 = take(Int(length)) else { return nil }
            return String(decoding: utf8, as: UTF8.self)
        }
    }
}
