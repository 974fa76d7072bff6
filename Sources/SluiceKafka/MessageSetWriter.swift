import NIOCore
import SluiceCore

/// Stored records written as a message set of an old format, what a Fetch before v4 answers: magic 0 for Fetch
/// v0–v1, magic 1 (with each record's timestamp, CreateTime) for v2–v3. Uncompressed, one message per record with
/// its own offset and CRC-32; headers cannot be expressed in these formats and are left out.
package struct KafkaMessageSetWriter: Sendable {
    /// The messages written so far; always a valid message set.
    package private(set) var bytes: ByteBuffer
    /// Records appended.
    package private(set) var count = 0
    /// Where each message ends in `bytes`, for cutting the set at a message boundary (`truncate`).
    private var ends: [Int] = []
    package let magic: Int8

    /// The format a Fetch of `version` (0–3) needs: magic 0 below v2, 1 from it.
    package static func magic(forFetchVersion version: Int16) -> Int8 { version < 2 ? 0 : 1 }

    package init(magic: Int8, capacity: Int = 0) {
        precondition(magic == 0 || magic == 1, "message sets of magic 0 or 1 only")
        self.magic = magic
        bytes = ByteBufferAllocator().buffer(capacity: max(capacity, 0))
    }

    /// Bytes a message takes besides its key and value.
    package static func overhead(magic: Int8) -> Int { KafkaRecordBatchDecoder.legacyHeaderSize(magic: magic) + 8 }

    /// Appends one record as a message (its headers are dropped).
    package mutating func append(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?
    ) {
        let start = bytes.writerIndex
        bytes.writeKafkaInt64(offset)
        bytes.writeKafkaInt32(0)  // size, patched below
        bytes.writeKafkaInt32(0)  // crc, patched below
        bytes.writeKafkaInt8(magic)
        bytes.writeKafkaInt8(0)  // attributes: uncompressed, CreateTime
        if magic == 1 { bytes.writeKafkaInt64(timestamp) }
        for field in [key, value] {
            if let field {
                bytes.writeKafkaInt32(Int32(field.count))
                bytes.writeBytes(field)
            } else {
                bytes.writeKafkaInt32(-1)
            }
        }
        let end = bytes.writerIndex
        bytes.setInteger(Int32(end - start - 12), at: start + 8, endianness: .big)
        let crc = bytes.withUnsafeReadableBytes { all in
            CRC32.checksum(
                UnsafeRawBufferPointer(rebasing: all[(start + 16 - bytes.readerIndex)..<(end - bytes.readerIndex)]))
        }
        bytes.setInteger(crc, at: start + 12, endianness: .big)
        ends.append(end)
        count += 1
    }

    /// Cuts the set to at most `maxBytes`. With `keepFirst` (Fetch v3, KIP-74) it ends at the last whole message
    /// that fits, the first one kept whatever its size; without (v0–v2, whose limit is hard) the bytes are cut at
    /// `maxBytes` even inside a message, as Kafka did, and clients of those versions skip a partial last message
    /// (and grow their fetch size when it is the only one).
    package mutating func truncate(maxBytes: Int, keepFirst: Bool) {
        let length = bytes.readableBytes
        guard length > maxBytes else { return }
        if keepFirst {
            let fitting = ends.lastIndex { $0 - bytes.readerIndex <= maxBytes } ?? 0
            let cut = ends[fitting] - bytes.readerIndex
            bytes.moveWriterIndex(to: bytes.readerIndex + cut)
            count = fitting + 1
            ends.removeSubrange((fitting + 1)...)
        } else {
            bytes.moveWriterIndex(to: bytes.readerIndex + max(0, maxBytes))
            let whole = ends.lastIndex { $0 - bytes.readerIndex <= maxBytes }.map { $0 + 1 } ?? 0
            count = whole
            ends.removeSubrange(whole...)
        }
    }

    /// The bytes as `truncate(maxBytes:keepFirst:)` would leave them.
    package func truncated(maxBytes: Int, keepFirst: Bool) -> ByteBuffer {
        var copy = self
        copy.truncate(maxBytes: maxBytes, keepFirst: keepFirst)
        return copy.bytes
    }
}
