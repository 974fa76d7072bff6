import SluiceCrypto

/// A SASL mechanism the Kafka listener can enable.
package enum KafkaSASLMechanism: String, Sendable, Hashable, CaseIterable, Comparable {
    case plain = "PLAIN"
    case scramSHA256 = "SCRAM-SHA-256"
    case scramSHA512 = "SCRAM-SHA-512"

    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The SCRAM hash of a SCRAM mechanism; nil for PLAIN.
    package var scram: SCRAMHash? {
        switch self {
        case .plain: nil
        case .scramSHA256: .sha256
        case .scramSHA512: .sha512
        }
    }
}

/// The hash a SCRAM mechanism is built on, with the few operations SCRAM needs of it (RFC 5802 §2.2).
package enum SCRAMHash: String, Sendable, Hashable, CaseIterable {
    case sha256 = "SCRAM-SHA-256"
    case sha512 = "SCRAM-SHA-512"

    /// The key of the configuration file's entry for this hash (`scram_sha_256`).
    package var settingKey: String {
        switch self {
        case .sha256: "scram_sha_256"
        case .sha512: "scram_sha_512"
        }
    }

    var digestSize: Int {
        switch self {
        case .sha256: SHA256.digestSize
        case .sha512: SHA512.digestSize
        }
    }

    func hash(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: SHA256.hash(bytes)
        case .sha512: SHA512.hash(bytes)
        }
    }

    func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: HMAC<SHA256>.authenticationCode(key: key, message: message)
        case .sha512: HMAC<SHA512>.authenticationCode(key: key, message: message)
        }
    }

    /// `Hi(password, salt, iterations)`: the salted password.
    func saltedPassword(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        switch self {
        case .sha256: PBKDF2<SHA256>.derive(password: password, salt: salt, iterations: iterations, length: 32)
        case .sha512: PBKDF2<SHA512>.derive(password: password, salt: salt, iterations: iterations, length: 64)
        }
    }
}

/// What the server keeps of one user's password for one SCRAM hash, as Kafka stores SCRAM credentials: the salt,
/// the iteration count, `StoredKey = H(HMAC(SaltedPassword, "Client Key"))` and
/// `ServerKey = HMAC(SaltedPassword, "Server Key")`. The password itself cannot be recovered from it.
package struct SCRAMCredential: Sendable, Hashable {
    /// Kafka's lower bound (`ScramMechanism.minIterations`).
    package static let minIterations = 4096
    /// What `sluice users add` uses unless told otherwise (Kafka's default).
    package static let defaultIterations = 4096

    package var salt: [UInt8]
    package var iterations: Int
    package var storedKey: [UInt8]
    package var serverKey: [UInt8]

    package init(salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
        self.salt = salt
        self.iterations = iterations
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// The credential of `password` with `salt` and `iterations`.
    package init(password: String, hash: SCRAMHash, salt: [UInt8], iterations: Int) {
        let salted = hash.saltedPassword(Array(password.utf8), salt: salt, iterations: iterations)
        self.init(
            salt: salt, iterations: iterations,
            storedKey: hash.hash(hash.hmac(key: salted, Array("Client Key".utf8))),
            serverKey: hash.hmac(key: salted, Array("Server Key".utf8)))
    }

    /// Whether `password` is the one this credential was made from: the salted password is computed again with the
    /// stored salt and iterations, and its StoredKey compared in constant time. Costs `iterations` HMACs: run it
    /// off the event loop.
    package func verifies(password: String, hash: SCRAMHash) -> Bool {
        let candidate = SCRAMCredential(password: password, hash: hash, salt: salt, iterations: iterations)
        return ConstantTime.equals(candidate.storedKey, storedKey)
    }
}

/// The users the Kafka listener authenticates: per user name, a credential for each SCRAM hash it was given.
package struct KafkaSASLUsers: Sendable, Hashable {
    package var credentials: [String: [SCRAMHash: SCRAMCredential]]

    package init(_ credentials: [String: [SCRAMHash: SCRAMCredential]] = [:]) {
        self.credentials = credentials
    }

    package var isEmpty: Bool { credentials.isEmpty }

    package func credential(user: String, hash: SCRAMHash) -> SCRAMCredential? {
        credentials[user]?[hash]
    }
}

/// Random bytes from the system's generator.
enum SecureRandom {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
