import NIOCore
import Testing

@testable import SluiceKafka

@Suite struct PrimitivesTests {
    @Test func zigzagVarintsMatchKafkasEncoding() throws {
        let cases: [(Int64, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
            (Int64.max, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ]
        for (value, bytes) in cases {
            var buffer = ByteBuffer()
            buffer.writeKafkaVarlong(value)
            #expect(Array(buffer.readableBytesView) == bytes, "\(value)")
            #expect(KafkaVarint.size(value) == bytes.count)
            #expect(try buffer.readKafkaVarlong() == value)
        }
    }

    @Test func overlongOrTruncatedVarintsThrow() {
        var tooLong = ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: 11))
        #expect(throws: KafkaDecodeError.self) { try tooLong.readKafkaVarlong() }
        var truncated = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: KafkaDecodeError.self) { try truncated.readKafkaVarlong() }
        var outOfInt32 = ByteBuffer()
        outOfInt32.writeKafkaVarlong(Int64(Int32.max) + 1)
        #expect(throws: KafkaDecodeError.self) { try outOfInt32.readKafkaVarint() }
    }

    @Test func unsignedVarintsAndCompactStrings() throws {
        var buffer = ByteBuffer()
        buffer.writeKafkaUnsignedVarint(300)
        #expect(Array(buffer.readableBytesView) == [0xAC, 0x02])
        #expect(try buffer.readKafkaUnsignedVarint() == 300)
        buffer.writeKafkaCompactString("kcat")
        buffer.writeKafkaCompactString(nil)
        #expect(Array(buffer.readableBytesView) == [5, 0x6B, 0x63, 0x61, 0x74, 0])
        #expect(try buffer.readKafkaCompactString() == "kcat")
        #expect(try buffer.readKafkaCompactNullableString() == nil)
        var fiveBytes = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: KafkaDecodeError.self) { try fiveBytes.readKafkaUnsignedVarint() }
    }

    @Test func nullableStringsAndBytes() throws {
        var buffer = ByteBuffer()
        buffer.writeKafkaNullableString(nil)
        buffer.writeKafkaNullableString("ab")
        buffer.writeKafkaBytes(nil as ByteBuffer?)
        buffer.writeKafkaBytes([1, 2, 3])
        #expect(
            Array(buffer.readableBytesView) == [
                0xFF, 0xFF, 0, 2, 0x61, 0x62, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 3, 1, 2, 3,
            ])
        #expect(try buffer.readKafkaNullableString() == nil)
        #expect(try buffer.readKafkaString() == "ab")
        #expect(try buffer.readKafkaNullableBytes() == nil)
        #expect(try buffer.readKafkaByteArray() == [1, 2, 3])
    }

    @Test func lengthsBeyondTheInputThrowBeforeAllocating() {
        var string = ByteBuffer(bytes: [0x7F, 0xFF, 0x61])
        #expect(throws: KafkaDecodeError.self) { try string.readKafkaString() }
        var bytes = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF, 1])
        #expect(throws: KafkaDecodeError.self) { try bytes.readKafkaNullableBytes() }
        var negative = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFE])
        #expect(throws: KafkaDecodeError.self) { try negative.readKafkaNullableBytes() }
        var array = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1])
        #expect(throws: KafkaDecodeError.self) { try array.readKafkaInt32Array("a") }
        var badUTF8 = ByteBuffer(bytes: [0, 1, 0xFF])
        #expect(throws: KafkaDecodeError.self) { try badUTF8.readKafkaString() }
    }
}

extension PrimitivesTests {
    @Test func anOverlongStringIsCutAtACharacterBoundary() throws {
        var buffer = ByteBuffer()
        buffer.writeKafkaString("a" + String(repeating: "é", count: 20_000))
        let decoded = try buffer.readKafkaString()
        #expect(decoded.utf8.count == 32_767 && decoded.hasSuffix("é") && decoded.unicodeScalars.count == 16_384)
    }
}
