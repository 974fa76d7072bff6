#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The broker's two clocks, in milliseconds: the one place it reads time, handed to whatever stamps or times
/// something (the broker, the sweeper, both group coordinators) so that tests can move time by hand.
package struct Clocks: Sendable {
    /// Milliseconds since the Unix epoch: record and commit timestamps, retention ages. It may jump.
    package var wall: @Sendable () -> Int64
    /// Milliseconds on a clock that never jumps: session, join and sync deadlines.
    package var monotonic: @Sendable () -> Int64

    package init(wall: @escaping @Sendable () -> Int64, monotonic: @escaping @Sendable () -> Int64) {
        self.wall = wall
        self.monotonic = monotonic
    }

    /// The host's real clocks (`CLOCK_REALTIME`, `CLOCK_MONOTONIC`).
    package static let system = Clocks(wall: { millis(CLOCK_REALTIME) }, monotonic: { millis(CLOCK_MONOTONIC) })

    private static func millis(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
