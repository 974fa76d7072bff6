import SluiceCore

/// One consumer group's membership and partition assignment: a value type with no I/O and no clock of its own.
///
/// The broker computes the assignment (members stay simple). Every joining member gets a fresh, unguessable id
/// (`randomMemberID`, as Kafka's KIP-394) that is never handed out again, so a member that was removed (session
/// expired, left, or forgotten in a restart) is answered `unknown_member` whatever a later member with the same
/// client id does. Every change of the target assignment starts a new
/// generation; heartbeats and commits from an older generation are refused, and the member rejoins to learn the
/// new one. A partition is granted to its new owner only once its old owner has released it (by no longer
/// reporting it in a heartbeat) or has been removed, so no partition is ever owned by two live members.
struct ConsumerGroup {
    struct Member {
        var id: String
        var topics: Set<String>
        var sessionTimeoutMs: Int64
        /// When the member is removed unless it is heard from (ms on the coordinator's monotonic clock).
        var deadline: Int64
        /// The partitions this member should own once they are free.
        var target: Set<TopicPartition> = []
        var clientID: String
        /// The last assignment this member was told (or is about to be): a heartbeat that would hear the same is
        /// worth holding.
        var lastAnswer: Assignment? = nil
        /// Set for a member of Kafka's consumer protocol (KIP-848), which heartbeats with member epochs.
        var consumer: ConsumerProtocolMember? = nil
    }

    let name: String
    private(set) var generation: Int32 = 0
    var members: [String: Member] = [:]
    /// Who holds each partition now: granted to that member and not yet released.
    private(set) var owners: [TopicPartition: String] = [:]

    init(name: String) {
        self.name = name
    }

    var isEmpty: Bool { members.isEmpty }

    /// What a member is told after a join or heartbeat.
    struct Assignment: Equatable {
        var memberID: String
        var generation: Int32
        /// Partitions the member owns now and may consume.
        var granted: [TopicPartition]
        /// Partitions assigned to the member but still held by another member; granted on a later heartbeat.
        var pending: [TopicPartition]
    }

    // MARK: - Membership

    /// A fresh member id: the client id (or "member"), a dash and 128 random bits in hex. Random, so unguessable
    /// and, with overwhelming likelihood, never reused, across restarts too.
    static func randomMemberID(clientID: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = (generator.next() as UInt64, generator.next() as UInt64)
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return "\(clientID.isEmpty ? "member" : clientID)-\(hex(bits.0))\(hex(bits.1))"
    }

    /// Adds a member (or refreshes one rejoining with its id) and rebalances; `partitions` gives each subscribed
    /// topic's partition count. An empty or unknown `memberID` joins as a new member under a fresh id from
    /// `makeMemberID`: an id the group does not hold is never taken over.
    mutating func join(
        memberID: String?, clientID: String, topics: Set<String>, sessionTimeoutMs: Int64, now: Int64,
        partitions: [String: Int32],
        makeMemberID: (String) -> String = { randomMemberID(clientID: $0) }
    ) -> Assignment {
        let id: String
        if let memberID, !memberID.isEmpty, members[memberID] != nil {
            id = memberID
            members[id]!.topics = topics
            members[id]!.sessionTimeoutMs = sessionTimeoutMs
            members[id]!.deadline = now + sessionTimeoutMs
        } else {
            var fresh = makeMemberID(clientID)
            while members[fresh] != nil { fresh = makeMemberID(clientID) }
            id = fresh
            members[id] = Member(
                id: id, topics: topics, sessionTimeoutMs: sessionTimeoutMs,
                deadline: now + sessionTimeoutMs, clientID: clientID)
        }
        rebalance(partitions: partitions)
        return grant(to: id, owned: Set(owners.filter { $0.value == id }.keys))
    }

    /// A live member's heartbeat, reporting the partitions it still holds. Throws `.unknownMember` for a member
    /// that left or was removed and `.staleGeneration` for an older generation (the member should rejoin).
    mutating func heartbeat(memberID: String, generation: Int32, owned: Set<TopicPartition>, now: Int64)
        throws(SluiceError) -> Assignment
    {
        guard members[memberID] != nil else {
            throw SluiceError(.unknownMember, "member '\(memberID)' is not in group '\(name)'; join again")
        }
        members[memberID]!.deadline = now + members[memberID]!.sessionTimeoutMs
        // Partitions the member no longer reports are released, whatever the generation says.
        release(memberID: memberID, keeping: owned)
        if generation != self.generation {
            throw SluiceError(
                .staleGeneration,
                "group '\(name)' is at generation \(self.generation), not \(generation); rejoin to get the new assignment"
            )
        }
        return grant(to: memberID, owned: owned)
    }

    /// What `memberID` would be told now, granting it the target partitions that became free; `nil` when the
    /// member is gone. Recorded as the member's last answer.
    mutating func currentAssignment(of memberID: String) -> Assignment? {
        guard let member = members[memberID] else { return nil }
        return grant(to: memberID, owned: Set(owners.filter { $0.value == member.id }.keys))
    }

    /// The last assignment `memberID` was told, if any.
    func lastAnswer(of memberID: String) -> Assignment? {
        members[memberID]?.lastAnswer
    }

    /// Removes a member at its request; its partitions are free at once.
    mutating func leave(memberID: String, partitions: [String: Int32]) {
        guard members.removeValue(forKey: memberID) != nil else { return }
        release(memberID: memberID, keeping: [])
        rebalance(partitions: partitions)
    }

    /// Removes members not heard from within their session timeout; returns their ids.
    mutating func expire(now: Int64, partitions: [String: Int32]) -> [String] {
        let expired = members.values.filter { $0.deadline <= now }.map(\.id).sorted()
        guard !expired.isEmpty else { return [] }
        for id in expired {
            members.removeValue(forKey: id)
            release(memberID: id, keeping: [])
        }
        rebalance(partitions: partitions)
        return expired
    }

    /// The earliest time a member could expire, for the coordinator's timer.
    var nextDeadline: Int64? { members.values.map(\.deadline).min() }

    /// Recomputes targets after topics gained partitions.
    mutating func partitionsChanged(_ partitions: [String: Int32]) {
        rebalance(partitions: partitions)
    }

    // MARK: - Commits

    /// Whether `memberID` at `generation` may commit an offset for `partition`.
    func checkCommit(memberID: String, generation: Int32, partition: TopicPartition) -> SluiceError? {
        if memberID.isEmpty && generation < 0 {
            // A commit from outside the group (a standalone consumer or an admin tool): only while it is empty.
            return members.isEmpty
                ? nil
                : SluiceError(.unknownMember, "group '\(name)' has live members; commit as a member of the group")
        }
        guard let member = members[memberID] else {
            return SluiceError(.unknownMember, "member '\(memberID)' is not in group '\(name)'; join again")
        }
        if let consumer = member.consumer {
            // Kafka's consumer protocol commits with the member epoch: any epoch the member has had, while it
            // still owns the partition (a commit racing the answer that raised its epoch is not lost).
            if generation <= 0 || generation > consumer.epoch {
                return SluiceError(
                    .staleGeneration,
                    "commit at member epoch \(generation) refused: member '\(memberID)' is at epoch \(consumer.epoch)")
            }
        } else if generation != self.generation {
            return SluiceError(
                .staleGeneration,
                "commit from generation \(generation) refused: group '\(name)' is at generation \(self.generation)")
        }
        if owners[partition] != memberID {
            return SluiceError(.staleGeneration, "member '\(memberID)' does not own \(partition) in group '\(name)'")
        }
        return nil
    }

    // MARK: - Assignment

    mutating func release(memberID: String, keeping owned: Set<TopicPartition>) {
        for (partition, owner) in owners where owner == memberID && !owned.contains(partition) {
            owners.removeValue(forKey: partition)
        }
    }

    /// Grants the member every target partition that is free (or already its own) and says which are pending.
    mutating func grant(to memberID: String, owned: Set<TopicPartition>) -> Assignment {
        let target = members[memberID]?.target ?? []
        var granted: [TopicPartition] = []
        var pending: [TopicPartition] = []
        for partition in target.sorted() {
            switch owners[partition] {
            case nil, memberID?:
                owners[partition] = memberID
                granted.append(partition)
            default:
                pending.append(partition)
            }
        }
        let assignment = Assignment(memberID: memberID, generation: generation, granted: granted, pending: pending)
        members[memberID]?.lastAnswer = assignment
        return assignment
    }

    /// Sticky, balanced assignment per topic: members keep what they have up to their fair share, and the rest
    /// goes to the least loaded. A new generation starts only when some target changed.
    mutating func rebalance(partitions: [String: Int32]) {
        var targets: [String: Set<TopicPartition>] = [:]
        for id in members.keys { targets[id] = [] }
        let topics = Set(members.values.flatMap(\.topics)).sorted()
        for topic in topics {
            let count = Int(partitions[topic] ?? 0)
            guard count > 0 else { continue }
            let subscribers = members.values.filter { $0.topics.contains(topic) }.map(\.id).sorted()
            let base = count / subscribers.count
            var extra = count % subscribers.count
            var load: [String: Int] = [:]
            var unassigned: [TopicPartition] = []
            // Keep current targets (in partition order) while under quota; a member may hold base + 1 while
            // there are remainders to give out.
            var previous: [TopicPartition: String] = [:]
            for id in subscribers {
                for partition in members[id]!.target where partition.topic == topic { previous[partition] = id }
            }
            for index in 0..<count {
                let partition = TopicPartition(topic: topic, partition: Int32(index))
                if let id = previous[partition] {
                    let quota = base + (extra > 0 ? 1 : 0)
                    if load[id, default: 0] < base || (load[id, default: 0] < quota && extra > 0) {
                        if load[id, default: 0] == base { extra -= 1 }
                        load[id, default: 0] += 1
                        targets[id]!.insert(partition)
                        continue
                    }
                }
                unassigned.append(partition)
            }
            for partition in unassigned {
                let id = subscribers.min { (load[$0, default: 0], $0) < (load[$1, default: 0], $1) }!
                load[id, default: 0] += 1
                targets[id]!.insert(partition)
            }
        }
        var changed = false
        for (id, target) in targets where members[id]!.target != target {
            members[id]!.target = target
            changed = true
        }
        // Owners of partitions that no longer exist in any subscription keep them until they release them.
        if changed { generation += 1 }
    }
}
