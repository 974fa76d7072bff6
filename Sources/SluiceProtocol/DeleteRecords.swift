import NIOCore
import SluiceCore

/// Deletes a partition's records below an offset, raising its log start (API key 21), as Kafka's DeleteRecords
/// does. The space they took is given back as retention gives it back.
///
/// On the wire: `string topic, int32 partition, int64 beforeOffset`; `beforeOffset` -1 is the partition's next
/// offset (delete everything stored). An offset past the next offset is refused with `offset_out_of_range`; one at
/// or below the log start changes nothing.
package struct DeleteRecordsRequest: Sendable, Equatable {
    package var topic: String
    package var partition: Int32
    package var beforeOffset: Int64

    package init(topic: String, partition: Int32, beforeOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.beforeOffset = beforeOffset
    }
}

/// The partition's log start after the deletion.
///
/// On the wire: `int64 logStartOffset`.
package struct DeleteRecordsResponse: Sendable, Equatable {
    package var logStartOffset: Int64

    package init(logStartOffset: Int64) {
        self.logStartOffset = logStartOffset
    }
}

// MARK: - Wire forms

extension DeleteRecordsRequest: WireCodable {
    var wireSize: Int { WireSize.string(topic) + 12 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DeleteRecordsRequest {
        let topic = try buffer.readWireString()
        let partition = try buffer.readInt32()
        let before = try buffer.readInt64()
        if before < -1 { throw .malformed("beforeOffset must be -1 or at least 0, not \(before)") }
        return DeleteRecordsRequest(topic: topic, partition: partition, beforeOffset: before)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeInt32(partition)
        buffer.writeInt64(beforeOffset)
    }
}

extension DeleteRecordsResponse: WireCodable {
    var wireSize: Int { 8 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DeleteRecordsResponse {
        DeleteRecordsResponse(logStartOffset: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(logStartOffset)
    }
}
