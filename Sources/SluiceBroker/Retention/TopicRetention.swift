import SluiceCore
import Synchronization

/// A topic's side of the sweeper: when each partition next needs a sweep, and what the sweeper was last told.
///
/// Commits lower partitions' due times (`noteDue`); a finished sweep replaces them all (`replace`). The sweeper
/// hears only of changes that make the topic due sooner, so a commit that changes nothing costs one lock.
final class TopicRetention: Sendable {
    let topic: String
    let sweeper: Sweeper
    private let state = Mutex(State())

    struct State {
        var due: [Int32: Int64] = [:]
        /// The earliest due time the sweeper knows of for this topic.
        var requested: Int64?
        /// After a failed sweep, no retry before this time, whatever commits say.
        var backoffUntil: Int64?
    }

    init(topic: String, sweeper: Sweeper) {
        self.topic = topic
        self.sweeper = sweeper
    }

    var settings: SweeperSettings { sweeper.settings }
    var clock: @Sendable () -> Int64 { sweeper.clock }

    /// Lowers partitions' due times; tells the sweeper when the topic became due sooner than it knew. Costs one
    /// lock and work in proportion to `dues` (the partitions a commit touched), not to the topic's partitions.
    func noteDue(_ dues: [(partition: Int32, due: Int64)]) {
        let request: Int64? = state.withLock { state in
            for (partition, due) in dues { state.due[partition] = min(state.due[partition] ?? due, due) }
            // `requested` is never later than the earliest due time, so only the new ones can come before it.
            guard var earliest = dues.map(\.due).min() else { return nil }
            if let backoff = state.backoffUntil { earliest = max(earliest, backoff) }
            if let requested = state.requested, requested <= earliest { return nil }
            state.requested = earliest
            return earliest
        }
        if let request { sweeper.request(topic, at: request) }
    }

    /// Asks for a sweep now (settings changed, or the broker just opened the topic).
    func sweepNow() {
        sweeper.request(topic, at: noteSweepNow())
    }

    /// `sweepNow` without telling the sweeper, which the caller does (for many topics at once); returns the time
    /// to tell it.
    func noteSweepNow() -> Int64 {
        let now = clock()
        state.withLock { state in
            state.requested = min(state.requested ?? now, now)
            state.backoffUntil = nil
        }
        return now
    }

    /// A sweep ended: replaces every partition's due time and tells the sweeper the topic's earliest (or
    /// `database`, when the database as a whole needs another look sooner).
    func finished(_ dues: [Int32: Int64], database: Int64? = nil) {
        let next: Int64? = state.withLock { state in
            state.due = dues
            state.requested = RetentionDue.earliest(dues.values.min(), database)
            state.backoffUntil = nil
            return state.requested
        }
        sweeper.finished(topic, nextDue: next)
    }

    /// A sweep stopped on an error: try again after the sweeper's longest interval, not sooner.
    func failed() {
        let retry = clock().addingSaturating(settings.maxIntervalMs)
        state.withLock { state in
            state.requested = retry
            state.backoffUntil = retry
        }
        sweeper.finished(topic, nextDue: retry)
    }
}
