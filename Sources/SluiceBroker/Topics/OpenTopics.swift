import Synchronization

/// The topics that hold descriptors now (a writer or readers open), by when each was last used, and the budget
/// beyond which the least recently used are asked to close.
///
/// A topic holds about three descriptors for its writer (database, WAL, shared memory) and two per pooled reader,
/// so a data directory of thousands of topics cannot keep them all open under a common descriptor limit. Topics
/// open on first use (`TopicHandle`) and report it here; when a topic opens beyond `budget`, the least recently
/// used others are asked to close (`TopicHandle.closeIfIdle`), which each does only once nothing is in flight on it.
/// The budget is therefore soft: topics in use stay open; while more are open than it allows, each topic closes as
/// soon as it goes idle (its last produce answered, its reader given back, its sweep over), so the excess is at
/// most the topics busy at once. Nothing runs here unless a topic opens, closes or is used.
final class OpenTopics: Sendable {
    /// How many topics may stay open at once, idle ones included.
    let budget: Int
    private let state = Mutex(State())

    private struct Entry {
        var handle: TopicHandle
        var lastUsed: UInt64
        /// Asked to close and not yet answered: not asked again meanwhile.
        var closing = false
    }

    private struct State {
        var open: [ObjectIdentifier: Entry] = [:]
        var clock: UInt64 = 0
        /// Writers waiting for a topic to close before they open (`reserve`), first come first served.
        var waiting: [@Sendable () -> Void] = []
    }

    init(budget: Int) {
        precondition(budget > 0, "the open-topic budget must be positive")
        self.budget = budget
    }

    /// Topics holding descriptors now.
    var count: Int { state.withLock { $0.open.count } }

    /// More topics are open than the budget allows (those asked to close were busy), or a writer waits for room: a
    /// topic that goes idle now should close at once.
    var isOverBudget: Bool { state.withLock { $0.open.count > budget || !$0.waiting.isEmpty } }

    /// Notes that `handle` is open and was just used; returns the topics to ask to close (call `closeIfIdle` on
    /// them outside any lock), when this use opened it beyond the budget.
    func used(_ handle: TopicHandle) -> [TopicHandle] {
        state.withLock { state in
            state.clock += 1
            let key = ObjectIdentifier(handle)
            if state.open[key] != nil {
                state.open[key]?.lastUsed = state.clock
                return []
            }
            state.open[key] = Entry(handle: handle, lastUsed: state.clock)
            var excess = state.open.count - budget
            guard excess > 0 else { return [] }
            // The least recently used that are not already closing; a linear pass for the few needed.
            var victims: [(key: ObjectIdentifier, lastUsed: UInt64)] = []
            for (candidate, entry) in state.open where candidate != key && !entry.closing {
                victims.append((candidate, entry.lastUsed))
                if victims.count > excess {
                    victims.sort { $0.lastUsed < $1.lastUsed }
                    victims.removeLast()
                }
            }
            excess = min(excess, victims.count)
            return victims.prefix(excess).compactMap { victim in
                state.open[victim.key]?.closing = true
                return state.open[victim.key]?.handle
            }
        }
    }

    /// `handle` holds no descriptors any more; a writer waiting for room (`reserve`) gets it.
    func closed(_ handle: TopicHandle) {
        let next = state.withLock { state -> (@Sendable () -> Void)? in
            guard state.open.removeValue(forKey: ObjectIdentifier(handle)) != nil, !state.waiting.isEmpty else {
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?()
    }

    /// Before a writer opens for produces: counts `handle` as open and returns true if the budget has room (or it
    /// is open already); otherwise asks the least recently used topic to close, keeps `retry` (if given) to run
    /// when a topic closes, and returns false. The caller then waits without blocking a thread: its drain runs
    /// again from `retry`, or overdue after a deadline of its own. Produces to thousands of topics at once (one
    /// Kafka request can name them all) would otherwise open a writer on each writer queue at the same moment;
    /// counted before they open, they stay near the budget while the topics opened before them commit and close.
    ///
    /// `overdue` (a writer that waited long enough) lets it in up to twice the budget, so that topics kept busy
    /// without a pause cannot keep the others closed for ever, while thousands timing out together still cannot
    /// open at once.
    func reserve(_ handle: TopicHandle, overdue: Bool = false, orRetry retry: (@Sendable () -> Void)?) -> Bool {
        let key = ObjectIdentifier(handle)
        let limit = overdue ? 2 * budget : budget
        let (room, victim) = state.withLock { state -> (Bool, TopicHandle?) in
            if state.open[key] != nil { return (true, nil) }
            if state.open.count < limit {
                state.clock += 1
                state.open[key] = Entry(handle: handle, lastUsed: state.clock)
                return (true, nil)
            }
            if let retry { state.waiting.append(retry) }
            // The least recently used not already asked is asked to close; busy ones close when they go idle.
            let oldest = state.open.filter { !$0.value.closing }.min { $0.value.lastUsed < $1.value.lastUsed }
            if let oldest { state.open[oldest.key]?.closing = true }
            return (false, oldest?.value.handle)
        }
        victim?.closeIfIdle()
        return room
    }

    /// `handle` was asked to close but is busy: it stays open and may be asked again.
    func stayedOpen(_ handle: TopicHandle) {
        state.withLock { $0.open[ObjectIdentifier(handle)]?.closing = false }
    }
}
