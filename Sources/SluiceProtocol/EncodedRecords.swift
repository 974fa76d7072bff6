import NIOCore
import SluiceCore

/// A fetch response partition's records already in their wire form: `array<storedRecord>` without its count.
///
/// A server builds it straight from storage's buffers, one `append` per record, so that no `Record` value (and no
/// copy of its key and value) is made on the way to the socket. Decoding always yields `[Record]`.
package struct EncodedRecords: Sendable, Equatable {
    /// Records appended so far.
    package private(set) var count: Int32 = 0
    /// Their encoding, one `storedRecord` after another.
    package private(set) var bytes: ByteBuffer

    /// An empty list with room for about `capacity` bytes of encoded records.
    package init(capacity: Int = 0) {
        bytes = ByteBufferAllocator().buffer(capacity: max(capacity, 0))
    }

    /// Appends one `storedRecord`: `int64 offset, int64 timestamp, nullable bytes key, nullable bytes value,
    /// array<header> headers`.
    package mutating func append(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headers: [Header]
    ) {
        let keyCount = key?.count ?? 0
        let valueCount = value?.count ?? 0
        let fixed = 28 + keyCount + valueCount
        // One bounds check and one write for the fixed part and the blobs, rather than one per field.
        bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: fixed) { out in
            out.storeBytes(of: offset.bigEndian, toByteOffset: 0, as: Int64.self)
            out.storeBytes(of: timestamp.bigEndian, toByteOffset: 8, as: Int64.self)
            var at = Self.store(key, into: out, at: 16)
            at = Self.store(value, into: out, at: at)
            out.storeBytes(of: Int32(headers.count).bigEndian, toByteOffset: at, as: Int32.self)
            return at + 4
        }
        for header in headers { header.write(to: &bytes) }
        count += 1
    }

    /// The records, decoded (for a server that answers in another form than the native wire's, such as JSON).
    package func decoded() throws(SluiceError) -> [Record] {
        var buffer = bytes
        var records: [Record] = []
        records.reserveCapacity(Int(count))
        for _ in 0..<count { records.append(try Record.read(from: &buffer)) }
        return records
    }

    /// Stores `nullable bytes` at `at` and returns the offset after them; `out` has room.
    private static func store(_ blob: UnsafeRawBufferPointer?, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int
    {
        guard let blob else {
            out.storeBytes(of: Int32(-1).bigEndian, toByteOffset: at, as: Int32.self)
            return at + 4
        }
        out.storeBytes(of: Int32(blob.count).bigEndian, toByteOffset: at, as: Int32.self)
        if let base = blob.baseAddress, blob.count > 0 {
            (out.baseAddress! + at + 4).copyMemory(from: base, byteCount: blob.count)
        }
        return at + 4 + blob.count
    }
}
