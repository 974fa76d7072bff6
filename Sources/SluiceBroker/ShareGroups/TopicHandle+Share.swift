import Dispatch
import SluiceCore
import SluiceStorage
import Synchronization

/// One share group on one partition of a topic.
struct ShareKey: Sendable, Hashable {
    var group: String
    var partition: Int32
}

/// Share-group work for one topic, run on its writer queue inside the topic's transaction (with the produces
/// pending at the time: group commit), answered after COMMIT.
struct ShareOp: Sendable {
    /// Changes the share state through the transaction and queues its answers (`ShareTransaction.afterCommit`).
    /// Throws only what stops the transaction (storage errors): then nothing is committed and `fail` runs.
    var run: @Sendable (ShareTransaction) throws(SluiceError) -> Void
    var fail: @Sendable (SluiceError) -> Void
    /// Whether what it changes must have the topic's durability. Only acquisition (a share fetch without
    /// acknowledgements) may do without: a transaction of such operations alone commits without an fsync of its
    /// own (see `ShareTransaction.acquisitionsOnly`).
    var durable = true
}

/// A share fetch waiting for something to acquire, on every partition it reads; fired once.
final class ShareWaiter: Sendable {
    private let fired = Atomic<Bool>(false)
    private let action: @Sendable () -> Void

    init(_ action: @escaping @Sendable () -> Void) {
        self.action = action
    }

    func fire() {
        guard fired.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        action()
    }

    var hasFired: Bool { fired.load(ordering: .acquiring) }
}

/// What the broker lends a topic's share state: the dead-letter side, which spans topics.
struct ShareHooks: Sendable {
    /// The end offset of a (dead-letter) topic's partition 0 if known; 0 otherwise.
    var topicEnd: @Sendable (String) -> Int64
    /// Copies archiving records to the dead-letter topic, then marks them archived.
    var deadLetter: @Sendable (DeadLetterJob) -> Void
}

/// Records to copy to a dead-letter topic.
struct DeadLetterJob: Sendable {
    struct Item: Sendable {
        var record: Record?
        var offset: Int64
        var deliveryCount: Int16
        var reason: ArchiveReason
    }

    var group: String
    var topic: String
    var partition: Int32
    var deadLetterTopic: String?
    var items: [Item]
    /// Where in the dead-letter topic copies made before a crash may be.
    var scanFrom: Int64
}

/// A topic's share state in memory. Changed only on the writer queue (by committed transactions); read anywhere.
struct ShareTopicState: Sendable {
    var partitions: [ShareKey: SharePartition] = [:]
    /// Raised by every committed change of a partition's state, so that a waiter registering late sees it missed one.
    var versions: [ShareKey: UInt64] = [:]
    var waiters: [ShareKey: [ShareWaiter]] = [:]
    var timers: [ShareKey: DeadlineTimer] = [:]
    var scheduled: [ShareKey: DispatchScheduledItem] = [:]
    /// The settings each group's last operation brought (timers and releases use them).
    var configs: [String: ShareGroupConfig] = [:]
    /// Archiving records whose copy is under way.
    var deadLettering: [ShareKey: Set<Int64>] = [:]
    var hooks: ShareHooks?
}

/// A scheduled timer's work item (Dispatch's is thread-safe but not `Sendable` everywhere).
struct DispatchScheduledItem: @unchecked Sendable {
    let work: DispatchWorkItem
}

/// One transaction's share work: the states it loaded and changed, and what to do once committed. Used on the
/// writer queue only.
final class ShareTransaction: @unchecked Sendable {
    let handle: TopicHandle
    let writer: TopicWriter
    /// Wall-clock and monotonic milliseconds.
    let wallNow: Int64
    let now: Int64
    /// The transaction commits without an fsync (its operations only acquire records, and no produce is in it).
    /// A change that must be durable after all (a state loaded or made, retention's skip) makes `run` throw and
    /// sets `mustRetryDurably`: the work is then done again in a transaction of the topic's durability.
    let acquisitionsOnly: Bool
    private(set) var mustRetryDurably = false
    private(set) var working: [ShareKey: SharePartition] = [:]
    private var dirty: Set<ShareKey> = []
    /// Something changed that an acquisition alone does not.
    private var needsDurability = false
    private var configs: [String: ShareGroupConfig] = [:]
    private var removedGroups: Set<String> = []
    private var after: [() -> Void] = []
    private var jobs: [DeadLetterJob] = []

    init(handle: TopicHandle, writer: TopicWriter, now wallNow: Int64, acquisitionsOnly: Bool = false) {
        self.handle = handle
        self.writer = writer
        self.wallNow = wallNow
        self.now = ShareTransaction.monotonic()
        self.acquisitionsOnly = acquisitionsOnly
    }

    static let monotonic = Clocks.system.monotonic

    var topic: String { handle.name }

    func run(_ ops: [ShareOp]) throws(SluiceError) {
        for op in ops { try op.run(self) }
        if acquisitionsOnly, needsDurability {
            mustRetryDurably = true
            throw SluiceError(.unknown, "share work needs a durable commit")
        }
        try prepareDeadLetters()
        for key in dirty {
            guard let state = working[key] else { continue }
            try writer.saveShareState(group: key.group, partition: key.partition, state.stored)
        }
    }

    /// The partition's log start and next offset as this transaction sees them.
    func bounds(_ partition: Int32) throws(SluiceError) -> (logStart: Int64, next: Int64) {
        let offsets = try writer.offsets(partition: partition)
        return (offsets.logStartOffset, offsets.nextOffset)
    }

    /// The group's state on `partition`: changed earlier in this transaction, in memory, stored, or new (at the
    /// end or the start of the partition, per `share.auto.offset.reset`). Whatever retention deleted is skipped.
    func partition(_ key: ShareKey, config: ShareGroupConfig) throws(SluiceError) -> SharePartition {
        configs[key.group] = config
        let bounds = try self.bounds(key.partition)
        var state: SharePartition
        if let current = working[key] {
            state = current
        } else if let loaded = handle.shares.withLock({ $0.partitions[key] }) {
            state = loaded
        } else if let stored = try writer.shareState(group: key.group, partition: key.partition) {
            // Loaded after a restart: nobody holds a lock any more.
            state = SharePartition(stored: stored)
            state.releaseEveryLock(config: config)
            dirty.insert(key)
            needsDurability = true
        } else {
            state = SharePartition(startOffset: config.autoOffsetReset == .earliest ? bounds.logStart : bounds.next)
            dirty.insert(key)
            needsDurability = true
        }
        if bounds.logStart > state.startOffset {
            state.skip(below: bounds.logStart)
            dirty.insert(key)
            needsDurability = true
        }
        working[key] = state
        return state
    }

    /// Keeps a changed state for the commit. `acquired`: the change since the state was last set is acquisitions
    /// only (records acquired, looked at or delayed by their header, entries of records gone dropped, the start
    /// moved past done ones), which may be lost on power loss: the records are delivered again.
    func set(_ key: ShareKey, _ state: SharePartition, acquired: Bool = false) {
        if !acquired { needsDurability = true }
        let before = working[key]?.archivingOffsets.isEmpty ?? true
        var state = state
        if before, !state.archivingOffsets.isEmpty {
            state.dlqScanFrom =
                configs[key.group]?.deadLetterTopic.map { topic in
                    handle.shares.withLock { $0.hooks }?.topicEnd(topic) ?? 0
                } ?? 0
        }
        working[key] = state
        dirty.insert(key)
    }

    /// Forgets a group's state on this topic (stored and in memory).
    func removeGroup(_ group: String) throws(SluiceError) {
        needsDurability = true
        try writer.deleteShareStates(group: group)
        removedGroups.insert(group)
        for key in working.keys where key.group == group {
            working[key] = nil
            dirty.remove(key)
        }
    }

    /// Replaces a group's state on a partition (a reset).
    func replace(_ key: ShareKey, _ state: SharePartition) {
        needsDurability = true
        working[key] = state
        dirty.insert(key)
    }

    /// Runs once the transaction is committed (answers), in order.
    func afterCommit(_ body: @escaping () -> Void) { after.append(body) }

    /// For every partition with archiving records no copy is under way for, reads them (inside the transaction)
    /// for a dead-letter job started after the commit.
    private func prepareDeadLetters() throws(SluiceError) {
        let busy = handle.shares.withLock { $0.deadLettering }
        for (key, state) in working {
            let pending = state.archivingOffsets.filter { !(busy[key]?.contains($0) ?? false) }
            guard !pending.isEmpty else { continue }
            var items: [DeadLetterJob.Item] = []
            for offset in pending {
                guard let entry = state.entries[offset] else { continue }
                items.append(
                    .init(
                        record: try writer.readRecord(partition: key.partition, offset: offset), offset: offset,
                        deliveryCount: entry.deliveryCount, reason: entry.reason ?? .rejected))
            }
            let config = configs[key.group] ?? handle.shares.withLock { $0.configs[key.group] } ?? ShareGroupConfig()
            jobs.append(
                DeadLetterJob(
                    group: key.group, topic: topic, partition: key.partition,
                    deadLetterTopic: config.deadLetterTopic, items: items, scanFrom: state.dlqScanFrom))
        }
    }

    /// After COMMIT: installs the new states, wakes waiters of changed partitions, re-arms their timers, starts
    /// dead-letter copies, then answers.
    func committed() {
        let (woken, hooks) = handle.shares.withLock { shares -> ([ShareWaiter], ShareHooks?) in
            for group in removedGroups {
                for key in shares.partitions.keys where key.group == group { shares.partitions[key] = nil }
            }
            for (group, config) in configs { shares.configs[group] = config }
            var woken: [ShareWaiter] = []
            for (key, state) in working {
                shares.partitions[key] = state
                guard dirty.contains(key) else { continue }
                shares.versions[key, default: 0] &+= 1
                woken += shares.waiters.removeValue(forKey: key) ?? []
            }
            for job in jobs {
                let key = ShareKey(group: job.group, partition: job.partition)
                shares.deadLettering[key, default: []].formUnion(job.items.map(\.offset))
            }
            return (woken, shares.hooks)
        }
        for key in dirty { handle.rearmShareTimer(key) }
        if let hooks { for job in jobs { hooks.deadLetter(job) } }
        for body in after { body() }
        for waiter in woken { waiter.fire() }
    }
}

extension TopicHandle {
    /// The share state's version of a partition (see `ShareTopicState.versions`).
    func shareVersion(_ key: ShareKey) -> UInt64 {
        shares.withLock { $0.versions[key] ?? 0 }
    }

    /// Registers a waiter unless the partition's state changed since `version` was read (then fires it at once).
    func waitForShareChange(_ waiter: ShareWaiter, _ key: ShareKey, seen version: UInt64) {
        let now = shares.withLock { shares -> Bool in
            if (shares.versions[key] ?? 0) != version { return true }
            shares.waiters[key, default: []].removeAll { $0.hasFired }
            shares.waiters[key, default: []].append(waiter)
            return false
        }
        if now { waiter.fire() }
    }

    /// Arms, moves or cancels the partition's one timer for its earliest lock expiry or delay.
    func rearmShareTimer(_ key: ShareKey) {
        let now = ShareTransaction.monotonic()
        let wallNow = retention.clock()
        shares.withLock { shares in
            let earliest = shares.partitions[key]?.nextDeadline(now: now, wallNow: wallNow)
            var timer = shares.timers[key] ?? DeadlineTimer()
            let change = timer.update(earliest: earliest)
            shares.timers[key] = earliest == nil && timer.armed == nil ? nil : timer
            guard let change else { return }
            shares.scheduled.removeValue(forKey: key)?.work.cancel()
            guard case .arm(let arming) = change else { return }
            let work = DispatchWorkItem { [weak self] in self?.shareTimerFired(key, arming.generation) }
            shares.scheduled[key] = DispatchScheduledItem(work: work)
            TopicHandle.shareTimerQueue.asyncAfter(
                deadline: .now() + .milliseconds(Int(clamping: max(0, arming.deadline - now))), execute: work)
        }
    }

    static let shareTimerQueue = DispatchQueue(label: "sluice.share-timers")

    private func shareTimerFired(_ key: ShareKey, _ generation: UInt64) {
        let due = shares.withLock { shares -> Bool in
            guard var timer = shares.timers[key], timer.fired(generation) else { return false }
            shares.timers[key] = timer
            shares.scheduled[key] = nil
            return true
        }
        guard due else { return }
        enqueueShare(
            ShareOp(
                run: { transaction throws(SluiceError) in
                    let config = transaction.handle.shares.withLock { $0.configs[key.group] } ?? ShareGroupConfig()
                    var state = try transaction.partition(key, config: config)
                    _ = state.expireLocks(now: transaction.now, config: config)
                    // Changed or not (a delay came due), the partition's waiters look again.
                    transaction.set(key, state)
                }, fail: { _ in }))
    }

    /// Cancels every share timer and wakes every waiting share fetch (the topic closes for good): the fetches
    /// answer at once.
    func stopShareTimers() {
        let waiting = shares.withLock { shares -> [ShareWaiter] in
            for item in shares.scheduled.values { item.work.cancel() }
            shares.scheduled.removeAll()
            shares.timers.removeAll()
            defer { shares.waiters.removeAll() }
            return shares.waiters.values.flatMap { $0 }
        }
        for waiter in waiting { waiter.fire() }
    }
}
