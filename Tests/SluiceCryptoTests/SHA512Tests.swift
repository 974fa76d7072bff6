import Testing

@testable import SluiceCrypto

/// FIPS 180-4's examples, and the same digest whichever way the input is split.
@Suite struct SHA512Tests {
    static func digest(_ bytes: [UInt8]) -> String {
        var hash = SHA512()
        hash.update(bytes)
        return hash.finishHex()
    }

    @Test func standardVectors() {
        #expect(
            Self.digest([])
                == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
        #expect(
            Self.digest(Array("abc".utf8))
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        let twoBlocks =
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
            + "nopqrstu"
        #expect(
            Self.digest(Array(twoBlocks.utf8))
                == "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                + "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")
        #expect(
            Self.digest(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                + "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b")
    }

    /// Lengths around the block and padding boundaries, fed in two parts split at every byte.
    @Test func splitsAtEveryByteGiveTheSameDigest() {
        for length in [0, 1, 111, 112, 127, 128, 129, 239, 240, 300] {
            let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let whole = Self.digest(input)
            for split in 0...length {
                var hash = SHA512()
                hash.update(Array(input[..<split]))
                hash.update(Array(input[split...]))
                #expect(hash.finishHex() == whole, "length \(length) split at \(split)")
            }
        }
    }
}
