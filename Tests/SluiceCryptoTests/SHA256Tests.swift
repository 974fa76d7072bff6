import Testing

@testable import SluiceCrypto

/// FIPS 180-4's examples, and the same digest whichever way the input is split.
@Suite struct SHA256Tests {
    static func digest(_ bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.finishHex()
    }

    @Test func standardVectors() {
        #expect(Self.digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.digest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Self.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.digest(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the block and padding boundaries (55, 56, 63, 64, 65 bytes), fed in two parts split at every
    /// byte: the digest never depends on how the input arrived.
    @Test func splitsAtEveryByteGiveTheSameDigest() {
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 200] {
            let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let whole = Self.digest(input)
            for split in 0...length {
                var hash = SHA256()
                hash.update(Array(input[..<split]))
                hash.update(Array(input[split...]))
                #expect(hash.finishHex() == whole, "length \(length) split at \(split)")
            }
        }
        #expect(
            Self.digest(Array(repeating: 0, count: 64))
                == "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b")
    }
}
