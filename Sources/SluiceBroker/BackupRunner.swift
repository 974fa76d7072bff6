import Dispatch
import SluiceCore
import Synchronization

/// Runs backups one at a time, on a queue of their own: a backup copies for seconds or minutes, pausing between
/// steps, so it may hold neither an event loop nor the broker's admin, writer or read queues. Backups asked for
/// while one runs wait their turn. `stop` cancels the one running (it removes what it wrote) and those waiting.
final class BackupRunner: Sendable {
    private let queue = DispatchQueue(label: "sluice.backup")
    private let stopped = Atomic<Bool>(false)

    /// Runs `body` on the backup queue once the backups before it are done; `body` is told to stop through the
    /// closure it is given, which it checks between steps.
    func run<T: Sendable>(_ body: @escaping @Sendable (_ isCancelled: () -> Bool) throws(SluiceError) -> T)
        async throws(SluiceError) -> T
    {
        let result: Result<T, SluiceError> = await withCheckedContinuation { continuation in
            queue.async {
                if self.isStopped {
                    return continuation.resume(returning: .failure(SluiceError(.shuttingDown, "the server is shutting down")))
                }
                continuation.resume(returning: Result { () throws(SluiceError) in
                    try body { self.isStopped }
                })
            }
        }
        return try result.get()
    }

    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Cancels every backup and waits until none runs.
    func stop() async {
        stopped.store(true, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
    }
}
