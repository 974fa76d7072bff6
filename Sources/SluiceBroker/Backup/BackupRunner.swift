import Dispatch
import SluiceCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs backups one at a time, each on a thread of its own at a low CPU priority (nice 10): a backup copies for
/// seconds or minutes, pausing between steps, so it may hold neither an event loop nor the broker's admin, writer
/// or read queues, and when the machine is busy the writers come first. Backups asked for while one runs wait their
/// turn. `stop` cancels the one running (it removes what it wrote) and those waiting.
final class BackupRunner: Sendable {
    private let queue = DispatchQueue(label: "sluice.backup")
    private let stopped = Atomic<Bool>(false)
    /// The nice value a backup's thread takes (Linux keeps nice per thread; the rest of the server is not touched).
    static let niceness: Int32 = 10

    /// Runs `body` once the backups before it are done; `body` is told to stop through the closure it is given,
    /// which it checks between steps.
    func run<T: Sendable>(_ body: @escaping @Sendable (_ isCancelled: () -> Bool) throws(SluiceError) -> T)
        async throws(SluiceError) -> T
    {
        let result: Result<T, SluiceError> = await withCheckedContinuation { continuation in
            queue.async {
                if self.isStopped {
                    return continuation.resume(
                        returning: .failure(SluiceError(.shuttingDown, "the server is shutting down")))
                }
                continuation.resume(
                    returning: Self.onLowPriorityThread {
                        Result { () throws(SluiceError) in try body { self.isStopped } }
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

    private final class Job: @unchecked Sendable {  // Run by the new thread while its creator waits in the join.
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread that lowers its own priority first (`setpriority` with who 0 changes only the
    /// calling thread on Linux), and waits for it.
    private static func onLowPriorityThread<T>(_ body: @escaping () -> T) -> T {
        var result: T?
        let box = Unmanaged.passRetained(Job { result = body() })
        var thread = pthread_t()
        #if canImport(Glibc)
            let status = pthread_create(
                &thread, nil,
                { raw in
                    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, BackupRunner.niceness)
                    Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().body()
                    return nil
                }, box.toOpaque())
        #else
            let status = pthread_create(
                &thread, nil,
                { raw in
                    Unmanaged<Job>.fromOpaque(raw).takeRetainedValue().body()
                    return nil
                }, box.toOpaque())
        #endif
        precondition(status == 0, "pthread_create failed: \(status)")
        pthread_join(thread, nil)
        return result!
    }
}
