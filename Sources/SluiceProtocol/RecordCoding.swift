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
        if let (record, size) = buffer.withUnsafeReadableBytes({ Self.readWithoutHeaders($0) }) {
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

    /// A record with no headers at the start of `bytes`, and its size; `nil` if it has headers or is not whole.
    private static func readWithoutHeaders(_ bytes: UnsafeRawBufferPointer) -> (Record, Int)? {
        guard bytes.count >= 28 else { return nil }
        let offset = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        let timestamp = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        var at = 16
        guard let key = nullableBytes(bytes, at: &at), bytes.count - at >= 8,
              let value = nullableBytes(bytes, at: &at), bytes.count - at >= 4,
              bytes.loadUnaligned(fromByteOffset: at, as: Int32.self) == 0
        else { return nil }
        return (Record(offset: offset, timestamp: timestamp, key: key, value: value), at + 4)
    }

    /// `nullable bytes` at `at` (moved past them): `.some(nil)` for null, `nil` when they do not fit.
    private static func nullableBytes(_ bytes: UnsafeRawBufferPointer, at: inout Int) -> [UInt8]?? {
        let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        at += 4
        if length == -1 { return .some(nil) }
        guard length >= 0, length <= bytes.count - at else { return nil }
        let start = at
        at += length
        return [UInt8](unsafeUninitializedCapacity: length) { out, count in
            if length > 0 {
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: bytes.baseAddress! + start, byteCount: length)
            }
            count = length
        }
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(offset)
        buffer.writeInt64(timestamp)
        buffer.writeNullableBytes(key)
        buffer.writeNullableBytes(value)
        buffer.writeArray(headers)
    }
}
