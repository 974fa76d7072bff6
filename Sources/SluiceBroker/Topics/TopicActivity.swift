import Synchronization

/// Records produced to and fetched from one topic in each minute of the last hour, for the status page's chart.
///
/// Kept as it happens, in sixty one-minute buckets: a commit or a fetch adds to the bucket of its minute (taking
/// it over from the hour before when it is stale), so nothing runs for it while the topic is idle. Not kept across
/// restarts.
final class TopicActivity: Sendable {
    private struct Bucket {
        var minute: Int64 = -1
        var produced: Int64 = 0
        var fetched: Int64 = 0
    }

    static let minutes = 60
    private let buckets = Mutex<[Bucket]>(Array(repeating: Bucket(), count: TopicActivity.minutes))

    func add(produced: Int = 0, fetched: Int = 0, wallMs: Int64) {
        let minute = wallMs / 60_000
        let slot = Int(minute % Int64(Self.minutes))
        buckets.withLock { buckets in
            if buckets[slot].minute != minute { buckets[slot] = Bucket(minute: minute) }
            buckets[slot].produced += Int64(produced)
            buckets[slot].fetched += Int64(fetched)
        }
    }

    /// Each minute's counts, oldest first, the minute of `wallMs` last.
    func lastHour(wallMs: Int64) -> TopicActivityHour {
        let now = wallMs / 60_000
        let copy = buckets.withLock { $0 }
        var hour = TopicActivityHour(
            produced: Array(repeating: 0, count: Self.minutes), fetched: Array(repeating: 0, count: Self.minutes))
        for bucket in copy where bucket.minute > now - Int64(Self.minutes) && bucket.minute <= now {
            let index = Self.minutes - 1 - Int(now - bucket.minute)
            hour.produced[index] = bucket.produced
            hour.fetched[index] = bucket.fetched
        }
        return hour
    }
}

/// A topic's records produced and fetched in each of the last sixty minutes, oldest first.
package struct TopicActivityHour: Sendable, Equatable {
    package var produced: [Int64]
    package var fetched: [Int64]
}
