import SluiceCore
import Testing

@testable import SluiceBroker

@Suite struct ConsumerGroupTests {
    let partitions: [String: Int32] = ["orders": 6]
    let timeout: Int64 = 10_000

    /// Heartbeats every member once, each reporting exactly what it was granted before.
    func round(_ group: inout ConsumerGroup, _ owned: inout [String: Set<TopicPartition>], now: Int64) {
        for id in group.members.keys.sorted() {
            do {
                let answer = try group.heartbeat(
                    memberID: id, generation: group.generation, owned: owned[id] ?? [], now: now)
                owned[id] = Set(answer.granted)
            } catch {
                Issue.record("heartbeat failed: \(error)")
            }
            assertNoDoubleOwnership(owned)
        }
    }

    func assertNoDoubleOwnership(_ owned: [String: Set<TopicPartition>]) {
        var seen: Set<TopicPartition> = []
        for (_, partitions) in owned {
            #expect(seen.isDisjoint(with: partitions), "a partition is owned by two members")
            seen.formUnion(partitions)
        }
    }

    @Test func threeMembersShareSixPartitionsThenAFourthJoins() {
        var group = ConsumerGroup(name: "g")
        var owned: [String: Set<TopicPartition>] = [:]
        var ids: [String] = []
        for index in 0..<3 {
            let answer = group.join(
                memberID: nil, clientID: "c\(index)", topics: ["orders"], sessionTimeoutMs: timeout,
                now: 0, partitions: partitions)
            ids.append(answer.memberID)
            owned[answer.memberID] = Set(answer.granted)
            assertNoDoubleOwnership(owned)
        }
        for _ in 0..<3 { round(&group, &owned, now: 1) }
        #expect(ids.map { owned[$0]!.count } == [2, 2, 2])
        let before = owned

        let fourth = group.join(
            memberID: nil, clientID: "c3", topics: ["orders"], sessionTimeoutMs: timeout, now: 2,
            partitions: partitions)
        owned[fourth.memberID] = Set(fourth.granted)
        assertNoDoubleOwnership(owned)
        for _ in 0..<3 { round(&group, &owned, now: 3) }
        let counts = owned.values.map(\.count).sorted()
        #expect(counts == [1, 1, 2, 2])
        #expect(owned.values.reduce(0) { $0 + $1.count } == 6)
        // Sticky: every old member kept at least one of its partitions.
        for id in ids { #expect(!owned[id]!.isDisjoint(with: before[id]!)) }
    }

    @Test func partitionMovesOnlyAfterItsOwnerReleasesIt() throws {
        var group = ConsumerGroup(name: "g")
        let a = group.join(
            memberID: nil, clientID: "a", topics: ["orders"], sessionTimeoutMs: timeout, now: 0,
            partitions: partitions)
        #expect(a.granted.count == 6)
        let b = group.join(
            memberID: nil, clientID: "b", topics: ["orders"], sessionTimeoutMs: timeout, now: 0,
            partitions: partitions)
        // a still holds everything: b waits for three of them.
        #expect(b.granted.isEmpty)
        #expect(b.pending.count == 3)
        // a's old generation is refused; it rejoins and learns its smaller share.
        #expect(throws: SluiceError.self) {
            try group.heartbeat(memberID: a.memberID, generation: a.generation, owned: Set(a.granted), now: 1)
        }
        let aAgain = group.join(
            memberID: a.memberID, clientID: "a", topics: ["orders"], sessionTimeoutMs: timeout,
            now: 1, partitions: partitions)
        #expect(aAgain.granted.count == 3)
        // Until a reports having released the other three, b gets nothing.
        let bStill = try group.heartbeat(memberID: b.memberID, generation: group.generation, owned: [], now: 1)
        #expect(bStill.granted.isEmpty)
        _ = try group.heartbeat(memberID: a.memberID, generation: group.generation, owned: Set(aAgain.granted), now: 2)
        let bNow = try group.heartbeat(memberID: b.memberID, generation: group.generation, owned: [], now: 2)
        #expect(bNow.granted.count == 3)
        #expect(Set(bNow.granted).isDisjoint(with: aAgain.granted))
    }

    @Test func silentMemberIsRemovedAndItsPartitionsMove() throws {
        var group = ConsumerGroup(name: "g")
        var owned: [String: Set<TopicPartition>] = [:]
        let a = group.join(
            memberID: nil, clientID: "a", topics: ["orders"], sessionTimeoutMs: 1000, now: 0, partitions: partitions)
        let b = group.join(
            memberID: nil, clientID: "b", topics: ["orders"], sessionTimeoutMs: 1000, now: 0, partitions: partitions)
        owned[a.memberID] = Set(a.granted)
        owned[b.memberID] = Set(b.granted)
        round(&group, &owned, now: 100)
        round(&group, &owned, now: 200)
        #expect(owned[b.memberID]!.count == 3)
        // b goes silent; a keeps heartbeating.
        _ = try group.heartbeat(memberID: a.memberID, generation: group.generation, owned: owned[a.memberID]!, now: 900)
        #expect(group.expire(now: 1000, partitions: partitions) == [])
        #expect(group.expire(now: 1200, partitions: partitions) == [b.memberID])
        let rejoined = group.join(
            memberID: a.memberID, clientID: "a", topics: ["orders"], sessionTimeoutMs: 1000,
            now: 1200, partitions: partitions)
        #expect(rejoined.granted.count == 6)
    }

    @Test func commitsAreCheckedForMemberGenerationAndOwnership() {
        var group = ConsumerGroup(name: "g")
        let a = group.join(
            memberID: nil, clientID: "a", topics: ["orders"], sessionTimeoutMs: timeout, now: 0, partitions: partitions)
        let p0 = TopicPartition(topic: "orders", partition: 0)
        #expect(group.checkCommit(memberID: a.memberID, generation: a.generation, partition: p0) == nil)
        _ = group.join(
            memberID: nil, clientID: "b", topics: ["orders"], sessionTimeoutMs: timeout, now: 0, partitions: partitions)
        #expect(
            group.checkCommit(memberID: a.memberID, generation: a.generation, partition: p0)?.code == .staleGeneration)
        #expect(
            group.checkCommit(memberID: "ghost", generation: group.generation, partition: p0)?.code == .unknownMember)
        #expect(group.checkCommit(memberID: "", generation: -1, partition: p0)?.code == .unknownMember)
        var empty = ConsumerGroup(name: "e")
        #expect(empty.checkCommit(memberID: "", generation: -1, partition: p0) == nil)
        empty.leave(memberID: "nobody", partitions: partitions)
        #expect(empty.isEmpty)
    }

    @Test func membersOnlyGetTopicsTheySubscribeTo() {
        var group = ConsumerGroup(name: "g")
        let counts: [String: Int32] = ["a": 2, "b": 4]
        let x = group.join(
            memberID: nil, clientID: "x", topics: ["a"], sessionTimeoutMs: timeout, now: 0, partitions: counts)
        let y = group.join(
            memberID: nil, clientID: "y", topics: ["a", "b"], sessionTimeoutMs: timeout, now: 0, partitions: counts)
        let target = group.members[y.memberID]!.target
        #expect(target.filter { $0.topic == "b" }.count == 4)
        #expect(group.members[x.memberID]!.target.allSatisfy { $0.topic == "a" })
        #expect(group.members[x.memberID]!.target.count + target.filter { $0.topic == "a" }.count == 2)
    }
}
