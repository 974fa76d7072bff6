import NIOCore
import SluiceCore

// The wire forms of SluiceCore's record types.

/// `string name, nullable bytes value`.
extension Header: WireCodable {
    static var minWireSize: Int { 6 }
    var wireSize: Int { WireSize.string(name) + WireSize.nullableBytes(value) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> Header {
        Header(name: try buffer.readWireString(), value: try buffer.readNullableBytes())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeNullableBytes(value)
    }
}

/// `int64 timestamp (-1 = stamp at append), nullable bytes key, nullable bytes value, array<header> headers`.
extension ProducerRecord: WireCodable {
    static var minWireSize: Int { 20 }
    var wireSize: Int { 8 + WireSize.nullableBytes(key) + WireSize.nullableBytes(value) + WireSize.array(headers) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ProducerRecord {
        let timestamp = try buffer.readInt64()
        return ProducerRecord(
            key: try buffer.readNullableBytes(),
            value: try buffer.readNullableBytes(),
            headers: try buffer.readArray(),
            timestamp: timestamp == -1 ? nil : timestamp
        )
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(timestamp ?? -1)
        buffer.writeNullableBytes(key)
        buffer.writeNullableBytes(value)
        buffer.writeArray(headers)
    }
}

/// `int64 offset, int64 timestamp, nullable bytes key, nullable bytes value, array<header> headers`.
extension Record: WireCodable {
    static var minWireSize: Int { 28 }
    var wireSize: Int { 16 + WireSize.nullableBytes(key) + WireSize.nullableBytes(value) + WireSize.array(headers) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> Record {
        Record(
            offset: try buffer.readInt64(),
            timestamp: try buffer.readInt64(),
            key: try buffer.readNullableBytes(),
            value: try buffer.readNullableBytes(),
            headers: try buffer.readArray()
        )
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(offset)
        buffer.writeInt64(timestamp)
        buffer.writeNullableBytes(key)
        buffer.writeNullableBytes(value)
        buffer.writeArray(headers)
    }
}
