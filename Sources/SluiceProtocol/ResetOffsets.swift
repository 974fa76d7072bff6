import NIOCore
import SluiceCore

/// Sets a group's committed offset on every partition of one topic (API key 17). Refused with `.groupNotEmpty`
/// while the group has live members.
///
/// On the wire: `string group, string topic, int8 mode, int64 value`: mode 0 earliest, 1 latest, 2 an offset,
/// 3 a timestamp; `value` is the offset for mode 2, the timestamp for mode 3, and ignored (sent as 0) otherwise.
package struct ResetOffsetsRequest: Sendable, Equatable {
    /// Where to move the group's offsets.
    package enum Mode: Sendable, Equatable {
        /// Each partition's log start offset.
        case earliest
        /// Each partition's next offset: the group skips every record stored so far.
        case latest
        /// This offset, clamped to each partition's log start and next offset. Must be at least 0.
        case offset(Int64)
        /// The first offset whose record timestamp is at or after this time, in milliseconds since the Unix
        /// epoch; the next offset when no record is that recent. Must be at least 0.
        case timestamp(Int64)
    }

    package var group: String
    package var topic: String
    package var mode: Mode

    package init(group: String, topic: String, mode: Mode) {
        self.group = group
        self.topic = topic
        self.mode = mode
    }
}

/// The group's new committed offsets, one per partition of the topic.
///
/// On the wire: `array<(int32 partition, int64 offset)> partitions`.
package struct ResetOffsetsResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// The offset now committed.
        package var offset: Int64

        package init(partition: Int32, offset: Int64) {
            self.partition = partition
            self.offset = offset
        }
    }

    package var partitions: [Partition]

    package init(partitions: [Partition]) {
        self.partitions = partitions
    }
}

// MARK: - Wire forms

extension ResetOffsetsRequest.Mode {
    /// The `int8 mode` and `int64 value` fields.
    var wireFields: (mode: Int8, value: Int64) {
        switch self {
        case .earliest: (0, 0)
        case .latest: (1, 0)
        case .offset(let offset): (2, offset)
        case .timestamp(let timestamp): (3, timestamp)
        }
    }

    /// Reads `int8 mode, int64 value`; an unknown mode or a negative offset or timestamp is malformed.
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ResetOffsetsRequest.Mode {
        let mode = try buffer.readInt8()
        let value = try buffer.readInt64()
        switch mode {
        case 0: return .earliest
        case 1: return .latest
        case 2, 3:
            if value < 0 {
                throw .malformed("reset \(mode == 2 ? "offset" : "timestamp") must be at least 0, not \(value)")
            }
            return mode == 2 ? .offset(value) : .timestamp(value)
        default: throw .malformed("reset mode must be 0, 1, 2 or 3, not \(mode)")
        }
    }
}

extension ResetOffsetsRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) + WireSize.string(topic) + 9 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ResetOffsetsRequest {
        ResetOffsetsRequest(
            group: try buffer.readWireString(), topic: try buffer.readWireString(), mode: try .read(from: &buffer))
    }

    func write(to buffer: inout ByteBuffer) {
        let fields = mode.wireFields
        buffer.writeWireString(group)
        buffer.writeWireString(topic)
        buffer.writeInt8(fields.mode)
        buffer.writeInt64(fields.value)
    }
}

extension ResetOffsetsResponse.Partition: WireCodable {
    static var minWireSize: Int { 12 }
    var wireSize: Int { 12 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ResetOffsetsResponse.Partition {
        .init(partition: try buffer.readInt32(), offset: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(offset)
    }
}

extension ResetOffsetsResponse: WireCodable {
    var wireSize: Int { WireSize.array(partitions) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ResetOffsetsResponse {
        ResetOffsetsResponse(partitions: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(partitions)
    }
}
