import SluiceCore
import SluiceStorage

/// Why a record was archived.
package enum ArchiveReason: UInt8, Sendable, Hashable {
    case rejected = 1
    case deliveryLimit = 2

    /// The `sluice.dlq.reason` header's value.
    package var name: String {
        switch self {
        case .rejected: "rejected"
        case .deliveryLimit: "delivery_limit"
        }
    }
}

/// One share group's state on one partition: a value with no I/O, changed on the topic's writer queue and stored
/// (as `StoredShareState`) in the same transaction.
///
/// Every offset below `startOffset` is done. Offsets from `startOffset` to `endOffset` (the next offset never
/// looked at) are done unless `entries` holds them: available again (released, expired, or delayed), acquired by a
/// member under a lock, or archiving (being copied to the dead-letter topic). `endOffset - startOffset` is what the
/// lock budget (`group.share.partition.max.record.locks`) bounds.
struct SharePartition: Sendable {
    enum State: UInt8, Sendable {
        case available = 0
        case acquired = 1
        case archiving = 3
    }

    struct Entry: Sendable, Hashable {
        var state: State
        var deliveryCount: Int16
        /// The member holding the lock (acquired only).
        var member: String?
        /// When the lock runs out, monotonic milliseconds (acquired only; not stored).
        var lockDeadline: Int64 = 0
        /// Not to be delivered before this wall-clock time (milliseconds since the epoch); 0 for at once.
        var availableAt: Int64 = 0
        /// Why it is archiving.
        var reason: ArchiveReason?
    }

    var startOffset: Int64
    var endOffset: Int64
    var entries = ShareEntries()
    /// Records archived (rejected or over the limit) so far, and those of them copied to the dead-letter topic.
    var archived: Int64 = 0
    var deadLettered: Int64 = 0
    /// The dead-letter topic's end offset when the oldest record still archiving was marked (see the migration).
    var dlqScanFrom: Int64 = 0

    init(startOffset: Int64) {
        self.startOffset = startOffset
        self.endOffset = startOffset
    }

    // MARK: - Moving the start

    /// Moves the start past every done offset at its front.
    mutating func advanceStart() {
        guard let first = entries.firstOffset else {
            startOffset = endOffset
            return
        }
        startOffset = first
    }

    /// Retention deleted everything below `logStart`: what was in flight there is gone (a share group skips what
    /// was deleted).
    mutating func skip(below logStart: Int64) {
        guard logStart > startOffset else { return }
        entries.removeAll(below: logStart)
        endOffset = max(endOffset, logStart)
        startOffset = logStart
        advanceStart()
    }

    // MARK: - Acknowledging

    /// Why `acknowledgements` (all for this partition) cannot be applied for `member`; `nil` when they all can.
    func refusal(_ acknowledgements: [ShareAcknowledgement], member: String, topic: String, partition: Int32)
        -> SluiceError?
    {
        for ack in acknowledgements {
            let name = "\(topic)[\(partition)]"
            guard ack.firstOffset <= ack.lastOffset else {
                return SluiceError(
                    .invalidArgument,
                    "acknowledgement of \(name) offsets \(ack.firstOffset)-\(ack.lastOffset): the first offset is "
                        + "after the last")
            }
            guard ack.firstOffset >= startOffset, ack.lastOffset < endOffset else {
                return SluiceError(
                    .invalidArgument,
                    "acknowledgement of \(name) offsets \(ack.firstOffset)-\(ack.lastOffset) is outside what the "
                        + "share group has in flight (\(startOffset)-\(endOffset - 1)): they were not delivered, or "
                        + "are done already")
            }
            if let delay = ack.releaseDelayMs, delay < 0 || ack.type != .release {
                return SluiceError(
                    .invalidArgument, "a release delay (\(delay) ms) must be 0 or more, and only with a release")
            }
            for offset in ack.firstOffset...ack.lastOffset {
                let entry = entries[offset]
                if ack.type == .gap {
                    if let entry, entry.state == .acquired, entry.member != member {
                        return SluiceError(
                            .invalidArgument, "\(name) offset \(offset) is acquired by another member, not a gap")
                    }
                    continue
                }
                guard let entry, entry.state == .acquired else {
                    return SluiceError(
                        .invalidArgument,
                        "\(name) offset \(offset) is not acquired by this member (it is "
                            + "\(entry.map { "\($0.state)" } ?? "done"))")
                }
                guard entry.member == member else {
                    return SluiceError(
                        .invalidArgument,
                        "\(name) offset \(offset) is acquired by another member (this member's lock may have run out)")
                }
            }
        }
        return nil
    }

    /// Applies acknowledgements `refusal` accepted. Returns whether any record started archiving.
    mutating func apply(
        _ acknowledgements: [ShareAcknowledgement], config: ShareGroupConfig, now: Int64, wallNow: Int64
    ) {
        for ack in acknowledgements where ack.type != .gap {
            for offset in ack.firstOffset...ack.lastOffset {
                guard var entry = entries[offset] else { continue }
                switch ack.type {
                case .gap: break
                case .accept: entries[offset] = nil
                case .release:
                    let delay = ack.releaseDelayMs ?? 0
                    release(offset, &entry, config: config, availableAt: delay > 0 ? wallNow + delay : 0)
                case .reject: archive(offset, reason: .rejected, config: config)
                case .renew:
                    entry.lockDeadline = now + config.recordLockDurationMs
                    entries[offset] = entry
                }
            }
        }
        advanceStart()
    }

    /// A record given back (released, lock expired, member gone): available again, or archived when it was
    /// delivered as often as the limit allows.
    private mutating func release(_ offset: Int64, _ entry: inout Entry, config: ShareGroupConfig, availableAt: Int64) {
        if entry.deliveryCount >= config.deliveryCountLimit {
            archive(offset, reason: .deliveryLimit, config: config)
            return
        }
        entry.state = .available
        entry.member = nil
        entry.lockDeadline = 0
        entry.availableAt = availableAt
        entries[offset] = entry
    }

    private mutating func archive(_ offset: Int64, reason: ArchiveReason, config: ShareGroupConfig) {
        guard var entry = entries[offset] else { return }
        archived += 1
        guard config.deadLetterTopic != nil else {
            entries[offset] = nil
            return
        }
        entry.state = .archiving
        entry.member = nil
        entry.lockDeadline = 0
        entry.availableAt = 0
        entry.reason = reason
        entries[offset] = entry
    }

    /// Locks that ran out by `now` are released.
    mutating func expireLocks(now: Int64, config: ShareGroupConfig) -> Bool {
        var changed = false
        guard entries.count(.acquired) > 0 else { return false }
        for (offset, var entry) in entries where entry.state == .acquired && entry.lockDeadline <= now {
            release(offset, &entry, config: config, availableAt: 0)
            changed = true
        }
        if changed { advanceStart() }
        return changed
    }

    /// Everything `members` hold is released (they left or their sessions expired).
    mutating func releaseAll(of members: Set<String>, config: ShareGroupConfig) -> Bool {
        var changed = false
        guard entries.count(.acquired) > 0 else { return false }
        for (offset, var entry) in entries where entry.state == .acquired && members.contains(entry.member ?? "") {
            release(offset, &entry, config: config, availableAt: 0)
            changed = true
        }
        if changed { advanceStart() }
        return changed
    }

    /// After a restart: no member holds anything, so every acquired record is available again, its delivery
    /// count kept (or archived if it reached the limit).
    mutating func releaseEveryLock(config: ShareGroupConfig) {
        for (offset, var entry) in entries where entry.state == .acquired {
            release(offset, &entry, config: config, availableAt: 0)
        }
        advanceStart()
    }

    /// The copies of `offsets` are in the dead-letter topic (or there is none to copy to): they are done.
    mutating func archived(_ offsets: [Int64], deadLettered copied: Int) {
        for offset in offsets where entries[offset]?.state == .archiving { entries[offset] = nil }
        deadLettered += Int64(copied)
        advanceStart()
    }

    // MARK: - Acquiring

    /// Offsets available to acquire now, oldest first.
    func availableNow(wallNow: Int64) -> [Int64] {
        guard entries.count(.available) > 0 else { return [] }
        return entries.compactMap { $0.value.state == .available && $0.value.availableAt <= wallNow ? $0.key : nil }
    }

    /// Room for more records past `endOffset` under the lock budget.
    func room(config: ShareGroupConfig) -> Int64 {
        max(0, Int64(config.maxRecordLocks) - (endOffset - startOffset))
    }

    /// Acquires the record at `offset` for `member` (an available entry, or a new one at `endOffset`'s side);
    /// returns its delivery count.
    mutating func acquire(_ offset: Int64, member: String, config: ShareGroupConfig, now: Int64) -> Int16 {
        var entry = entries[offset] ?? Entry(state: .available, deliveryCount: 0)
        entry.state = .acquired
        entry.member = member
        entry.deliveryCount = entry.deliveryCount &+ 1
        entry.lockDeadline = now + config.recordLockDurationMs
        entry.availableAt = 0
        entries[offset] = entry
        return entry.deliveryCount
    }

    /// A new record, past `endOffset`, that must wait until `availableAt` (its `sluice.deliver.after.ms`).
    mutating func delay(_ offset: Int64, until availableAt: Int64) {
        entries[offset] = Entry(state: .available, deliveryCount: 0, availableAt: availableAt)
    }

    // MARK: - Deadlines and counts

    /// The earliest lock expiry or delay, in monotonic milliseconds; `nil` when nothing is due.
    func nextDeadline(now: Int64, wallNow: Int64) -> Int64? {
        var earliest: Int64?
        for (_, entry) in entries {
            let due: Int64
            switch entry.state {
            case .acquired: due = entry.lockDeadline
            case .available where entry.availableAt > wallNow: due = now + (entry.availableAt - wallNow)
            default: continue
            }
            if earliest == nil || due < earliest! { earliest = due }
        }
        return earliest
    }

    func count(_ state: State) -> Int { entries.count(state) }

    func acquiredCount(by member: String) -> Int {
        entries.reduce(0) { $0 + ($1.value.state == .acquired && $1.value.member == member ? 1 : 0) }
    }

    func delayedCount(wallNow: Int64) -> Int {
        guard entries.count(.available) > 0 else { return 0 }
        return entries.reduce(0) { $0 + ($1.value.state == .available && $1.value.availableAt > wallNow ? 1 : 0) }
    }

    var archivingOffsets: [Int64] {
        guard entries.count(.archiving) > 0 else { return [] }
        return entries.compactMap { $0.value.state == .archiving ? $0.key : nil }
    }

    // MARK: - Stored form

    /// The stored form: runs of consecutive offsets with equal state, count, due time and reason, each as
    /// varints: the gap since the previous run's end, the run's length, state, delivery count, due time (0: none)
    /// and reason (0: none). Locks are not stored: after a restart no member holds anything.
    var stored: StoredShareState {
        var bytes: [UInt8] = []
        var previousEnd = startOffset
        var runStart: Int64?
        var runEnd: Int64 = 0
        var runKey: (UInt8, Int16, Int64, UInt8)?
        func flush() {
            guard let start = runStart, let key = runKey else { return }
            Self.putVarint(UInt64(start - previousEnd), &bytes)
            Self.putVarint(UInt64(runEnd - start + 1), &bytes)
            Self.putVarint(UInt64(key.0), &bytes)
            Self.putVarint(UInt64(UInt16(bitPattern: key.1)), &bytes)
            Self.putVarint(UInt64(max(0, key.2)), &bytes)
            Self.putVarint(UInt64(key.3), &bytes)
            previousEnd = runEnd + 1
        }
        for (offset, entry) in entries {
            let key = (entry.state.rawValue, entry.deliveryCount, entry.availableAt, entry.reason?.rawValue ?? 0)
            if let current = runKey, runStart != nil, offset == runEnd + 1, current == key {
                runEnd = offset
                continue
            }
            flush()
            runStart = offset
            runEnd = offset
            runKey = key
        }
        flush()
        return StoredShareState(
            startOffset: startOffset, endOffset: endOffset, runs: bytes, archived: archived,
            deadLettered: deadLettered, dlqScanFrom: dlqScanFrom)
    }

    /// The state from its stored form (acquired records come back acquired by nobody: call `releaseEveryLock`).
    init(stored: StoredShareState) {
        self.init(startOffset: stored.startOffset)
        endOffset = stored.endOffset
        archived = stored.archived
        deadLettered = stored.deadLettered
        dlqScanFrom = stored.dlqScanFrom
        var index = 0
        var previousEnd = stored.startOffset
        let bytes = stored.runs
        while index < bytes.count {
            guard let gap = Self.varint(bytes, &index), let length = Self.varint(bytes, &index),
                let state = Self.varint(bytes, &index), let count = Self.varint(bytes, &index),
                let due = Self.varint(bytes, &index), let reason = Self.varint(bytes, &index)
            else { break }
            let first = previousEnd + Int64(gap)
            let entry = Entry(
                state: State(rawValue: UInt8(truncatingIfNeeded: state)) ?? .available,
                deliveryCount: Int16(bitPattern: UInt16(truncatingIfNeeded: count)), member: nil,
                availableAt: Int64(due), reason: ArchiveReason(rawValue: UInt8(truncatingIfNeeded: reason)))
            for offset in first..<(first + Int64(length)) { entries[offset] = entry }
            previousEnd = first + Int64(length)
        }
    }

    static func putVarint(_ value: UInt64, _ bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    static func varint(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
