import Foundation
import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

/// The old message formats: magic 0 and 1 message sets decoded on produce, written on fetch before v4.
@Suite struct MessageSetTests {
    /// A message of `magic` with its CRC-32, as Kafka's old clients write it.
    static func message(
        magic: Int8, offset: Int64 = 0, attributes: Int8 = 0, timestamp: Int64 = 1_700_000_000_000, key: [UInt8]?,
        value: [UInt8]?
    ) -> [UInt8] {
        var body = ByteBuffer()
        body.writeInteger(magic)
        body.writeInteger(attributes)
        if magic == 1 { body.writeInteger(timestamp) }
        for field in [key, value] {
            if let field {
                body.writeInteger(Int32(field.count))
                body.writeBytes(field)
            } else {
                body.writeInteger(Int32(-1))
            }
        }
        let bytes = Array(body.readableBytesView)
        var out = ByteBuffer()
        out.writeInteger(offset)
        out.writeInteger(Int32(bytes.count + 4))
        out.writeInteger(CRC32.checksum(bytes))
        out.writeBytes(bytes)
        return Array(out.readableBytesView)
    }

    static var legacy: KafkaRecordBatchDecoder {
        var decoder = KafkaRecordBatchDecoder()
        decoder.acceptsLegacyMessages = true
        return decoder
    }

    @Test func crc32Vector() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// Golden bytes of a magic 0 message (key "k", value "v"): Kafka's own layout and CRC.
    @Test func magicZeroGoldenBytes() throws {
        let bytes = Self.message(magic: 0, key: [0x6B], value: [0x76])
        #expect(
            bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16] + [0x1F, 0xEC, 0xD7, 0x0A]
                + [0, 0, 0, 0, 0, 1, 0x6B, 0, 0, 0, 1, 0x76])
        let batches = try Self.legacy.decodePayload(
            ByteBuffer(bytes: bytes + Self.message(magic: 0, key: nil, value: [1])))
        #expect(batches.count == 1 && batches[0].producerId == -1)
        #expect(
            batches[0].records == [
                ProducerRecord(key: [0x6B], value: [0x76], timestamp: nil), ProducerRecord(value: [1], timestamp: nil),
            ])
    }

    @Test func magicOneKeepsCreateTimeAndStampsLogAppendTime() throws {
        let set =
            Self.message(magic: 1, key: nil, value: [1])
            + Self.message(magic: 1, attributes: 0x08, key: nil, value: [2])
            + Self.message(magic: 1, timestamp: -1, key: nil, value: [3])
        let records = try Self.legacy.decodePayload(ByteBuffer(bytes: set))[0].records
        #expect(records.map(\.timestamp) == [1_700_000_000_000, nil, nil])
        #expect(records.map(\.value) == [[1], [2], [3]])
    }

    @Test func aGzipWrapperHoldsItsMessages() throws {
        let inner =
            Self.message(magic: 1, offset: 0, key: [1], value: [2])
            + Self.message(magic: 1, offset: 1, key: nil, value: [3])
        let gzipped = try gzip(inner)
        let wrapper = Self.message(magic: 1, offset: 1, attributes: 1, key: nil, value: gzipped)
        let batch = try Self.legacy.decodePayload(ByteBuffer(bytes: wrapper))[0]
        #expect(batch.records.map(\.value) == [[2], [3]] && batch.compression == .gzip)
        let nested = Self.message(magic: 1, attributes: 1, key: nil, value: try gzip(wrapper))
        #expect(throws: KafkaRecordError.self) { try Self.legacy.decodePayload(ByteBuffer(bytes: nested)) }
    }

    @Test func refusals() {
        let good = Self.message(magic: 1, key: nil, value: [1])
        var badCRC = good
        badCRC[12] ^= 1
        #expect(code(badCRC) == .corruptMessage)
        #expect(code(Array(good.dropLast())) == .corruptMessage)
        #expect(code(Self.message(magic: 1, attributes: 4, key: nil, value: [1])) == .unsupportedCompressionType)
        #expect(code(Self.message(magic: 1, attributes: 7, key: nil, value: [1])) == .unsupportedCompressionType)
        var small = KafkaRecordBatchDecoder(maxBatchBytes: 20)
        small.acceptsLegacyMessages = true
        #expect(throws: KafkaRecordError(.messageTooLarge, "message of 35 bytes exceeds the limit of 20")) {
            try small.decodePayload(ByteBuffer(bytes: good))
        }
        #expect(throws: KafkaRecordError.self) { try KafkaRecordBatchDecoder().decodePayload(ByteBuffer(bytes: good)) }
    }

    func code(_ bytes: [UInt8]) -> KafkaErrorCode? {
        do {
            _ = try Self.legacy.decodePayload(ByteBuffer(bytes: bytes))
            return nil
        } catch {
            return error.code
        }
    }

    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-gz-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](out)
    }

    /// The fetch side writes what the produce side reads, magic by magic, with offsets and timestamps kept.
    @Test(arguments: [Int8(0), 1])
    func theWriterWritesWhatTheDecoderReads(magic: Int8) throws {
        var writer = KafkaMessageSetWriter(magic: magic)
        let key: [UInt8] = [0x6B]
        key.withUnsafeBytes { k in
            writer.append(offset: 7, timestamp: 1_700_000_000_000, key: k, value: nil)
        }
        [UInt8]([1, 2]).withUnsafeBytes { v in writer.append(offset: 9, timestamp: 5, key: nil, value: v) }
        let bytes = Array(writer.bytes.readableBytesView)
        #expect(
            Array(bytes[0..<Self.message(magic: magic, offset: 7, key: key, value: nil).count])
                == Self.message(magic: magic, offset: 7, key: key, value: nil))
        let records = try Self.legacy.decodePayload(writer.bytes)[0].records
        #expect(records.map(\.timestamp) == (magic == 1 ? [1_700_000_000_000, 5] : [nil, nil]))
        #expect(records.map(\.value) == [nil, [1, 2]])
        let first = KafkaMessageSetWriter.overhead(magic: magic) + 1
        #expect(writer.truncated(maxBytes: first + 3, keepFirst: true).readableBytes == first)
        #expect(writer.truncated(maxBytes: 3, keepFirst: true).readableBytes == first, "KIP-74: the first whole")
        #expect(writer.truncated(maxBytes: 3, keepFirst: false).readableBytes == 3, "a hard limit cuts inside")
    }
}
