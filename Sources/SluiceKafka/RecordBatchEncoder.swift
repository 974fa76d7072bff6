import NIOCore
import SluiceCore

/// Writes stored Sluice records as one uncompressed RecordBatch v2, straight into a `ByteBuffer`.
///
/// baseOffset is the first record's offset and each offset delta is the record's real offset minus it, so gaps
/// left by compaction are kept (lastOffsetDelta = last offset − base). producerId −1, epoch −1, sequence −1,
/// CreateTime, partition leader epoch 0 unless given. The CRC is computed over the written bytes; no intermediate
/// arrays are built.
package enum KafkaRecordBatchEncoder {
    /// Appends one batch holding `records`. Precondition: `records` is non-empty, in ascending offset order, and
    /// spans less than 2³¹ offsets.
    package static func write(_ records: [Record], partitionLeaderEpoch: Int32 = 0, into buffer: inout ByteBuffer) {
        write(generic: records, partitionLeaderEpoch: partitionLeaderEpoch, into: &buffer)
    }

    /// `write` for a slice, e.g. one batch's worth of a longer read.
    package static func write(
        _ records: ArraySlice<Record>, partitionLeaderEpoch: Int32 = 0, into buffer: inout ByteBuffer
    ) {
        write(generic: records, partitionLeaderEpoch: partitionLeaderEpoch, into: &buffer)
    }

    /// The body of both `write`s; not package so that it is specialized here rather than called generically.
    static func write(
        generic records: some Collection<Record>, partitionLeaderEpoch: Int32, into buffer: inout ByteBuffer
    ) {
        guard let first = records.first else { preconditionFailure("a RecordBatch holds at least one record") }
        var last = first
        var maxTimestamp = first.timestamp
        for record in records {
            last = record
            maxTimestamp = max(maxTimestamp, record.timestamp)
        }
        let baseOffset = first.offset
        let baseTimestamp = first.timestamp
        let lastOffsetDelta = last.offset - baseOffset
        precondition(lastOffsetDelta >= 0 && lastOffsetDelta <= Int64(Int32.max), "offsets must ascend within 2^31")

        let start = buffer.writerIndex
        buffer.writeKafkaInt64(baseOffset)
        buffer.writeKafkaInt32(0)  // batch length, patched below
        buffer.writeKafkaInt32(partitionLeaderEpoch)
        buffer.writeKafkaInt8(2)
        buffer.writeInteger(UInt32(0))  // CRC, patched below
        buffer.writeKafkaInt16(0)  // attributes: no compression, CreateTime
        buffer.writeKafkaInt32(Int32(lastOffsetDelta))
        buffer.writeKafkaInt64(baseTimestamp)
        buffer.writeKafkaInt64(maxTimestamp)
        buffer.writeKafkaInt64(-1)  // producer id
        buffer.writeKafkaInt16(-1)  // producer epoch
        buffer.writeKafkaInt32(-1)  // base sequence
        buffer.writeKafkaInt32(Int32(records.count))
        for record in records {
            writeRecord(record, offsetDelta: record.offset - baseOffset, timestampDelta: record.timestamp &- baseTimestamp, into: &buffer)
        }
        let end = buffer.writerIndex
        buffer.setInteger(Int32(end - start - 12), at: start + 8, endianness: .big)
        let crc = buffer.withUnsafeReadableBytes { bytes in
            let from = start - buffer.readerIndex + KafkaRecordBatchDecoder.crcStart
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[from..<(end - buffer.readerIndex)]))
        }
        buffer.setInteger(crc, at: start + 17, endianness: .big)
    }

    /// The bytes `write` appends for these records, for reserving capacity or checking a fetch budget.
    package static func encodedSize(_ records: [Record]) -> Int { encodedSize(generic: records) }

    package static func encodedSize(_ records: ArraySlice<Record>) -> Int { encodedSize(generic: records) }

    static func encodedSize(generic records: some Collection<Record>) -> Int {
        guard let first = records.first else { return 0 }
        var size = KafkaRecordBatchDecoder.headerSize
        for record in records {
            let body = recordBodySize(record, offsetDelta: record.offset - first.offset, timestampDelta: record.timestamp &- first.timestamp)
            size += KafkaVarint.size(body) + body
        }
        return size
    }

    static func recordBodySize(_ record: Record, offsetDelta: Int64, timestampDelta: Int64) -> Int {
        var size = 1 + KafkaVarint.size(timestampDelta) + KafkaVarint.size(offsetDelta)
        size += bytesSize(record.key) + bytesSize(record.value)
        size += KafkaVarint.size(record.headers.count)
        for header in record.headers {
            let nameCount = header.name.utf8.count
            size += KafkaVarint.size(nameCount) + nameCount + bytesSize(header.value)
        }
        return size
    }

    static func bytesSize(_ bytes: [UInt8]?) -> Int {
        guard let bytes else { return 1 }
        return KafkaVarint.size(bytes.count) + bytes.count
    }

    static func writeRecord(_ record: Record, offsetDelta: Int64, timestampDelta: Int64, into buffer: inout ByteBuffer) {
        let body = recordBodySize(record, offsetDelta: offsetDelta, timestampDelta: timestampDelta)
        buffer.writeKafkaVarlong(Int64(body))
        buffer.writeKafkaInt8(0)
        buffer.writeKafkaVarlong(timestampDelta)
        buffer.writeKafkaVarlong(offsetDelta)
        writeBytes(record.key, into: &buffer)
        writeBytes(record.value, into: &buffer)
        buffer.writeKafkaVarlong(Int64(record.headers.count))
        for header in record.headers {
            buffer.writeKafkaVarlong(Int64(header.name.utf8.count))
            buffer.writeString(header.name)
            writeBytes(header.value, into: &buffer)
        }
    }

    static func writeBytes(_ bytes: [UInt8]?, into buffer: inout ByteBuffer) {
        guard let bytes else { return buffer.writeKafkaVarlong(-1) }
        buffer.writeKafkaVarlong(Int64(bytes.count))
        buffer.writeBytes(bytes)
    }
}
