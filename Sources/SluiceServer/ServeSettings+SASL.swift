import SluiceCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One `kafka_sasl_users` entry as written: a name and, for each SCRAM hash, the salted and hashed password
/// (`sluice users add` writes them): `{"name": "alice", "scram_sha_256": {"salt": BASE64, "iterations": 4096,
/// "stored_key": BASE64, "server_key": BASE64}, "scram_sha_512": {...}}`.
struct SASLUserFile: Decodable {
    var name: String
    var scramSHA256: SCRAMCredentialFile?
    var scramSHA512: SCRAMCredentialFile?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case scramSHA256 = "scram_sha_256"
        case scramSHA512 = "scram_sha_512"
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self, in: "a kafka_sasl_users entry")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        scramSHA256 = try c.decodeIfPresent(SCRAMCredentialFile.self, forKey: .scramSHA256)
        scramSHA512 = try c.decodeIfPresent(SCRAMCredentialFile.self, forKey: .scramSHA512)
    }
}

/// A SCRAM credential as written: base64 salt, StoredKey and ServerKey, and the iteration count.
struct SCRAMCredentialFile: Decodable {
    var salt: String
    var iterations: Int
    var storedKey: String
    var serverKey: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case salt, iterations
        case storedKey = "stored_key"
        case serverKey = "server_key"
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self, in: "a SCRAM credential")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        salt = try c.decode(String.self, forKey: .salt)
        iterations = try c.decode(Int.self, forKey: .iterations)
        storedKey = try c.decode(String.self, forKey: .storedKey)
        serverKey = try c.decode(String.self, forKey: .serverKey)
    }

    func credential(hash: SCRAMHash) throws(SluiceError) -> SCRAMCredential {
        guard let salt = Data(base64Encoded: salt), !salt.isEmpty else {
            throw SluiceError(.invalidArgument, "\(hash.settingKey).salt is not base64")
        }
        guard iterations >= SCRAMCredential.minIterations else {
            throw SluiceError(
                .invalidArgument,
                "\(hash.settingKey).iterations must be at least \(SCRAMCredential.minIterations), not \(iterations)")
        }
        var keys: [[UInt8]] = []
        for (name, text) in [("stored_key", storedKey), ("server_key", serverKey)] {
            guard let key = Data(base64Encoded: text), key.count == hash.digestSize else {
                throw SluiceError(
                    .invalidArgument, "\(hash.settingKey).\(name) must be \(hash.digestSize) bytes in base64")
            }
            keys.append(Array(key))
        }
        return SCRAMCredential(salt: Array(salt), iterations: iterations, storedKey: keys[0], serverKey: keys[1])
    }
}

extension SettingsFile {
    /// Checks the `kafka_sasl_*` and `kafka_tls_*` keys and sets them in `settings`.
    func saslSettings(into settings: inout ServeSettings) throws(SluiceError) {
        settings.kafkaSASLRequired = kafkaSASLRequired
        if let kafkaSASLMechanisms {
            var mechanisms: Set<KafkaSASLMechanism> = []
            for name in kafkaSASLMechanisms {
                guard let mechanism = KafkaSASLMechanism(rawValue: name) else {
                    throw SluiceError(
                        .invalidArgument,
                        "unknown SASL mechanism '\(name)' in kafka_sasl_mechanisms; known: "
                            + KafkaSASLMechanism.allCases.map(\.rawValue).joined(separator: ", "))
                }
                mechanisms.insert(mechanism)
            }
            guard !mechanisms.isEmpty else {
                throw SluiceError(.invalidArgument, "kafka_sasl_mechanisms enables no mechanism")
            }
            settings.kafkaSASLMechanisms = mechanisms
        }
        if let kafkaSASLUsers {
            var users = KafkaSASLUsers()
            for (index, entry) in kafkaSASLUsers.enumerated() {
                guard !entry.name.isEmpty else {
                    throw SluiceError(.invalidArgument, "kafka_sasl_users[\(index)] has an empty name")
                }
                guard users.credentials[entry.name] == nil else {
                    throw SluiceError(.invalidArgument, "kafka_sasl_users names '\(entry.name)' twice")
                }
                var credentials: [SCRAMHash: SCRAMCredential] = [:]
                do {
                    if let file = entry.scramSHA256 { credentials[.sha256] = try file.credential(hash: .sha256) }
                    if let file = entry.scramSHA512 { credentials[.sha512] = try file.credential(hash: .sha512) }
                } catch {
                    throw SluiceError(.invalidArgument, "kafka_sasl_users[\(index)] (\(entry.name)): \(error.message)")
                }
                guard !credentials.isEmpty else {
                    throw SluiceError(
                        .invalidArgument,
                        "kafka_sasl_users[\(index)] (\(entry.name)) has no scram_sha_256 or scram_sha_512 credential")
                }
                users.credentials[entry.name] = credentials
            }
            settings.kafkaSASLUsers = users
        }
        settings.kafkaTLSCertificate = kafkaTLSCertificate
        settings.kafkaTLSKey = kafkaTLSKey
    }
}

extension ServeSettings {
    /// Sets the Kafka listener's SASL settings, refusing a listener beyond loopback that does not require SASL,
    /// SASL required with no users, one TLS key without the other, and TLS in a build without the `TLS` trait.
    func kafkaSecurity(into kafka: inout KafkaListenerSettings) throws(SluiceError) {
        var sasl = KafkaSASLSettings()
        if let mechanisms = kafkaSASLMechanisms { sasl.mechanisms = mechanisms }
        sasl.required = kafkaSASLRequired ?? false
        sasl.users = kafkaSASLUsers ?? KafkaSASLUsers()
        if sasl.required && sasl.users.isEmpty {
            throw SluiceError(
                .invalidArgument,
                "kafka_sasl_required needs at least one entry in kafka_sasl_users (add one with `sluice users add`)")
        }
        let address = kafka.host.contains(":") ? "[\(kafka.host)]:\(kafka.port)" : "\(kafka.host):\(kafka.port)"
        if !Self.isLoopback(kafka.host) && !sasl.required {
            throw SluiceError(
                .invalidArgument,
                """
                kafka_listen \(address) is not a loopback address: a Kafka listener reachable from other hosts must \
                require SASL; set kafka_sasl_required to true and add users with `sluice users add`
                """)
        }
        kafka.sasl = sasl
        guard kafkaTLSCertificate != nil || kafkaTLSKey != nil else { return }
        // Without the TLS trait the keys are read so that a configuration asking for TLS is refused, never served
        // in plain TCP.
        guard KafkaTLSSettings.served else {
            throw SluiceError(
                .invalidArgument,
                """
                kafka_tls_certificate and kafka_tls_key ask for TLS, which this build of sluice does not serve: \
                build it with the TLS trait (`swift build --traits TLS`, docs/KAFKA.md, SASL and TLS) or remove \
                both keys
                """)
        }
        guard let certificate = kafkaTLSCertificate, let key = kafkaTLSKey else {
            throw SluiceError(
                .invalidArgument,
                "kafka_tls_certificate and kafka_tls_key go together: set both (PEM certificate chain, PEM key)")
        }
        kafka.tls = KafkaTLSSettings(certificate: certificate, key: key)
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    package static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
