import Dispatch
import SluiceCore

/// The one bridge from the broker's serial and concurrent queues to `async` callers.
extension DispatchQueue {
    /// Runs `body` on this queue and hands its result, or its error, back to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(SluiceError) -> T) async throws(SluiceError) -> T {
        let result: Result<T, SluiceError> = await withCheckedContinuation { continuation in
            self.async {
                do throws(SluiceError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Runs `body` on this queue and hands its result back to the awaiting task; with an empty body, waits until
    /// everything queued before it has run.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T = {}) async -> T {
        await withCheckedContinuation { continuation in
            self.async { continuation.resume(returning: body()) }
        }
    }
}
