import NIOCore
import SluiceCore
import SluiceProtocol
import Synchronization

/// A connection that is replaced by a new one when it has ended: the next request after a disconnect reconnects.
///
/// Requests in flight when a connection ends still fail (with `.connectionClosed`); only later requests get the new
/// connection. Once `close()` is called, every request fails.
final class ConnectionHandle: Sendable {
    let socketPath: String
    let eventLoopGroup: any EventLoopGroup
    private let state: Mutex<State>

    private typealias Waiter = @Sendable (Result<SluiceConnection, SluiceError>) -> Void

    private enum State {
        case connected(SluiceConnection)
        /// The last connection attempt failed; the next request tries again.
        case disconnected
        case connecting([Waiter])
        case closed
    }

    /// Wraps a connection that is already open.
    init(_ connection: SluiceConnection, eventLoopGroup: any EventLoopGroup) {
        self.socketPath = connection.socketPath
        self.eventLoopGroup = eventLoopGroup
        self.state = Mutex(.connected(connection))
    }

    static func connect(socketPath: String, eventLoopGroup: any EventLoopGroup) async throws(SluiceError)
        -> ConnectionHandle
    {
        ConnectionHandle(
            try await SluiceConnection.connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup),
            eventLoopGroup: eventLoopGroup)
    }

    /// Calls `body` with a live connection: at once if the current one is open, else once a new one is (or with the
    /// error that stopped it).
    func withConnection(_ body: @escaping @Sendable (Result<SluiceConnection, SluiceError>) -> Void) {
        enum Next {
            case use(SluiceConnection)
            case fail(SluiceError)
            case wait
            case reconnect
        }
        let next: Next = state.withLock { state in
            switch state {
            case .connected(let connection) where connection.isActive:
                return .use(connection)
            case .connected, .disconnected:
                state = .connecting([body])
                return .reconnect
            case .connecting(var waiting):
                waiting.append(body)
                state = .connecting(waiting)
                return .wait
            case .closed:
                return .fail(SluiceError(.connectionClosed, "the client is closed"))
            }
        }
        switch next {
        case .use(let connection): body(.success(connection))
        case .fail(let error): body(.failure(error))
        case .wait: break
        case .reconnect: reconnect()
        }
    }

    /// The live connection, reconnecting if needed.
    func connection() async throws(SluiceError) -> SluiceConnection {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<SluiceConnection, SluiceError>, Never>) in
            withConnection { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Sends on the live connection.
    func send(_ request: Request, completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void) {
        withConnection { result in
            switch result {
            case .success(let connection): connection.send(request, completion: completion)
            case .failure(let error): completion(.failure(error))
            }
        }
    }

    func send(_ request: Request) async throws(SluiceError) -> Response {
        try await connection().send(request)
    }

    private func reconnect() {
        let socketPath = self.socketPath
        let group = self.eventLoopGroup
        Task {
            let result: Result<SluiceConnection, SluiceError>
            do throws(SluiceError) {
                result = .success(try await SluiceConnection.connect(socketPath: socketPath, eventLoopGroup: group))
            } catch {
                result = .failure(error)
            }
            let waiting: [Waiter]? = state.withLock { state in
                // Closed meanwhile: close() has failed the waiters, and nobody may use the new connection.
                guard case .connecting(let waiting) = state else { return nil }
                switch result {
                case .success(let connection): state = .connected(connection)
                case .failure: state = .disconnected
                }
                return waiting
            }
            guard let waiting else {
                if case .success(let connection) = result { await connection.close() }
                return
            }
            for body in waiting { body(result) }
        }
    }

    /// Closes the connection for good; requests in flight fail with `.connectionClosed`.
    func close() async {
        let (current, waiting): (SluiceConnection?, [Waiter]) = state.withLock { state in
            defer { state = .closed }
            switch state {
            case .connected(let connection): return (connection, [])
            case .connecting(let waiting): return (nil, waiting)
            case .disconnected, .closed: return (nil, [])
            }
        }
        for body in waiting { body(.failure(SluiceError(.connectionClosed, "the client is closed"))) }
        await current?.close()
    }
}
