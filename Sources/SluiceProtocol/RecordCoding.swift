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
        // The common case, a well-formed record without headers, in one pass over the bytes; anything else (headers,
        // a damaged record) goes field by field below, which also reports what is wrong.
        var layout = Layout()
        let size = buffer.withUnsafeReadableBytes { Self.measureWithoutHeaders($0, into: &layout) }
        if size > 0 {
            let base = buffer.readerIndex
            let record = Record(
                offset: layout.offset, timestamp: layout.timestamp,
                key: layout.keyLength < 0 ? nil : buffer.getBytes(at: base + layout.keyStart, length: layout.keyLength),
                value: layout.valueLength < 0
                    ? nil : buffer.getBytes(at: base + layout.valueStart, length: layout.valueLength))
            buffer.moveReaderIndex(forwardBy: size)
            return record
        }
        return Record(
            offset: try buffer.readInt64(),
            timestamp: try buffer.readInt64(),
            key: try buffer.readNullableBytes(),
            value: try buffer.readNullableBytes(),
            headers: try buffer.readArray()
        )
    }

    /// Where a record's fields lie, relative to its start (a length of -1 is null).
    private struct Layout {
        var offset: Int64 = 0, timestamp: Int64 = 0
        var keyStart = 0, keyLength = -1, valueStart = 0, valueLength = -1
    }

    /// Finds the fields of a record with no headers at the start of `bytes` and returns its size; 0 if it has
    /// headers or is not whole. Plain integers only: this runs once per record, and arrays made here (outside NIO's
    /// specialized `getBytes`) cost a generic metadata lookup each.
    private static func measureWithoutHeaders(_ bytes: UnsafeRawBufferPointer, into layout: inout Layout) -> Int {
        guard bytes.count >= 28 else { return 0 }
        layout.offset = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        layout.timestamp = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        layout.keyStart = 20
        layout.keyLength = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: Int32.self)))
        guard layout.keyLength >= -1, max(layout.keyLength, 0) <= bytes.count - 20 - 8 else { return 0 }
        let valueAt = 20 + max(layout.keyLength, 0)
        layout.valueStart = valueAt + 4
        layout.valueLength = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: valueAt, as: Int32.self)))
        guard layout.valueLength >= -1, max(layout.valueLength, 0) <= bytes.count - layout.valueStart - 4 else {
            return 0
        }
        let headersAt = layout.valueStart + max(layout.valueLength, 0)
        guard bytes.loadUnaligned(fromByteOffset: headersAt, as: Int32.self) == 0 else { return 0 }
        return headersAt + 4
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(offset)
        buffer.writeInt64(timestamp)
        buffer.writeNullableBytes(key)
        buffer.writeNullableBytes(value)
        buffer.writeArray(headers)
    }
}
