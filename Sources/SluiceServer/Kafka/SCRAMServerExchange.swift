import SluiceCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The server's side of one SCRAM exchange (RFC 5802, with RFC 7677's SHA-256 and SHA-512), as Kafka's
/// `ScramSaslServer` runs it: client-first message, server-first message, client-final message, server-final
/// message. No I/O and no clock: the caller feeds the client's messages and sends what it gets back.
///
/// The GS2 header must be `n,,` (or `y,,`, or name an authorization id equal to the user): channel binding is not
/// supported. A user with no credential for this hash gets a made-up salt and is refused at the proof, like a wrong
/// password, so the exchange does not tell which users exist.
struct SCRAMServerExchange {
    enum Failure: Error, Equatable {
        /// The message does not follow the grammar; the text says what is wrong.
        case malformed(String)
        /// The proof does not match the user's stored key (or the user is unknown).
        case invalidCredentials
    }

    let hash: SCRAMHash
    private let lookUp: (String) -> SCRAMCredential?
    private let serverNonce: String
    private var state = State.initial

    private enum State {
        case initial
        case sentServerFirst(
            user: String, known: Bool, credential: SCRAMCredential, gs2Header: String, nonce: String,
            authMessagePrefix: String)
        case done
    }

    /// - Parameters:
    ///   - lookUp: the stored credential of a user name, nil for a user without one.
    ///   - serverNonce: the server's part of the nonce: printable, no comma; random in real use.
    init(hash: SCRAMHash, serverNonce: String, lookUp: @escaping (String) -> SCRAMCredential?) {
        self.hash = hash
        self.serverNonce = serverNonce
        self.lookUp = lookUp
    }

    /// A server nonce: 24 random bytes in base64.
    static func randomNonce() -> String {
        Data(SecureRandom.bytes(24)).base64EncodedString()
    }

    /// Reads the client-first message and answers the server-first message (`r=…,s=…,i=…`).
    mutating func receiveClientFirst(_ message: [UInt8]) throws(Failure) -> [UInt8] {
        guard case .initial = state else { throw .malformed("client-first message received twice") }
        state = .done
        guard let text = String(validating: message, as: UTF8.self) else { throw .malformed("not UTF-8") }
        // gs2-header: cbind-flag "," [authzid] ","
        let parts = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("no GS2 header") }
        switch parts[0] {
        case "n", "y": break
        default:
            if parts[0].hasPrefix("p=") { throw .malformed("channel binding is not supported") }
            throw .malformed("invalid GS2 channel-binding flag")
        }
        let authzid = parts[1].isEmpty ? nil : parts[1]
        if let authzid, !authzid.hasPrefix("a=") { throw .malformed("invalid authorization id") }
        let bare = String(parts[2])
        let attributes = bare.split(separator: ",", omittingEmptySubsequences: false)
        guard attributes.count >= 2, attributes[0].hasPrefix("n="), attributes[1].hasPrefix("r=") else {
            throw .malformed("client-first message must start with n= and r=")
        }
        let user = try Self.decodeName(attributes[0].dropFirst(2))
        if let authzid, try Self.decodeName(authzid.dropFirst(2)) != user {
            throw .malformed("the authorization id differs from the user name")
        }
        let clientNonce = attributes[1].dropFirst(2)
        guard !clientNonce.isEmpty else { throw .malformed("empty client nonce") }
        let stored = lookUp(user)
        let credential =
            stored
            ?? SCRAMCredential(
                salt: SecureRandom.bytes(16), iterations: SCRAMCredential.minIterations,
                storedKey: SecureRandom.bytes(hash.digestSize), serverKey: SecureRandom.bytes(hash.digestSize))
        let nonce = clientNonce + serverNonce
        let serverFirst = "r=\(nonce),s=\(Data(credential.salt).base64EncodedString()),i=\(credential.iterations)"
        state = .sentServerFirst(
            user: user, known: stored != nil, credential: credential,
            gs2Header: "\(parts[0]),\(parts[1]),", nonce: String(nonce),
            authMessagePrefix: bare + "," + serverFirst)
        return Array(serverFirst.utf8)
    }

    /// Reads the client-final message and, if its proof is right, answers the server-final message (`v=…`) and
    /// the authenticated user name.
    mutating func receiveClientFinal(_ message: [UInt8]) throws(Failure) -> (user: String, serverFinal: [UInt8]) {
        guard case .sentServerFirst(let user, let known, let credential, let gs2Header, let nonce, let prefix) = state
        else { throw .malformed("client-final message out of turn") }
        state = .done
        guard let text = String(validating: message, as: UTF8.self) else { throw .malformed("not UTF-8") }
        // The proof is the last attribute: everything before it is signed.
        let bytes = Array(text.utf8)
        guard let comma = bytes.indices.last(where: { bytes[$0...].starts(with: Array(",p=".utf8)) }) else {
            throw .malformed("no proof")
        }
        let withoutProof = String(decoding: bytes[..<comma], as: UTF8.self)
        let proofText = String(decoding: bytes[(comma + 3)...], as: UTF8.self)
        let attributes = withoutProof.split(separator: ",", omittingEmptySubsequences: false)
        guard attributes.count >= 2, attributes[0].hasPrefix("c="), attributes[1].hasPrefix("r=") else {
            throw .malformed("client-final message must start with c= and r=")
        }
        guard attributes[0].dropFirst(2) == Data(gs2Header.utf8).base64EncodedString() else {
            throw .malformed("channel binding does not match the GS2 header")
        }
        // Kafka's ScramSaslServer only checks that the nonce ends with the one it sent: librdkafka 2.0.2 (Debian's,
        // kcat's) sends its own nonce a second time in front of it.
        guard attributes[1].dropFirst(2).hasSuffix(nonce) else { throw .malformed("nonce mismatch") }
        guard let proof = Data(base64Encoded: proofText).map(Array.init),
            proof.count == hash.digestSize
        else { throw .malformed("invalid proof") }
        let authMessage = Array((prefix + "," + withoutProof).utf8)
        let clientSignature = hash.hmac(key: credential.storedKey, authMessage)
        let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
        guard ConstantTime.equals(hash.hash(clientKey), credential.storedKey), known else {
            throw .invalidCredentials
        }
        let serverSignature = hash.hmac(key: credential.serverKey, authMessage)
        return (user, Array("v=\(Data(serverSignature).base64EncodedString())".utf8))
    }

    /// A `saslname`: `=2C` stands for `,` and `=3D` for `=`; any other `=` is refused.
    static func decodeName(_ name: Substring) throws(Failure) -> String {
        var decoded = ""
        var rest = name[...]
        while let equals = rest.firstIndex(of: "=") {
            decoded += rest[..<equals]
            let code = rest[equals...].prefix(3)
            switch code {
            case "=2C": decoded += ","
            case "=3D": decoded += "="
            default: throw .malformed("invalid escape in user name")
            }
            rest = rest[equals...].dropFirst(3)
        }
        decoded += rest
        guard !decoded.isEmpty else { throw .malformed("empty user name") }
        return decoded
    }
}
