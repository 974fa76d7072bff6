#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs blocking C calls (librdkafka's poll, flush, metadata) on a thread of their own, off the Swift concurrency
/// pool, whose few threads must never wait on the network.
enum BlockingThread {
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body` on a new thread and returns its result once it has finished.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let box = Unmanaged.passRetained(Body { continuation.resume(returning: body()) })
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
}
