import Logging
import SluiceCore
import Testing

@testable import SluiceBroker

/// Kafka's consumer protocol (KIP-848) on the native coordinator: epochs, revocation before reassignment, fencing,
/// leaving, session expiry, and native members in the same group; time moved by hand.
@Suite struct ConsumerProtocolGroupTests {
    let timers = ManualTimers()
    let coordinator: GroupCoordinator

    init() {
        coordinator = GroupCoordinator(logger: Logger(label: "test"), clock: timers.clock, scheduler: timers) {
            topics in
            Dictionary(uniqueKeysWithValues: topics.filter { $0 == "t" }.map { ($0, 4) })
        }
    }

    func beat(
        _ member: String = "", epoch: Int32, topics: [String]? = nil, owned: [Int32]? = nil
    ) -> Result<ConsumerHeartbeatAnswer, ConsumerHeartbeatRefusal> {
        coordinator.consumerHeartbeat(
            group: "g",
            ConsumerHeartbeat(
                memberID: member, memberEpoch: epoch, clientID: "rdkafka", clientHost: "127.0.0.1",
                topics: topics, owned: owned.map { $0.map { TopicPartition(topic: "t", partition: $0) } }))
    }

    func partitions(_ answer: ConsumerHeartbeatAnswer) -> [Int32]? {
        answer.assignment.map { $0.map(\.partition) }
    }

    @Test func aJoiningMemberGetsAnIdAnEpochAndEveryPartition() throws {
        let first = try beat(epoch: 0, topics: ["t"]).get()
        #expect(!first.memberID.isEmpty && first.memberEpoch > 0)
        #expect(partitions(first) == [0, 1, 2, 3])
        // Nothing changed: no assignment in the answer, the epoch stays.
        let again = try beat(first.memberID, epoch: first.memberEpoch, owned: [0, 1, 2, 3]).get()
        #expect(again.assignment == nil && again.memberEpoch == first.memberEpoch)
        #expect(again.heartbeatIntervalMs == ConsumerGroup.consumerHeartbeatIntervalMs)
    }

    @Test func aPartitionMovesOnlyAfterItsOwnerRevokedIt() throws {
        let a = try beat(epoch: 0, topics: ["t"]).get()
        _ = try beat(a.memberID, epoch: a.memberEpoch, owned: [0, 1, 2, 3]).get()
        let b = try beat(epoch: 0, topics: ["t"]).get()
        // b's share is still a's: it gets nothing yet and is asked to come back soon.
        #expect(partitions(b) == [])
        #expect(b.heartbeatIntervalMs == ConsumerGroup.consumerWaitingHeartbeatIntervalMs)

        // a hears its smaller assignment at a new epoch.
        let revoke = try beat(a.memberID, epoch: a.memberEpoch).get()
        #expect(revoke.memberEpoch > a.memberEpoch)
        let kept = try #require(partitions(revoke))
        #expect(kept.count == 2)
        let moving: [Int32] = [0, 1, 2, 3].filter { !kept.contains($0) }

        // Until a reports it let go, b still waits.
        let waiting = try beat(b.memberID, epoch: b.memberEpoch).get()
        #expect(waiting.assignment == nil && waiting.memberEpoch == b.memberEpoch)
        _ = try beat(a.memberID, epoch: revoke.memberEpoch, owned: kept).get()
        let granted = try beat(b.memberID, epoch: b.memberEpoch).get()
        #expect(partitions(granted) == moving)
        #expect(granted.memberEpoch > b.memberEpoch)

        let description = try #require(coordinator.describe("g"))
        #expect(description.state == .stable)
        #expect(description.members.allSatisfy { $0.memberEpoch != nil && $0.clientHost == "127.0.0.1" })
    }

    @Test func aWrongEpochIsFencedAndTheMemberRejoinsUnderItsID() throws {
        let a = try beat(epoch: 0, topics: ["t"]).get()
        guard case .failure(.fencedMemberEpoch) = beat(a.memberID, epoch: a.memberEpoch + 5) else {
            Issue.record("an epoch the member never had must be fenced")
            return
        }
        // The previous epoch is accepted once (its answer may have been lost) and hears the assignment again.
        let b = try beat(epoch: 0, topics: ["t"]).get()
        let raised = try beat(a.memberID, epoch: a.memberEpoch).get()
        #expect(raised.memberEpoch > a.memberEpoch)
        let repeated = try beat(a.memberID, epoch: a.memberEpoch).get()
        #expect(repeated.assignment == raised.assignment && repeated.memberEpoch == raised.memberEpoch)

        let rejoined = try beat(a.memberID, epoch: 0, topics: ["t"], owned: []).get()
        #expect(rejoined.memberID == a.memberID && rejoined.assignment != nil)
        #expect(rejoined.memberEpoch > raised.memberEpoch)
        #expect(coordinator.describe("g")?.members.count == 2)
        _ = b
    }

    @Test func leavingFreesPartitionsAndAnUnknownMemberIsRefused() throws {
        let a = try beat(epoch: 0, topics: ["t"]).get()
        let b = try beat(epoch: 0, topics: ["t"]).get()
        let left = try beat(a.memberID, epoch: -1).get()
        #expect(left.memberEpoch == -1)
        // a's partitions are free at once: b gets all four.
        let all = try beat(b.memberID, epoch: b.memberEpoch).get()
        #expect(partitions(all) == [0, 1, 2, 3])
        guard case .failure(.unknownMember) = beat(a.memberID, epoch: a.memberEpoch) else {
            Issue.record("a member that left must be unknown")
            return
        }
    }

    @Test func aSilentMemberExpiresAfterItsSession() throws {
        let a = try beat(epoch: 0, topics: ["t"]).get()
        timers.advance(by: ConsumerGroup.consumerSessionTimeoutMs + 1)
        #expect(!coordinator.hasMembers("g"))
        guard case .failure(.unknownMember) = beat(a.memberID, epoch: a.memberEpoch) else {
            Issue.record("an expired member must be unknown")
            return
        }
    }

    @Test func nativeAndConsumerProtocolMembersShareOneGroup() throws {
        let native = try coordinator.join(
            group: "g", memberID: "", clientID: "native", topics: ["t"], sessionTimeoutMs: 10_000)
        #expect(native.granted.count == 4)
        let kafka = try beat(epoch: 0, topics: ["t"]).get()
        #expect(partitions(kafka) == [])
        // The native member hears the new generation, rejoins, and releases half.
        let rejoined = try coordinator.join(
            group: "g", memberID: native.memberID, clientID: "native", topics: ["t"], sessionTimeoutMs: 10_000)
        _ = try coordinator.heartbeat(
            group: "g", memberID: native.memberID, generation: rejoined.generation, owned: rejoined.granted)
        let granted = try beat(kafka.memberID, epoch: kafka.memberEpoch).get()
        #expect(partitions(granted)?.count == 2)
        #expect(Set(partitions(granted) ?? []).isDisjoint(with: rejoined.granted.map(\.partition)))

        // Commits: at the member's epoch, only on its own partitions.
        let mine = TopicPartition(topic: "t", partition: try #require(partitions(granted)?.first))
        let theirs = try #require(rejoined.granted.first)
        let checks = coordinator.checkCommit(
            group: "g", memberID: kafka.memberID, generation: granted.memberEpoch, partitions: [mine, theirs])
        #expect(checks[0] == nil && checks[1] != nil)
        let stale = coordinator.checkCommit(
            group: "g", memberID: kafka.memberID, generation: granted.memberEpoch + 1, partitions: [mine])
        #expect(stale[0]?.code == .staleGeneration)
    }

    @Test func aTopicCreatedLaterIsAssignedAtTheNextHeartbeat() throws {
        let a = try beat(epoch: 0, topics: ["later"]).get()
        #expect(partitions(a) == [])
        let counts = Locked<[String: Int32]>(["later": 0])
        let later = GroupCoordinator(logger: Logger(label: "test"), clock: timers.clock, scheduler: timers) { topics in
            counts.withLock { all in all.filter { topics.contains($0.key) && $0.value > 0 } }
        }
        func heartbeat(_ member: String, _ epoch: Int32, topics: [String]? = nil) throws -> ConsumerHeartbeatAnswer {
            try later.consumerHeartbeat(
                group: "g",
                ConsumerHeartbeat(
                    memberID: member, memberEpoch: epoch, clientID: "c", clientHost: "h", topics: topics, owned: nil)
            ).get()
        }
        let joined = try heartbeat("", 0, topics: ["later"])
        #expect(joined.assignment == [])
        counts.withLock { $0["later"] = 2 }
        let assigned = try heartbeat(joined.memberID, joined.memberEpoch)
        #expect(assigned.assignment?.map(\.partition) == [0, 1] && assigned.memberEpoch > joined.memberEpoch)
    }

    @Test func aJoinWithoutTopicsIsInvalid() {
        guard case .failure(.invalidRequest) = beat(epoch: 0, topics: nil) else {
            Issue.record("a join must name its topics")
            return
        }
    }
}
