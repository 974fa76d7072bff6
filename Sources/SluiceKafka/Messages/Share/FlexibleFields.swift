import NIOCore
import SluiceCore

/// The flexible-version field forms the share-group messages are made of (KIP-482: compact strings and arrays,
/// unsigned-varint lengths, a tagged-field section closing every structure) and the 16-byte `uuid` that names
/// topics in them. Kept apart from `Primitives.swift`, under names of their own, so that wider flexible support
/// elsewhere can replace them without a clash.
enum FlexibleFields {
    /// A compact array: each element read by `element`, which must also read the element's tagged fields when it
    /// is a structure. A null array reads as empty unless `nullable` keeps it `nil`.
    static func array<T>(
        _ buffer: inout ByteBuffer, minElementSize: Int, _ what: StaticString,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T] {
        try nullableArray(&buffer, minElementSize: minElementSize, what, element) ?? []
    }

    static func nullableArray<T>(
        _ buffer: inout ByteBuffer, minElementSize: Int, _ what: StaticString,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T]? {
        guard let count = try buffer.readKafkaCompactArrayCount(minElementSize: minElementSize, what) else {
            return nil
        }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&buffer)) }
        return result
    }

    static func writeArray<T>(_ elements: [T]?, into buffer: inout ByteBuffer, _ element: (inout ByteBuffer, T) -> Void)
    {
        buffer.writeKafkaCompactArrayCount(elements?.count)
        for value in elements ?? [] { element(&buffer, value) }
    }

    static func int32Array(_ buffer: inout ByteBuffer, _ what: StaticString) throws(KafkaDecodeError) -> [Int32] {
        try array(&buffer, minElementSize: 4, what) { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaInt32(what)
        }
    }

    static func writeInt32Array(_ values: [Int32], into buffer: inout ByteBuffer) {
        writeArray(values, into: &buffer) { $0.writeKafkaInt32($1) }
    }

    static func stringArray(_ buffer: inout ByteBuffer, _ what: StaticString) throws(KafkaDecodeError) -> [String]? {
        try nullableArray(&buffer, minElementSize: 1, what) { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaCompactString(what)
        }
    }

    static func writeStringArray(_ values: [String]?, into buffer: inout ByteBuffer) {
        writeArray(values, into: &buffer) { $0.writeKafkaCompactString($1) }
    }

    /// A `uuid`: 16 bytes, most significant first (Kafka writes two big-endian int64s).
    static func uuid(_ buffer: inout ByteBuffer, _ what: StaticString) throws(KafkaDecodeError) -> TopicID {
        let high = try buffer.readKafkaInt64(what)
        let low = try buffer.readKafkaInt64(what)
        return TopicID(high: UInt64(bitPattern: high), low: UInt64(bitPattern: low))
    }

    static func writeUUID(_ id: TopicID, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt64(Int64(bitPattern: id.high))
        buffer.writeKafkaInt64(Int64(bitPattern: id.low))
    }

    /// Compact nullable bytes (`records`): unsigned varint length + 1, 0 for null.
    static func writeNullableBytes(_ bytes: ByteBuffer?, into buffer: inout ByteBuffer) {
        guard var bytes else { return buffer.writeKafkaUnsignedVarint(0) }
        buffer.writeKafkaUnsignedVarint(UInt32(bytes.readableBytes) + 1)
        buffer.writeBuffer(&bytes)
    }

    static func nullableBytes(_ buffer: inout ByteBuffer, _ what: StaticString) throws(KafkaDecodeError) -> ByteBuffer?
    {
        let lengthPlusOne = try buffer.readKafkaUnsignedVarint(what)
        if lengthPlusOne == 0 { return nil }
        let length = Int(lengthPlusOne - 1)
        guard length <= buffer.readableBytes, let slice = buffer.readSlice(length: length) else {
            throw .truncated("\(what)")
        }
        return slice
    }
}

/// A topic's share of a share-group message: its id and its partitions' entries.
package struct KafkaTopicByID<Partition: Sendable & Hashable>: Sendable, Hashable {
    package var topicId: TopicID
    package var partitions: [Partition]

    package init(topicId: TopicID, partitions: [Partition]) {
        self.topicId = topicId
        self.partitions = partitions
    }
}

extension Array {
    /// Adds `partition` to the last topic when it is `topicId`, else a new topic (responses in request order).
    package mutating func append<Partition>(_ partition: Partition, topicId: TopicID)
    where Element == KafkaTopicByID<Partition> {
        if let last = indices.last, self[last].topicId == topicId {
            self[last].partitions.append(partition)
        } else {
            append(KafkaTopicByID(topicId: topicId, partitions: [partition]))
        }
    }
}

/// One acknowledgement batch of ShareFetch and ShareAcknowledge: offsets `firstOffset...lastOffset` and either one
/// type for all of them or one per offset (0 gap, 1 accept, 2 release, 3 reject, 4 renew).
package struct KafkaAcknowledgementBatch: Sendable, Hashable {
    package var firstOffset: Int64
    package var lastOffset: Int64
    package var acknowledgeTypes: [Int8]

    package init(firstOffset: Int64, lastOffset: Int64, acknowledgeTypes: [Int8]) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.acknowledgeTypes = acknowledgeTypes
    }

    static func decode(from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let first = try buffer.readKafkaInt64("first_offset")
        let last = try buffer.readKafkaInt64("last_offset")
        let types = try FlexibleFields.array(&buffer, minElementSize: 1, "acknowledge_types") {
            buffer throws(KafkaDecodeError) in try buffer.readKafkaInt8("acknowledge_type")
        }
        try buffer.skipKafkaTaggedFields()
        return Self(firstOffset: first, lastOffset: last, acknowledgeTypes: types)
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt64(firstOffset)
        buffer.writeKafkaInt64(lastOffset)
        FlexibleFields.writeArray(acknowledgeTypes, into: &buffer) { $0.writeKafkaInt8($1) }
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// A NodeEndpoint of ShareFetch and ShareAcknowledge responses (only for NOT_LEADER_OR_FOLLOWER, which one broker
/// never answers: always empty from Sluice).
package struct KafkaNodeEndpoint: Sendable, Hashable {
    package var nodeId: Int32
    package var host: String
    package var port: Int32
    package var rack: String?

    package init(nodeId: Int32, host: String, port: Int32, rack: String? = nil) {
        self.nodeId = nodeId
        self.host = host
        self.port = port
        self.rack = rack
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(nodeId)
        buffer.writeKafkaCompactString(host)
        buffer.writeKafkaInt32(port)
        buffer.writeKafkaCompactString(rack)
        buffer.writeKafkaEmptyTaggedFields()
    }
}
