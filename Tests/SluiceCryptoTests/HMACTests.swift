import Testing

@testable import SluiceCrypto

/// RFC 4231's HMAC-SHA-256 and HMAC-SHA-512 test cases, and PBKDF2 vectors of RFC 7914 (SHA-256) and the
/// RFC 6070-style vectors published for SHA-512.
@Suite struct HMACTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
        }
    }

    struct Case {
        var key: [UInt8]
        var data: [UInt8]
        var sha256: String
        var sha512: String
    }

    static let rfc4231: [Case] = [
        Case(
            key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
            sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            sha512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                + "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
        Case(
            key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
            sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                + "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
        Case(
            key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
            sha256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            sha512: "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
                + "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"),
        // A key longer than the block: hashed first.
        Case(
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            sha512: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
                + "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
    ]

    @Test func rfc4231Vectors() {
        for (index, test) in Self.rfc4231.enumerated() {
            #expect(
                HMAC<SHA256>.authenticationCode(key: test.key, message: test.data).hexString == test.sha256,
                "case \(index)")
            #expect(
                HMAC<SHA512>.authenticationCode(key: test.key, message: test.data).hexString == test.sha512,
                "case \(index)")
        }
    }

    @Test func pbkdf2SHA256Vectors() {
        // RFC 7914 §11.
        #expect(
            PBKDF2<SHA256>.derive(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
                == Self.bytes(
                    "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                        + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"))
        // The RFC 6070 inputs with HMAC-SHA-256.
        #expect(
            PBKDF2<SHA256>.derive(
                password: Array("password".utf8), salt: Array("salt".utf8), iterations: 4096, length: 32
            ).hexString == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        #expect(
            PBKDF2<SHA256>.derive(
                password: Array("passwordPASSWORDpassword".utf8),
                salt: Array("saltSALTsaltSALTsaltSALTsaltSALTsalt".utf8), iterations: 4096, length: 40
            ).hexString == "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9")
    }

    @Test func pbkdf2SHA512Vectors() {
        #expect(
            PBKDF2<SHA512>.derive(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
                .hexString
                == "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
                + "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce")
        #expect(
            PBKDF2<SHA512>.derive(
                password: Array("password".utf8), salt: Array("salt".utf8), iterations: 4096, length: 64
            ).hexString
                == "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5"
                + "143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5")
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
    }
}
