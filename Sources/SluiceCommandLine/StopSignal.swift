import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Set by SIGINT or SIGTERM, which it catches from then on: a command that sees it stops cleanly (`consume` commits
/// and exits 0, a bench run reports what was done).
package struct StopSignal {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        let handlers = Mutex<[@Sendable () -> Void]>([])

        func set() {
            value.store(true, ordering: .releasing)
            for handler in handlers.withLock({ $0 }) { handler() }
        }
    }

    private let flag: Flag
    /// Kept so that the handlers stay installed.
    private let sources: [any DispatchSourceSignal]

    package init() {
        let flag = Flag()
        self.flag = flag
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { flag.set() }
            source.resume()
            return source
        }
    }

    package var isSet: Bool { flag.value.load(ordering: .acquiring) }

    /// Runs `handler` (on a global queue) at each signal from now on, after `isSet` became true: for waking a
    /// command that waits, so that it sees the stop at once.
    package func onSignal(_ handler: @escaping @Sendable () -> Void) {
        flag.handlers.withLock { $0.append(handler) }
    }
}
