import Histogram
import Synchronization

/// A histogram of latencies in nanoseconds (HDR, 3 significant digits), safe to record into from any thread.
final class BenchLatency: Sendable {
    /// Latencies above an hour are recorded as an hour.
    private static let highest: UInt64 = 3_600_000_000_000
    private let histogram = Mutex(
        Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: BenchLatency.highest,
            numberOfSignificantValueDigits: .three))

    func record(_ nanoseconds: UInt64, count: Int = 1) {
        let value = min(max(nanoseconds, 1), Self.highest)
        histogram.withLock { _ = $0.record(value, count: UInt64(count)) }
    }

    var snapshot: Histogram<UInt64> { histogram.withLock { $0 } }

    /// The recorders' histograms added together.
    static func merged(_ recorders: [BenchLatency]) -> Histogram<UInt64> {
        var total = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: highest, numberOfSignificantValueDigits: .three)
        for recorder in recorders { total.add(recorder.snapshot) }
        return total
    }
}
