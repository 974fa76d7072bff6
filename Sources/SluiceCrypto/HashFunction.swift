/// A streaming cryptographic hash: what HMAC and PBKDF2 are built on.
package protocol HashFunction {
    /// Bytes per block (HMAC pads its key to it).
    static var blockSize: Int { get }
    /// Bytes of a digest.
    static var digestSize: Int { get }
    init()
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest; the value is spent afterwards.
    mutating func finish() -> [UInt8]
}

extension HashFunction {
    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest, as lowercase hexadecimal (what `sha256sum` prints).
    package mutating func finishHex() -> String {
        finish().hexString
    }

    /// The digest of `bytes`.
    package static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hash = Self()
        hash.update(bytes)
        return hash.finish()
    }
}

extension [UInt8] {
    /// Lowercase hexadecimal, two digits a byte.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Comparisons whose time depends on the length of the values only, not on where they differ: for secrets.
package enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes.
    package static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
