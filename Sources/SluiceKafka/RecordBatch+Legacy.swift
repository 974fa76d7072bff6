import NIOCore
import SluiceCore

/// Kafka's message sets of the old formats, magic 0 and 1, as Produce v0–v2 carries them: decoded into ordinary
/// records, which the broker stores like any other.
///
/// A message set is messages back to back, each `int64 offset, int32 size, uint32 crc, int8 magic, int8
/// attributes, [int64 timestamp, magic 1], bytes key, bytes value` with the CRC-32 (IEEE) of everything after the
/// crc field. A compressed message (attributes' low 3 bits: gzip, snappy, lz4) is a wrapper whose value is a
/// message set of uncompressed messages. Offsets are the producer's and are ignored: the broker assigns them.
/// Magic 0 has no timestamps and magic 1 with LogAppendTime (attribute bit 3) asks for the broker's, so both are
/// stamped at append; a magic 1 message's own timestamp is kept otherwise (-1 also means "stamp it"). Nothing in
/// these formats carries headers. Checks: framing and sizes (CORRUPT_MESSAGE), each message's CRC
/// (CORRUPT_MESSAGE), a message within `maxBatchBytes` (MESSAGE_TOO_LARGE), a known codec other than zstd, which
/// needs magic 2 (UNSUPPORTED_COMPRESSION_TYPE), no compressed message inside a compressed one and inner messages
/// of the wrapper's magic (CORRUPT_MESSAGE), and the request's allowance as for RecordBatch v2.
extension KafkaRecordBatchDecoder {
    /// Bytes of a message before its key: offset, size, crc, magic, attributes, and the timestamp of magic 1.
    static func legacyHeaderSize(magic: Int8) -> Int { magic == 0 ? 18 : 26 }

    /// Decodes a whole magic 0/1 message set into one batch of records (no producer id: never idempotent).
    func decodeLegacyMessageSet(_ payload: ByteBuffer, allowance: inout Int) throws(KafkaRecordError)
        -> KafkaRecordBatch
    {
        var rest = payload
        var records: [ProducerRecord] = []
        var attributes: Int16 = 0
        while rest.readableBytes > 0 {
            let message = try readLegacyMessage(&rest, wrapped: nil)
            if message.codec == .uncompressed {
                try charge(message.record, allowance: &allowance)
                records.append(message.record)
                continue
            }
            attributes = Int16(message.codec.rawValue)
            guard let compressed = message.record.value else { throw .corrupt("compressed message without a value") }
            var inner: ByteBuffer
            do throws(KafkaRecordError) {
                inner = try decompress(ByteBuffer(bytes: compressed), message.codec, allowance: allowance)
            } catch {
                if error.code == .messageTooLarge { allowance = 0 }
                throw error
            }
            allowance -= inner.readableBytes
            while inner.readableBytes > 0 {
                let wrapped = try readLegacyMessage(&inner, wrapped: message)
                guard wrapped.codec == .uncompressed else {
                    throw .corrupt("a compressed message inside a compressed message")
                }
                try charge(wrapped.record, allowance: &allowance)
                records.append(wrapped.record)
            }
        }
        guard !records.isEmpty else { throw .corrupt("empty message set") }
        return KafkaRecordBatch(
            baseOffset: 0, partitionLeaderEpoch: -1, attributes: attributes,
            lastOffsetDelta: Int32(clamping: records.count - 1), baseTimestamp: -1, maxTimestamp: -1,
            producerId: -1, producerEpoch: -1, baseSequence: -1, records: records,
            sizeInBytes: payload.readableBytes)
    }

    /// Counts a decoded record against the request's allowance, as RecordBatch v2's records are counted.
    private func charge(_ record: ProducerRecord, allowance: inout Int) throws(KafkaRecordError) {
        allowance -= Self.decodedRecordBytes + (record.key?.count ?? 0) + (record.value?.count ?? 0)
        guard allowance >= 0 else {
            allowance = 0
            throw KafkaRecordError(
                .messageTooLarge, "the request's records take more memory once decoded than a request may use")
        }
    }

    /// A message read from the front of `buffer` and checked; inside a wrapper, `wrapped` is that wrapper.
    private func readLegacyMessage(
        _ buffer: inout ByteBuffer,
        wrapped wrapper: (
            record: ProducerRecord, codec: KafkaCompression, magic: Int8,
            logAppendTime: Bool
        )?
    ) throws(KafkaRecordError) -> (
        record: ProducerRecord, codec: KafkaCompression, magic: Int8, logAppendTime: Bool
    ) {
        guard buffer.readableBytes >= 12 + 14 else {
            throw .corrupt("message of \(buffer.readableBytes) bytes is shorter than its header")
        }
        let start = buffer.readerIndex
        let size = Int(buffer.getInteger(at: start + 8, endianness: .big, as: Int32.self)!)
        let magic = buffer.getInteger(at: start + 16, as: Int8.self)!
        guard magic == 0 || magic == 1 else { throw .corrupt("magic \(magic) in a magic 0/1 message set") }
        if let wrapper, wrapper.magic != magic {
            throw .corrupt("magic \(magic) message inside a magic \(wrapper.magic) wrapper")
        }
        guard size >= Self.legacyHeaderSize(magic: magic) - 12 + 8 else { throw .corrupt("message size \(size)") }
        guard size <= buffer.readableBytes - 12 else {
            throw .corrupt("message size \(size) exceeds the \(buffer.readableBytes - 12) bytes received")
        }
        guard wrapper != nil || size + 12 <= maxBatchBytes else {
            throw KafkaRecordError(
                .messageTooLarge, "message of \(size + 12) bytes exceeds the limit of \(maxBatchBytes)")
        }
        var message = buffer.readSlice(length: size + 12)!
        let crc = message.getInteger(at: message.readerIndex + 12, endianness: .big, as: UInt32.self)!
        let computed = message.withUnsafeReadableBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[16...])) }
        guard crc == computed else { throw .corrupt("message CRC mismatch") }
        message.moveReaderIndex(forwardBy: 17)
        do {
            let attributes = try message.readKafkaInt8("attributes")
            let timestamp = magic == 1 ? try message.readKafkaInt64("timestamp") : -1
            let key = try message.readKafkaNullableBytes("key").map { Array($0.readableBytesView) }
            let value = try message.readKafkaNullableBytes("value").map { Array($0.readableBytesView) }
            guard message.readableBytes == 0 else { throw KafkaRecordError.corrupt("message size does not match") }
            let codecBits = Int16(attributes & 0x07)
            guard let codec = KafkaCompression(rawValue: codecBits), codec != .zstd else {
                throw KafkaRecordError(
                    .unsupportedCompressionType, "compression codec \(codecBits) in a magic \(magic) message")
            }
            let logAppendTime = magic == 1 && attributes & 0x08 != 0
            // The broker stamps what has no timestamp of its own, and everything the wrapper asked it to.
            let stamped = wrapper.map(\.logAppendTime) == true || logAppendTime || timestamp < 0
            let record = ProducerRecord(key: key, value: value, timestamp: stamped ? nil : timestamp)
            return (record, codec, magic, logAppendTime)
        } catch let error as KafkaRecordError {
            throw error
        } catch let error as KafkaDecodeError {
            throw .corrupt("message: \(error.message)")
        } catch {
            throw .corrupt("\(error)")
        }
    }
}
