/// HMAC (RFC 2104) over a `HashFunction`: SCRAM's keyed hash.
package struct HMAC<H: HashFunction> {
    /// The hash states after the inner and the outer padded key: computed once per key, copied per message.
    private let inner: H
    private let outer: H

    package init(key: [UInt8]) {
        var keyBlock = key.count > H.blockSize ? H.hash(key) : key
        keyBlock += [UInt8](repeating: 0, count: H.blockSize - keyBlock.count)
        var inner = H()
        inner.update(keyBlock.map { $0 ^ 0x36 })
        var outer = H()
        outer.update(keyBlock.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// The authentication code of `message` under this key.
    package func authenticationCode(_ message: [UInt8]) -> [UInt8] {
        var inner = self.inner
        inner.update(message)
        var outer = self.outer
        outer.update(inner.finish())
        return outer.finish()
    }

    /// The authentication code of `message` under `key`.
    package static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        HMAC(key: key).authenticationCode(message)
    }
}

/// PBKDF2 (RFC 8018) with HMAC over a `HashFunction`; with `length` equal to the digest size it is SCRAM's `Hi`.
package enum PBKDF2<H: HashFunction> {
    /// `length` bytes derived from `password` and `salt` with `iterations` rounds.
    ///
    /// Precondition: `iterations >= 1` and `length >= 1`.
    package static func derive(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        precondition(iterations >= 1 && length >= 1, "PBKDF2 needs at least one iteration and one byte")
        let mac = HMAC<H>(key: password)
        var derived: [UInt8] = []
        var blockIndex: UInt32 = 1
        while derived.count < length {
            let counter = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: blockIndex >> $0) }
            var u = mac.authenticationCode(salt + counter)
            var block = u
            if iterations > 1 {
                for _ in 2...iterations {
                    u = mac.authenticationCode(u)
                    for index in block.indices { block[index] ^= u[index] }
                }
            }
            derived += block
            blockIndex += 1
        }
        return Array(derived.prefix(length))
    }
}
