#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A thread of its own for a sending loop that blocks (precise sleeps for `--rate`, semaphores): off the Swift
/// concurrency pool, whose timers cost a dispatch-manager wakeup per sleep, too much for one sleep per message.
enum BenchThread {
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body` on a new thread and returns once it has.
    static func run(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let box = Unmanaged.passRetained(
                Body {
                    body()
                    continuation.resume()
                })
            var thread = pthread_t()
            #if canImport(Glibc)
                let status = pthread_create(
                    &thread, nil,
                    { raw in
                        Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
                        return nil
                    }, box.toOpaque())
            #else
                let status = pthread_create(
                    &thread, nil,
                    { raw in
                        Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
                        return nil
                    }, box.toOpaque())
            #endif
            precondition(status == 0, "pthread_create failed: \(status)")
            pthread_detach(thread)
        }
    }

    /// Blocks the calling thread until the monotonic clock reaches `time` (at most a minute from now).
    static func sleep(until time: UInt64) {
        let now = BenchClock.now()
        guard time > now else { return }
        let target = min(time, now + 60_000_000_000)
        #if canImport(Glibc)
            var deadline = timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000))
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
        #else
            let left = target - now
            var interval = timespec(tv_sec: Int(left / 1_000_000_000), tv_nsec: Int(left % 1_000_000_000))
            while nanosleep(&interval, &interval) != 0, errno == EINTR {}
        #endif
    }
}
