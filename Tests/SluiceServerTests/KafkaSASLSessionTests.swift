import Foundation
import SluiceCrypto
import SluiceKafka
import Testing

@testable import SluiceServer

/// The SASL state machine alone: RFC 7677's SCRAM-SHA-256 example exchange byte for byte, SCRAM-SHA-512 and PLAIN
/// against stored credentials, and what is refused.
@Suite struct KafkaSASLSessionTests {
    // RFC 7677 §3: user "user", password "pencil".
    static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    static let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static let rfcSalt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)

    static func users(sha512: Bool = true) -> KafkaSASLUsers {
        var credentials: [SCRAMHash: SCRAMCredential] = [
            .sha256: SCRAMCredential(password: "pencil", hash: .sha256, salt: rfcSalt, iterations: 4096)
        ]
        if sha512 {
            credentials[.sha512] = SCRAMCredential(
                password: "pencil", hash: .sha512, salt: Array("salt512".utf8), iterations: 4096)
        }
        return KafkaSASLUsers(["user": credentials])
    }

    static func session(required: Bool = true, users: KafkaSASLUsers = users()) -> KafkaSASLSession {
        KafkaSASLSession(settings: KafkaSASLSettings(required: required, users: users)) { serverNonce }
    }

    static func response(_ step: KafkaSASLSession.Step) -> (KafkaSaslAuthenticateResponse, close: Bool)? {
        if case .respond(let response, let close) = step { return (response, close) }
        return nil
    }

    @Test func rfc7677ExchangeGivesTheRFCMessages() throws {
        var session = Self.session()
        let (handshake, close) = session.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 1)
        #expect(handshake.errorCode == .none && !close)
        #expect(handshake.mechanisms == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
        #expect(session.admission(apiKey: KafkaAPIKey.metadata.rawValue) != .dispatch)

        let first = try #require(Self.response(session.authenticate(Array(Self.clientFirst.utf8))))
        #expect(first.0.errorCode == .none && !first.close)
        #expect(String(decoding: first.0.authBytes, as: UTF8.self) == Self.serverFirst)

        let final = try #require(Self.response(session.authenticate(Array(Self.clientFinal.utf8))))
        #expect(final.0.errorCode == .none && !final.close)
        #expect(String(decoding: final.0.authBytes, as: UTF8.self) == Self.serverFinal)
        #expect(session.user == "user")
        #expect(session.admission(apiKey: KafkaAPIKey.metadata.rawValue) == .dispatch)
    }

    @Test func aWrongProofFailsAndCloses() throws {
        var session = Self.session()
        _ = session.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 1)
        _ = session.authenticate(Array(Self.clientFirst.utf8))
        let tampered = Self.clientFinal.replacingOccurrences(of: "p=dHzb", with: "p=dHza")
        let answer = try #require(Self.response(session.authenticate(Array(tampered.utf8))))
        #expect(answer.0.errorCode == .saslAuthenticationFailed && answer.close)
        #expect(answer.0.errorMessage?.contains("invalid credentials with SASL mechanism SCRAM-SHA-256") == true)
        #expect(session.user == nil)
        #expect(session.admission(apiKey: KafkaAPIKey.metadata.rawValue) != .dispatch)
    }

    /// An unknown user gets a server-first message like a known one and fails at the proof.
    @Test func anUnknownUserFailsAtTheProofOnly() throws {
        var session = Self.session()
        _ = session.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 1)
        let first = try #require(
            Self.response(session.authenticate(Array("n,,n=mallory,r=rOprNGfwEbeRWgbNEkqO".utf8))))
        #expect(first.0.errorCode == .none)
        let text = String(decoding: first.0.authBytes, as: UTF8.self)
        #expect(text.hasPrefix("r=rOprNGfwEbeRWgbNEkqO\(Self.serverNonce),s=") && text.hasSuffix(",i=4096"))
        let final = try #require(Self.response(session.authenticate(Array(Self.clientFinal.utf8))))
        #expect(final.0.errorCode == .saslAuthenticationFailed && final.close)
    }

    /// SCRAM-SHA-512 with a client computed here from the password (HMAC and PBKDF2 are checked against their RFC
    /// vectors in SluiceCryptoTests).
    @Test(arguments: [false, true])
    func scramSHA512Authenticates(nonceRepeated: Bool) throws {
        var session = Self.session()
        _ = session.handshake(.init(mechanism: "SCRAM-SHA-512"), version: 1)
        let bare = "n=user,r=clientnonce512"
        let first = try #require(Self.response(session.authenticate(Array("n,,\(bare)".utf8))))
        let serverFirst = String(decoding: first.0.authBytes, as: UTF8.self)
        let fields = Dictionary(
            uniqueKeysWithValues: serverFirst.split(separator: ",").map { ($0.first!, String($0.dropFirst(2))) })
        let salt = Array(Data(base64Encoded: fields["s"]!)!)
        let salted = PBKDF2<SHA512>.derive(
            password: Array("pencil".utf8), salt: salt, iterations: Int(fields["i"]!)!, length: 64)
        let clientKey = HMAC<SHA512>.authenticationCode(key: salted, message: Array("Client Key".utf8))
        // librdkafka 2.0.2 sends its own nonce again in front of the whole one; Kafka accepts it.
        let withoutProof = "c=biws,r=\(nonceRepeated ? "clientnonce512" : "")\(fields["r"]!)"
        let authMessage = Array("\(bare),\(serverFirst),\(withoutProof)".utf8)
        let signature = HMAC<SHA512>.authenticationCode(key: SHA512.hash(clientKey), message: authMessage)
        let proof = Data(zip(clientKey, signature).map { $0 ^ $1 }).base64EncodedString()
        let final = try #require(
            Self.response(session.authenticate(Array("\(withoutProof),p=\(proof)".utf8))))
        #expect(final.0.errorCode == .none)
        let serverKey = HMAC<SHA512>.authenticationCode(key: salted, message: Array("Server Key".utf8))
        let expected = HMAC<SHA512>.authenticationCode(key: serverKey, message: authMessage)
        #expect(String(decoding: final.0.authBytes, as: UTF8.self) == "v=\(Data(expected).base64EncodedString())")
        #expect(session.user == "user")
    }

    @Test func aNonceNotEndingWithTheServersFails() throws {
        var session = Self.session()
        _ = session.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 1)
        _ = session.authenticate(Array(Self.clientFirst.utf8))
        let cut = Self.clientFinal.replacingOccurrences(of: "$k0,p=", with: "$k,p=")
        let answer = try #require(Self.response(session.authenticate(Array(cut.utf8))))
        #expect(answer.0.errorCode == .saslAuthenticationFailed && answer.close)
        #expect(answer.0.errorMessage == "Authentication failed: nonce mismatch")
    }

    @Test func plainChecksThePasswordAgainstTheStoredCredential() throws {
        for (password, passes) in [("pencil", true), ("pen", false)] {
            var session = Self.session(users: Self.users(sha512: false))
            _ = session.handshake(.init(mechanism: "PLAIN"), version: 1)
            guard case .checkPlain(let check) = session.authenticate(Array("\0user\0\(password)".utf8)) else {
                Issue.record("no PLAIN check")
                return
            }
            let passed = check.run()
            #expect(passed == passes)
            let answer = try #require(Self.response(session.plainChecked(check, passed: passed)))
            #expect(answer.0.errorCode == (passes ? .none : .saslAuthenticationFailed))
            #expect(answer.close == !passes)
            #expect(session.user == (passes ? "user" : nil))
        }
    }

    @Test func plainRefusesAnotherAuthorizationID() throws {
        var session = Self.session()
        _ = session.handshake(.init(mechanism: "PLAIN"), version: 1)
        let answer = try #require(Self.response(session.authenticate(Array("admin\0user\0pencil".utf8))))
        #expect(answer.0.errorCode == .saslAuthenticationFailed && answer.close)
    }

    @Test func unknownOrDisabledMechanismsAreRefused() {
        var session = Self.session()
        let (unknown, close) = session.handshake(.init(mechanism: "GSSAPI"), version: 1)
        #expect(unknown.errorCode == .unsupportedSaslMechanism && close)
        #expect(unknown.mechanisms == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])

        var plainOnly = KafkaSASLSession(settings: KafkaSASLSettings(mechanisms: [.plain], users: Self.users()))
        #expect(
            plainOnly.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 1).0.errorCode == .unsupportedSaslMechanism)

        var noUsers = KafkaSASLSession(settings: KafkaSASLSettings())
        let refused = noUsers.handshake(.init(mechanism: "PLAIN"), version: 1).0
        #expect(refused.errorCode == .unsupportedSaslMechanism && refused.mechanisms.isEmpty)
    }

    @Test func requiredSASLAdmitsOnlyApiVersionsAndSASLFirst() {
        let session = Self.session()
        #expect(session.admission(apiKey: KafkaAPIKey.apiVersions.rawValue) == .dispatch)
        #expect(session.admission(apiKey: KafkaAPIKey.saslHandshake.rawValue) == .authenticate)
        #expect(session.admission(apiKey: KafkaAPIKey.saslAuthenticate.rawValue) == .authenticate)
        for key in [KafkaAPIKey.metadata, .produce, .fetch, .findCoordinator] {
            guard case .close = session.admission(apiKey: key.rawValue) else {
                Issue.record("\(key) admitted before authentication")
                continue
            }
        }
        #expect(Self.session(required: false).admission(apiKey: KafkaAPIKey.metadata.rawValue) == .dispatch)
    }

    @Test func outOfTurnRequestsAreIllegal() throws {
        var session = Self.session()
        let early = try #require(Self.response(session.authenticate(Array(Self.clientFirst.utf8))))
        #expect(early.0.errorCode == .illegalSaslState && early.close)
    }

    /// A SaslHandshake v0 switches to raw tokens until the exchange ends.
    @Test func handshakeV0ExpectsRawTokens() {
        var session = Self.session()
        _ = session.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 0)
        #expect(session.expectsRawToken)
        _ = session.authenticate(Array(Self.clientFirst.utf8))
        #expect(session.expectsRawToken)
        _ = session.authenticate(Array(Self.clientFinal.utf8))
        #expect(!session.expectsRawToken && session.user == "user")
    }

    @Test func malformedClientFirstMessages() throws {
        for message in [
            "p=tls-unique,,n=user,r=abc", "x,,n=user,r=abc", "n,,r=abc", "n,,n=user", "n,a=admin,n=user,r=abc",
            "n,,n=us=er,r=abc", "n,,n=user,r=",
        ] {
            var session = Self.session()
            _ = session.handshake(.init(mechanism: "SCRAM-SHA-256"), version: 1)
            let answer = try #require(Self.response(session.authenticate(Array(message.utf8))))
            #expect(answer.0.errorCode == .saslAuthenticationFailed && answer.close, "\(message)")
        }
    }

    @Test func escapedNamesDecode() throws {
        #expect(try SCRAMServerExchange.decodeName("a=2Cb=3Dc") == "a,b=c")
    }
}
