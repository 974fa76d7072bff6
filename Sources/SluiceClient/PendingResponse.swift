import SluiceCore
import SluiceProtocol
import Synchronization

/// A response that may arrive before anyone waits for it: completed once from the connection's event loop, awaited
/// at most once from a task, in either order.
///
/// Unlike a `Task` around `send`, it resumes the waiting task straight from the event loop, with no hop through
/// another task.
final class PendingResponse: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Result<Response, SluiceError>, Never>?)
        case done(Result<Response, SluiceError>)
    }

    private let state = Mutex<State>(.waiting(nil))

    /// Sends `request` on `handle`'s connection; the answer completes the returned value.
    static func send(_ request: Request, on handle: ConnectionHandle) -> PendingResponse {
        let pending = PendingResponse()
        handle.send(request) { pending.complete($0) }
        return pending
    }

    func complete(_ result: Result<Response, SluiceError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<Response, SluiceError>, Never>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .done(result)
            return continuation
        }
        waiter?.resume(returning: result)
    }

    /// The response, once it has arrived.
    func value() async -> Result<Response, SluiceError> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<Response, SluiceError>? in
                switch state {
                case .done(let result): return result
                case .waiting:
                    state = .waiting(continuation)
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
