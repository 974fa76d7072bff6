import SluiceKafka

/// The SASL state of one Kafka connection: which requests it may send, and the mechanism's exchange.
///
/// A value type with no I/O: `KafkaConnectionHandler` asks it whether a request may go on (`admission`), hands it
/// SaslHandshake and SaslAuthenticate requests (and, after a SaslHandshake v0, the raw tokens that follow) and acts
/// on what it returns. PLAIN's password check costs a PBKDF2 and is returned as work (`PlainCheck`) for the handler
/// to run off the event loop, its result fed back through `plainChecked`.
///
/// A failed authentication, a mechanism not enabled and a SASL request out of turn are answered and then end the
/// connection, as a Kafka broker does.
struct KafkaSASLSession {
    let settings: KafkaSASLSettings
    private let makeNonce: () -> String
    private var state = State.unauthenticated

    private enum State {
        case unauthenticated
        /// A mechanism was chosen; `raw` when the handshake was v0 and tokens come without a request header.
        case handshaken(KafkaSASLMechanism, raw: Bool)
        case scram(SCRAMServerExchange, raw: Bool)
        case checkingPlain
        case authenticated(String)
        case failed
    }

    init(settings: KafkaSASLSettings, makeNonce: @escaping () -> String = SCRAMServerExchange.randomNonce) {
        self.settings = settings
        self.makeNonce = makeNonce
    }

    /// The SASL user this connection authenticated as, if it did.
    var user: String? {
        if case .authenticated(let user) = state { return user }
        return nil
    }

    /// Whether the next frame is a raw token (after a SaslHandshake v0), not a request.
    var expectsRawToken: Bool {
        switch state {
        case .handshaken(_, raw: true), .scram(_, raw: true): true
        default: false
        }
    }

    enum Admission: Equatable {
        /// An ordinary request: dispatch it.
        case dispatch
        /// SaslHandshake or SaslAuthenticate: hand it to this session.
        case authenticate
        /// Refused: close the connection without an answer.
        case close(String)
    }

    /// What to do with a request of `apiKey`, given the state so far.
    func admission(apiKey: Int16) -> Admission {
        if apiKey == KafkaAPIKey.saslHandshake.rawValue || apiKey == KafkaAPIKey.saslAuthenticate.rawValue {
            return .authenticate
        }
        switch state {
        case .authenticated: return .dispatch
        case .failed: return .close("authentication failed")
        case .unauthenticated where !settings.required: return .dispatch
        case .unauthenticated, .handshaken, .scram, .checkingPlain:
            if apiKey == KafkaAPIKey.apiVersions.rawValue { return .dispatch }
            return .close("API \(apiKey) before SASL authentication")
        }
    }

    /// What one step of the exchange produced.
    enum Step {
        /// Send this token (a SaslAuthenticate response, or a raw frame after a v0 handshake); `close` after it
        /// when the exchange failed.
        case respond(KafkaSaslAuthenticateResponse, close: Bool)
        /// Check a PLAIN password off the event loop, then call `plainChecked`.
        case checkPlain(PlainCheck)
    }

    /// Answers a SaslHandshake: the mechanism if enabled (then the exchange may start), else
    /// UNSUPPORTED_SASL_MECHANISM and `close`.
    mutating func handshake(_ request: KafkaSaslHandshakeRequest, version: Int16) -> (
        KafkaSaslHandshakeResponse, close: Bool
    ) {
        let enabled = settings.users.isEmpty ? [] : settings.mechanisms.sorted().map(\.rawValue)
        guard case .unauthenticated = state else {
            state = .failed
            return (KafkaSaslHandshakeResponse(errorCode: .illegalSaslState, mechanisms: enabled), true)
        }
        guard let mechanism = KafkaSASLMechanism(rawValue: request.mechanism),
            settings.mechanisms.contains(mechanism), !settings.users.isEmpty
        else {
            state = .failed
            return (KafkaSaslHandshakeResponse(errorCode: .unsupportedSaslMechanism, mechanisms: enabled), true)
        }
        state = .handshaken(mechanism, raw: version == 0)
        return (KafkaSaslHandshakeResponse(errorCode: .none, mechanisms: enabled), false)
    }

    /// Takes one client token (from a SaslAuthenticate, or raw after a v0 handshake).
    mutating func authenticate(_ token: [UInt8]) -> Step {
        switch state {
        case .handshaken(.plain, _):
            guard let check = PlainCheck(token: token, users: settings.users) else {
                return fail("Authentication failed: invalid SASL/PLAIN message")
            }
            state = .checkingPlain
            return .checkPlain(check)
        case .handshaken(let mechanism, let raw):
            guard let hash = mechanism.scram else { return fail("Authentication failed") }
            let users = settings.users
            var exchange = SCRAMServerExchange(hash: hash, serverNonce: makeNonce()) {
                users.credential(user: $0, hash: hash)
            }
            do {
                let serverFirst = try exchange.receiveClientFirst(token)
                state = .scram(exchange, raw: raw)
                return .respond(.init(errorCode: .none, errorMessage: nil, authBytes: serverFirst), close: false)
            } catch {
                return fail(Self.message(error, hash))
            }
        case .scram(var exchange, _):
            do {
                let (user, serverFinal) = try exchange.receiveClientFinal(token)
                state = .authenticated(user)
                return .respond(.init(errorCode: .none, errorMessage: nil, authBytes: serverFinal), close: false)
            } catch {
                return fail(Self.message(error, exchange.hash))
            }
        case .unauthenticated, .checkingPlain, .authenticated, .failed:
            state = .failed
            return .respond(
                .init(errorCode: .illegalSaslState, errorMessage: "SaslAuthenticate out of turn", authBytes: []),
                close: true)
        }
    }

    /// The outcome of a `PlainCheck` run off the loop.
    mutating func plainChecked(_ check: PlainCheck, passed: Bool) -> Step {
        guard case .checkingPlain = state else { return fail("Authentication failed") }
        guard passed else { return fail("Authentication failed: Invalid username or password") }
        state = .authenticated(check.user)
        return .respond(.init(errorCode: .none, errorMessage: nil, authBytes: []), close: false)
    }

    private mutating func fail(_ message: String) -> Step {
        state = .failed
        return .respond(.init(errorCode: .saslAuthenticationFailed, errorMessage: message, authBytes: []), close: true)
    }

    private static func message(_ failure: SCRAMServerExchange.Failure, _ hash: SCRAMHash) -> String {
        switch failure {
        case .invalidCredentials:
            "Authentication failed during authentication due to invalid credentials with SASL mechanism \(hash.rawValue)"
        case .malformed(let what): "Authentication failed: \(what)"
        }
    }
}

/// A PLAIN (RFC 4616) message, `[authzid] NUL authcid NUL passwd`, and the stored credential to check it with:
/// the work of one PBKDF2, to run off the event loop.
struct PlainCheck: Sendable {
    let user: String
    private let password: String
    private let credential: SCRAMCredential?
    private let hash: SCRAMHash

    /// Nil when the message is not PLAIN's grammar, or names an authorization id other than the user.
    init?(token: [UInt8], users: KafkaSASLUsers) {
        let fields = token.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, let authzid = String(validating: fields[0], as: UTF8.self),
            let user = String(validating: fields[1], as: UTF8.self),
            let password = String(validating: fields[2], as: UTF8.self), !user.isEmpty,
            authzid.isEmpty || authzid == user
        else { return nil }
        self.user = user
        self.password = password
        // The strongest credential the user has; a user with none is checked against nothing and refused.
        if let credential = users.credential(user: user, hash: .sha512) {
            (self.credential, hash) = (credential, .sha512)
        } else {
            (self.credential, hash) = (users.credential(user: user, hash: .sha256), .sha256)
        }
    }

    /// Whether the password matches the user's stored credential.
    func run() -> Bool {
        guard let credential else { return false }
        return credential.verifies(password: password, hash: hash)
    }
}
