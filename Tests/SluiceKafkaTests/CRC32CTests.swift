import Testing

@testable import SluiceKafka

@Suite struct CRC32CTests {
    @Test func standardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    /// RFC 3720 (iSCSI) B.4 test vectors.
    @Test func rfc3720Vectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
    }

    @Test func slicedAndBytewiseAgreeAtEveryLengthAndSplit() {
        var rng = SplitMix64(seed: 7)
        let data = (0..<100).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for length in 0...data.count {
            let slice = Array(data[0..<length])
            var bytewise: UInt32 = 0xFFFF_FFFF
            for byte in slice {
                bytewise ^= UInt32(byte)
                for _ in 0..<8 { bytewise = bytewise & 1 == 1 ? (bytewise >> 1) ^ 0x82F6_3B78 : bytewise >> 1 }
            }
            #expect(CRC32C.checksum(slice) == ~bytewise, "length \(length)")
            let split = length / 3
            let continued = slice.withUnsafeBytes { bytes in
                CRC32C.checksum(
                    UnsafeRawBufferPointer(rebasing: bytes[split...]),
                    continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[..<split])))
            }
            #expect(continued == ~bytewise)
        }
    }
}
