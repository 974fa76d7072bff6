import NIOCore
import SluiceCore

/// A RecordBatch v2 (magic 2) decoded from a Produce payload: its header fields and its records.
package struct KafkaRecordBatch: Sendable, Hashable {
    package enum TimestampType: Sendable, Hashable {
        case createTime
        case logAppendTime
    }

    /// As sent; the broker assigns the real offsets.
    package var baseOffset: Int64
    package var partitionLeaderEpoch: Int32
    package var attributes: Int16
    package var lastOffsetDelta: Int32
    package var baseTimestamp: Int64
    package var maxTimestamp: Int64
    /// -1 unless the producer is idempotent.
    package var producerId: Int64
    package var producerEpoch: Int16
    /// The sequence number of the first record, -1 unless idempotent.
    package var baseSequence: Int32
    /// The records, each with timestamp = baseTimestamp + its delta.
    package var records: [ProducerRecord]
    /// The bytes of the batch on the wire (header included), as counted against `max.message.bytes`.
    package var sizeInBytes: Int

    package var compression: KafkaCompression? { KafkaCompression(rawValue: attributes & 0x07) }
    package var timestampType: TimestampType { attributes & 0x08 != 0 ? .logAppendTime : .createTime }
    package var isTransactional: Bool { attributes & 0x10 != 0 }
    package var isControl: Bool { attributes & 0x20 != 0 }
}

/// Why a Produce partition payload was refused, with the Kafka error code to answer for that partition.
package struct KafkaRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One of CORRUPT_MESSAGE 2, MESSAGE_TOO_LARGE 10, UNSUPPORTED_COMPRESSION_TYPE 76, INVALID_RECORD 87.
    package var code: KafkaErrorCode
    package var message: String

    package init(_ code: KafkaErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "error \(code.rawValue): \(message)" }

    static func corrupt(_ message: String) -> KafkaRecordError { KafkaRecordError(.corruptMessage, message) }
    static func invalid(_ message: String) -> KafkaRecordError { KafkaRecordError(.invalidRecord, message) }
}

/// Decodes and validates the records of one Produce partition (KAFKA-COMPAT.md §2).
///
/// A payload holds one or more RecordBatch v2 back to back; a compressed batch must be the only one. Checks, in
/// order per batch: size ≥ 61 and magic 2 and BatchLength within the payload (CORRUPT_MESSAGE), size ≤
/// `maxBatchBytes` (MESSAGE_TOO_LARGE), CRC-32C (CORRUPT_MESSAGE), no control batch and LastOffsetDelta + 1 ==
/// RecordsCount > 0 and producerId ≥ 0 ⇒ baseSequence ≥ 0 (INVALID_RECORD), a known codec whose library this
/// machine has (UNSUPPORTED_COMPRESSION_TYPE otherwise; see `CodecLibraries`), decompressed size ≤ `maxDecompressedBytes`
/// and within the caller's allowance (MESSAGE_TOO_LARGE), then each record's framing (CORRUPT_MESSAGE) and offset
/// deltas 0…n−1 in order (INVALID_RECORD).
package struct KafkaRecordBatchDecoder: Sendable {
    static let headerSize = 61
    /// Bytes before the CRC-covered part: baseOffset, batchLength, leaderEpoch, magic, crc.
    static let crcStart = 21

    /// The largest batch accepted, as on the wire (the topic's `max.message.bytes`).
    package var maxBatchBytes: Int
    /// The most bytes a compressed batch may expand to; caps memory against zip bombs.
    package var maxDecompressedBytes: Int
    /// Where gzip, zstd and lz4 are decoded (tests give libraries that are not there).
    var codecs: CodecLibraries = .system
    /// Whether message sets of the old formats (magic 0 and 1) are accepted: Produce v0–v2 only, as in Kafka, where
    /// v3+ must carry RecordBatch v2 (`RecordBatch+Legacy.swift`).
    package var acceptsLegacyMessages = false

    package init(maxBatchBytes: Int = 1_048_588, maxDecompressedBytes: Int? = nil) {
        self.maxBatchBytes = maxBatchBytes
        self.maxDecompressedBytes = maxDecompressedBytes ?? max(maxBatchBytes, 1 << 20) * 16
    }

    /// Bytes a decoded record costs in memory besides its key and value (the record, its arrays' headers and
    /// allocation), and each of its headers besides its name and value: what `decodePayload(_:allowance:)` counts.
    package static let decodedRecordBytes = 128
    package static let decodedHeaderBytes = 64

    /// Decodes every batch of a Produce partition payload (the `records` bytes of the request).
    package func decodePayload(_ payload: ByteBuffer) throws(KafkaRecordError) -> [KafkaRecordBatch] {
        var allowance = Int.max
        return try decodePayload(payload, allowance: &allowance)
    }

    /// Decodes every batch of a payload within `allowance`, the bytes the records may take once expanded (what
    /// is left of a whole request's allowance, shared by its partitions): decompressed bytes, then the records'
    /// keys, values and headers with `decodedRecordBytes` and `decodedHeaderBytes` each. Decompression stops as
    /// soon as the output passes what is left; a payload past it is refused MESSAGE_TOO_LARGE. What the records
    /// took is subtracted from `allowance`, whether or not they could be decoded.
    package func decodePayload(_ payload: ByteBuffer, allowance: inout Int) throws(KafkaRecordError)
        -> [KafkaRecordBatch]
    {
        var rest = payload
        var batches: [KafkaRecordBatch] = []
        if rest.readableBytes == 0 { throw .corrupt("empty record set") }
        if let magic = rest.getInteger(at: rest.readerIndex + 16, as: Int8.self), magic == 0 || magic == 1 {
            guard acceptsLegacyMessages else {
                throw .invalid("magic \(magic) message set; Produce v3 and later carry RecordBatch v2 (magic 2)")
            }
            return [try decodeLegacyMessageSet(rest, allowance: &allowance)]
        }
        while rest.readableBytes > 0 {
            let batch = try decodeBatch(&rest, allowance: &allowance)
            batches.append(batch)
        }
        if batches.count > 1, batches.contains(where: { $0.compression != .uncompressed }) {
            throw .invalid("a compressed batch must be the only batch of its partition")
        }
        return batches
    }

    /// Reads one batch from the front of `buffer`.
    func decodeBatch(_ buffer: inout ByteBuffer) throws(KafkaRecordError) -> KafkaRecordBatch {
        var allowance = Int.max
        return try decodeBatch(&buffer, allowance: &allowance)
    }

    /// Reads one batch from the front of `buffer` within `allowance` (see `decodePayload(_:allowance:)`).
    func decodeBatch(_ buffer: inout ByteBuffer, allowance: inout Int) throws(KafkaRecordError) -> KafkaRecordBatch {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= Self.headerSize else {
            throw .corrupt("batch of \(buffer.readableBytes) bytes is shorter than the 61-byte header")
        }
        let batchLength = Int(buffer.getInteger(at: start + 8, endianness: .big, as: Int32.self)!)
        let magic = buffer.getInteger(at: start + 16, as: Int8.self)!
        guard magic == 2 else { throw .corrupt("magic \(magic); only RecordBatch v2 (magic 2) is accepted") }
        let size = batchLength + 12
        guard batchLength >= 0, size >= Self.headerSize else { throw .corrupt("batch length \(batchLength)") }
        guard size <= buffer.readableBytes else {
            throw .corrupt("batch length \(batchLength) exceeds the \(buffer.readableBytes - 12) bytes received")
        }
        guard size <= maxBatchBytes else {
            throw KafkaRecordError(.messageTooLarge, "batch of \(size) bytes exceeds the limit of \(maxBatchBytes)")
        }
        var batch = buffer.readSlice(length: size)!
        let crc = batch.getInteger(at: batch.readerIndex + 17, endianness: .big, as: UInt32.self)!
        let computed = batch.withUnsafeReadableBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[Self.crcStart...]))
        }
        guard crc == computed else { throw .corrupt("CRC mismatch") }

        do {
            return try decodeValidated(&batch, size: size, allowance: &allowance)
        } catch let error as KafkaRecordError {
            throw error
        } catch let error as KafkaDecodeError {
            throw .corrupt("record: \(error.message)")
        } catch {
            throw .corrupt("\(error)")
        }
    }

    /// The records of a compressed batch, expanded within `maxDecompressedBytes`.
    func decompress(_ batch: ByteBuffer, _ codec: KafkaCompression, allowance: Int) throws(KafkaRecordError)
        -> ByteBuffer
    {
        let limit = max(0, min(maxDecompressedBytes, allowance))
        let libraries = codecs
        let result = batch.withUnsafeReadableBytes { compressed in
            Result { () throws(DecompressionError) in
                switch codec {
                case .gzip: try Decompressor.gunzip(compressed, maxOutputBytes: limit, libraries: libraries)
                case .snappy: try Decompressor.unsnappy(compressed, maxOutputBytes: limit)
                case .lz4: try Decompressor.unlz4(compressed, maxOutputBytes: limit, libraries: libraries)
                case .zstd: try Decompressor.unzstd(compressed, maxOutputBytes: limit, libraries: libraries)
                case .uncompressed: preconditionFailure("an uncompressed batch is not decompressed")
                }
            }
        }
        switch result {
        case .success(let plain):
            return plain
        case .failure(.tooLarge(let limit)):
            throw KafkaRecordError(.messageTooLarge, "batch expands beyond \(limit) bytes")
        case .failure(.corrupt(let why)):
            throw KafkaRecordError.corrupt("cannot decompress: \(why)")
        case .failure(.unavailable(let why)):
            throw KafkaRecordError(.unsupportedCompressionType, why)
        }
    }

    private func decodeValidated(_ batch: inout ByteBuffer, size: Int, allowance: inout Int) throws -> KafkaRecordBatch
    {
        let baseOffset = try batch.readKafkaInt64()
        _ = try batch.readKafkaInt32()  // batch length, checked
        let leaderEpoch = try batch.readKafkaInt32()
        batch.moveReaderIndex(forwardBy: 5)  // magic, crc: checked
        let attributes = try batch.readKafkaInt16()
        let lastOffsetDelta = try batch.readKafkaInt32()
        let baseTimestamp = try batch.readKafkaInt64()
        let maxTimestamp = try batch.readKafkaInt64()
        let producerId = try batch.readKafkaInt64()
        let producerEpoch = try batch.readKafkaInt16()
        let baseSequence = try batch.readKafkaInt32()
        let recordsCount = try batch.readKafkaInt32()

        if attributes & 0x20 != 0 { throw KafkaRecordError.invalid("control batches are not accepted from clients") }
        guard recordsCount > 0, Int64(lastOffsetDelta) + 1 == Int64(recordsCount) else {
            throw KafkaRecordError.invalid("lastOffsetDelta \(lastOffsetDelta) with \(recordsCount) records")
        }
        if producerId >= 0 && baseSequence < 0 {
            throw KafkaRecordError.invalid("producer id \(producerId) with base sequence \(baseSequence)")
        }

        guard let codec = KafkaCompression(rawValue: attributes & 0x07) else {
            throw KafkaRecordError(.unsupportedCompressionType, "compression codec \(attributes & 0x07)")
        }
        var records = batch
        if codec != .uncompressed {
            do throws(KafkaRecordError) {
                records = try decompress(batch, codec, allowance: allowance)
            } catch {
                guard error.code == .messageTooLarge else { throw error }
                // What was expanded before the limit was reached is spent: later partitions get nothing more.
                allowance = 0
                throw error
            }
            allowance -= records.readableBytes
        }

        // Each record takes at least 7 bytes, so a hostile count cannot drive the reservation.
        guard Int(recordsCount) <= records.readableBytes / 7 else {
            throw KafkaRecordError.corrupt("\(recordsCount) records cannot fit in \(records.readableBytes) bytes")
        }
        // The decoded records copy their keys, values and headers out of the batch: count them before any is made.
        let decodedCost = Int(recordsCount) * Self.decodedRecordBytes + records.readableBytes
        guard decodedCost <= allowance else {
            allowance = 0
            throw KafkaRecordError(
                .messageTooLarge, "the request's records take more memory once decoded than a request may use")
        }
        allowance -= decodedCost
        var decoded: [ProducerRecord] = []
        decoded.reserveCapacity(Int(recordsCount))
        for expectedDelta in 0..<recordsCount {
            let record = try Self.decodeRecord(&records, baseTimestamp: baseTimestamp, expectedDelta: expectedDelta)
            if !record.record.headers.isEmpty {
                allowance -= record.record.headers.count * Self.decodedHeaderBytes
                guard allowance >= 0 else {
                    allowance = 0
                    throw KafkaRecordError(
                        .messageTooLarge, "the request's record headers take more memory than a request may use")
                }
            }
            decoded.append(record.record)
        }
        guard records.readableBytes == 0 else {
            throw KafkaRecordError.corrupt("\(records.readableBytes) bytes after the last record")
        }
        return KafkaRecordBatch(
            baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch, attributes: attributes,
            lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp,
            producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence,
            records: decoded, sizeInBytes: size)
    }

    /// Reads one record (varint framed) and checks its offset delta unless `expectedDelta` is `nil`.
    static func decodeRecord(
        _ buffer: inout ByteBuffer, baseTimestamp: Int64, expectedDelta: Int32?
    ) throws -> (record: ProducerRecord, offsetDelta: Int32) {
        let length = Int(try buffer.readKafkaVarint("record length"))
        guard length >= 0, length <= buffer.readableBytes, var body = buffer.readSlice(length: length) else {
            throw KafkaRecordError.corrupt("record length \(length)")
        }
        _ = try body.readKafkaInt8("record attributes")
        let timestampDelta = try body.readKafkaVarlong("timestamp delta")
        let offsetDelta = try body.readKafkaVarint("offset delta")
        if let expectedDelta, offsetDelta != expectedDelta {
            throw KafkaRecordError.invalid("offset delta \(offsetDelta), expected \(expectedDelta)")
        }
        let key = try readVarintBytes(&body, "key")
        let value = try readVarintBytes(&body, "value")
        let headerCount = try body.readKafkaVarint("header count")
        guard headerCount >= 0, Int(headerCount) <= body.readableBytes / 2 else {
            throw KafkaRecordError.corrupt("header count \(headerCount)")
        }
        var headers: [Header] = []
        headers.reserveCapacity(Int(headerCount))
        for _ in 0..<headerCount {
            guard let nameBytes = try readVarintBytes(&body, "header key") else {
                throw KafkaRecordError.corrupt("null header key")
            }
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw KafkaRecordError.corrupt("header key is not UTF-8")
            }
            headers.append(Header(name: name, value: try readVarintBytes(&body, "header value")))
        }
        guard body.readableBytes == 0 else { throw KafkaRecordError.corrupt("record length does not match its fields") }
        let record = ProducerRecord(
            key: key, value: value, headers: headers, timestamp: baseTimestamp &+ timestampDelta)
        return (record, offsetDelta)
    }

    /// Varint-length bytes, `nil` for -1.
    static func readVarintBytes(_ buffer: inout ByteBuffer, _ what: StaticString) throws -> [UInt8]? {
        let length = try buffer.readKafkaVarint(what)
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= buffer.readableBytes, let bytes = buffer.readBytes(length: Int(length)) else {
            throw KafkaRecordError.corrupt("\(what) length \(length)")
        }
        return bytes
    }
}
