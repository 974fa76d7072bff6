import NIOCore
import SluiceCore

/// Stored records written as uncompressed RecordBatch v2, one record at a time, straight into a `ByteBuffer`: what
/// a Kafka fetch answers for one partition, built while storage hands each row over, so no `Record` is made.
///
/// Each batch has baseOffset = its first record's offset and baseTimestamp = that record's timestamp; every record
/// carries its offset and timestamp as deltas from them (a timestamp earlier than the first gives a negative delta;
/// offset gaps left by compaction are kept, so lastOffsetDelta = last offset − base). MaxTimestamp is the largest
/// timestamp, producer id, epoch and base sequence are -1, attributes 0 (no compression, CreateTime, not
/// transactional), partition leader epoch 0. A record more than 2³¹ − 1 offsets past its batch's base starts a new
/// batch, since the deltas are int32. `finish()` fills in each batch's length, counts and CRC-32C; before it the
/// bytes are not a valid batch, and with no record appended they are empty.
package struct KafkaRecordBatchWriter: Sendable {
    /// The batches written so far: complete ones, then the open one (its header patched by `finish`).
    package private(set) var bytes: ByteBuffer
    /// Records appended, over all batches.
    package private(set) var count = 0

    /// Where the open batch starts in `bytes`, and what its header needs; `nil` before the first record and after
    /// `finish`.
    private var open: OpenBatch?

    private struct OpenBatch: Sendable {
        var start: Int
        var baseOffset: Int64
        var baseTimestamp: Int64
        var maxTimestamp: Int64
        var lastOffset: Int64
        var count: Int32
    }

    /// Bytes of a batch header, before its first record.
    static let headerSize = KafkaRecordBatchDecoder.headerSize

    /// An empty writer with room for about `capacity` bytes of batches.
    package init(capacity: Int = 0) {
        bytes = ByteBufferAllocator().buffer(capacity: max(capacity, 0))
    }

    /// Appends one record. Precondition: offsets ascend (gaps allowed), and `finish()` has not run.
    package mutating func append(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headers: [Header]
    ) {
        if let batch = open, offset - batch.baseOffset > Int64(Int32.max) { closeBatch() }
        if open == nil { openBatch(offset: offset, timestamp: timestamp) }
        precondition(offset > open!.lastOffset || open!.count == 0, "records must be appended in offset order")
        let offsetDelta = offset - open!.baseOffset
        let timestampDelta = timestamp &- open!.baseTimestamp
        open!.maxTimestamp = max(open!.maxTimestamp, timestamp)
        open!.lastOffset = offset
        open!.count += 1
        count += 1

        var body =
            1 + KafkaVarint.size(timestampDelta) + KafkaVarint.size(offsetDelta)
            + Self.blobSize(key?.count) + Self.blobSize(value?.count) + KafkaVarint.size(headers.count)
        for header in headers {
            body += Self.blobSize(header.name.utf8.count) + Self.blobSize(header.value?.count)
        }
        let fixed = KafkaVarint.size(body) + body
        // One bounds check and one write for the framing, key and value, rather than one per field.
        bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: fixed) { out in
            var at = Self.store(Int64(body), into: out, at: 0)
            out[at] = 0  // record attributes
            at = Self.store(timestampDelta, into: out, at: at + 1)
            at = Self.store(offsetDelta, into: out, at: at)
            at = Self.store(key, into: out, at: at)
            at = Self.store(value, into: out, at: at)
            return Self.store(Int64(headers.count), into: out, at: at)
        }
        for header in headers {
            bytes.writeKafkaVarlong(Int64(header.name.utf8.count))
            bytes.writeString(header.name)
            if let value = header.value {
                bytes.writeKafkaVarlong(Int64(value.count))
                bytes.writeBytes(value)
            } else {
                bytes.writeKafkaVarlong(-1)
            }
        }
    }

    /// Completes the open batch: its length, lastOffsetDelta, maxTimestamp, record count and CRC. Appending
    /// after it starts a new batch.
    package mutating func finish() {
        closeBatch()
    }

    // MARK: - Batches

    private mutating func openBatch(offset: Int64, timestamp: Int64) {
        let start = bytes.writerIndex
        open = OpenBatch(
            start: start, baseOffset: offset, baseTimestamp: timestamp, maxTimestamp: timestamp,
            lastOffset: offset, count: 0)
        bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.headerSize) { out in
            // Fields known now; length, CRC, lastOffsetDelta, maxTimestamp and count are patched by `closeBatch`.
            out.storeBytes(of: offset.bigEndian, toByteOffset: 0, as: Int64.self)
            out.storeBytes(of: Int32(0).bigEndian, toByteOffset: 8, as: Int32.self)  // batch length
            out.storeBytes(of: Int32(0).bigEndian, toByteOffset: 12, as: Int32.self)  // partition leader epoch
            out.storeBytes(of: UInt8(2), toByteOffset: 16, as: UInt8.self)  // magic
            out.storeBytes(of: UInt32(0), toByteOffset: 17, as: UInt32.self)  // CRC
            out.storeBytes(of: Int16(0).bigEndian, toByteOffset: 21, as: Int16.self)  // attributes
            out.storeBytes(of: Int32(0).bigEndian, toByteOffset: 23, as: Int32.self)  // last offset delta
            out.storeBytes(of: timestamp.bigEndian, toByteOffset: 27, as: Int64.self)  // base timestamp
            out.storeBytes(of: timestamp.bigEndian, toByteOffset: 35, as: Int64.self)  // max timestamp
            out.storeBytes(of: Int64(-1).bigEndian, toByteOffset: 43, as: Int64.self)  // producer id
            out.storeBytes(of: Int16(-1).bigEndian, toByteOffset: 51, as: Int16.self)  // producer epoch
            out.storeBytes(of: Int32(-1).bigEndian, toByteOffset: 53, as: Int32.self)  // base sequence
            out.storeBytes(of: Int32(0).bigEndian, toByteOffset: 57, as: Int32.self)  // records count
            return Self.headerSize
        }
    }

    private mutating func closeBatch() {
        guard let batch = open else { return }
        open = nil
        let end = bytes.writerIndex
        bytes.setInteger(Int32(end - batch.start - 12), at: batch.start + 8)
        bytes.setInteger(Int32(batch.lastOffset - batch.baseOffset), at: batch.start + 23)
        bytes.setInteger(batch.maxTimestamp, at: batch.start + 35)
        bytes.setInteger(batch.count, at: batch.start + 57)
        let crcStart = batch.start + KafkaRecordBatchDecoder.crcStart
        let crc = bytes.withUnsafeReadableBytes { readable in
            let from = crcStart - bytes.readerIndex
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: readable[from..<(end - bytes.readerIndex)]))
        }
        bytes.setInteger(crc, at: batch.start + 17)
    }

    // MARK: - Varints

    /// Bytes of a varint length and the blob it prefixes (`nil`: a null blob, length -1).
    static func blobSize(_ count: Int?) -> Int {
        guard let count else { return 1 }
        return KafkaVarint.size(count) + count
    }

    /// Stores a zigzag varint at `at` and returns the offset after it; `out` has room.
    private static func store(_ value: Int64, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var at = at
        while raw >= 0x80 {
            out[at] = UInt8(truncatingIfNeeded: raw) | 0x80
            raw >>= 7
            at += 1
        }
        out[at] = UInt8(raw)
        return at + 1
    }

    /// Stores a varint length and the blob (-1 for `nil`) at `at` and returns the offset after it; `out` has room.
    private static func store(_ blob: UnsafeRawBufferPointer?, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int
    {
        guard let blob else { return store(-1, into: out, at: at) }
        let at = store(Int64(blob.count), into: out, at: at)
        if let base = blob.baseAddress, blob.count > 0 {
            (out.baseAddress! + at).copyMemory(from: base, byteCount: blob.count)
        }
        return at + blob.count
    }
}
