import Dispatch
import Synchronization

/// A fetch waiting for data: fires once, either when commits past the offsets it waits at on its watched partitions
/// have brought the bytes it still needs (counted across all of them), or at its deadline.
final class FetchWaiter: Sendable {
    /// Where a waiter fires, which decides where its fetch is read.
    enum Context: Sendable {
        /// Right after a commit raised a high watermark, on the writer's queue, or on the read queue: read here.
        case inline
        /// A timer, shutdown or deletion: hand the read to the read queue.
        case deferred
    }

    private let fired = Atomic<Bool>(false)
    /// Record bytes still to be committed past the waited-at offsets before the fetch is answered.
    private let needed: Atomic<Int>
    private let action: @Sendable (Context) -> Void

    /// A waiter that fires once `neededBytes` (at least 1) more record bytes were committed on its partitions.
    init(neededBytes: Int = 1, action: @escaping @Sendable (Context) -> Void) {
        needed = Atomic(max(neededBytes, 1))
        self.action = action
    }

    /// Counts `bytes` just committed past a waited-at offset; true when that brought what the waiter needs (only
    /// for the commit that crossed the line, so the caller fires it once).
    func collect(_ bytes: Int) -> Bool {
        let (before, after) = needed.wrappingSubtract(max(bytes, 1), ordering: .acquiringAndReleasing)
        return before > 0 && after <= 0
    }

    /// Runs the action if nothing ran it yet; cancels the deadline.
    func fire(_ context: Context = .deferred) {
        guard fired.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        action(context)
    }

    var hasFired: Bool { fired.load(ordering: .acquiring) }

    /// Fires at the deadline unless something fired first (a late deadline then finds nothing to do).
    func setTimeout(after milliseconds: Int, on queue: DispatchQueue) {
        queue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in fire() }
    }
}

/// Each partition's committed bounds, kept in memory, and the fetches waiting for them to move.
///
/// The writer raises a high watermark only after COMMIT; raising it and waking waiters happen under one lock, and a
/// waiter registers under the same lock, so no commit can slip between a fetch's read and its wait. A waiter is
/// registered only at the high watermark (one that finds data past its offset fires at once), so every byte a later
/// commit brings to that partition is past its offset and counts towards its `minBytes`.
final class PartitionWatch: Sendable {
    struct Waiting {
        var offset: Int64
        var waiter: FetchWaiter
    }

    struct State {
        var logStart: [Int64]
        var highWatermark: [Int64]
        var waiting: [[Waiting]]
    }

    private let state: Mutex<State>

    init(bounds: [(logStart: Int64, next: Int64)]) {
        state = Mutex(
            State(
                logStart: bounds.map(\.logStart), highWatermark: bounds.map(\.next),
                waiting: Array(repeating: [], count: bounds.count)))
    }

    var partitionCount: Int32 { state.withLock { Int32($0.highWatermark.count) } }

    func bounds(_ partition: Int32) -> (logStart: Int64, highWatermark: Int64)? {
        state.withLock { state in
            let index = Int(partition)
            guard index >= 0, index < state.highWatermark.count else { return nil }
            return (state.logStart[index], state.highWatermark[index])
        }
    }

    /// Adds empty partitions (after the topic grew) up to `count`; does nothing if it has as many already.
    func ensurePartitions(_ count: Int32) {
        state.withLock { state in
            while state.highWatermark.count < Int(count) {
                state.logStart.append(0)
                state.highWatermark.append(0)
                state.waiting.append([])
            }
        }
    }

    /// Publishes a committed high watermark, with the record bytes the commit added below it, and returns the
    /// waiters it satisfies, for the caller to fire (with `.inline` once it has answered the produces that commit
    /// stored: their fetches are then read on its thread). A waiter still short of its bytes keeps waiting.
    func advance(_ partition: Int32, to highWatermark: Int64, bytes: Int) -> [FetchWaiter] {
        state.withLock { state in
            let index = Int(partition)
            guard index < state.highWatermark.count, highWatermark > state.highWatermark[index] else { return [] }
            state.highWatermark[index] = highWatermark
            let waiting = state.waiting[index]
            guard !waiting.isEmpty else { return [] }
            var ready: [FetchWaiter] = []
            var still: [Waiting] = []
            for entry in waiting {
                if entry.waiter.hasFired { continue }
                if entry.offset < highWatermark, entry.waiter.collect(bytes) {
                    ready.append(entry.waiter)
                } else {
                    still.append(entry)
                }
            }
            state.waiting[index] = still
            return ready
        }
    }

    func setLogStart(_ partition: Int32, _ offset: Int64) {
        state.withLock { state in
            let index = Int(partition)
            if index < state.logStart.count, offset > state.logStart[index] { state.logStart[index] = offset }
        }
    }

    /// Registers `waiter` to fire when `partition` has data at `offset`; fires it at once if it already has.
    func wait(_ waiter: FetchWaiter, partition: Int32, offset: Int64) {
        let now: Bool = state.withLock { state in
            let index = Int(partition)
            guard index < state.highWatermark.count else { return true }
            if offset < state.highWatermark[index] { return true }
            state.waiting[index].removeAll { $0.waiter.hasFired }
            state.waiting[index].append(Waiting(offset: offset, waiter: waiter))
            return false
        }
        if now { waiter.fire(.inline) }
    }

    /// Fires every waiter (on shutdown or deletion).
    func wakeAll() {
        let all: [FetchWaiter] = state.withLock { state in
            defer { state.waiting = state.waiting.map { _ in [] } }
            return state.waiting.flatMap { $0.map(\.waiter) }
        }
        for waiter in all { waiter.fire() }
    }
}
