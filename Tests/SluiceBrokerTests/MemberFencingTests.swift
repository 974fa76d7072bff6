import Foundation
import SluiceCore
import Testing

@testable import SluiceBroker

/// A removed member stays removed: fresh member ids (KIP-394) fence it whatever joins after it under its client id.
@Suite struct MemberFencingTests {
    let partitions: [String: Int32] = ["orders": 4]
    let p0 = TopicPartition(topic: "orders", partition: 0)

    /// The old member `a` of `group` is fenced and the new one `b` is not.
    func expectFenced(
        _ a: ConsumerGroup.Assignment, by b: ConsumerGroup.Assignment, in group: inout ConsumerGroup,
        now: Int64
    ) throws {
        #expect(a.memberID != b.memberID)
        #expect(b.memberID.hasPrefix("worker-"))
        #expect(
            code { () throws(SluiceError) in
                _ = try group.heartbeat(memberID: a.memberID, generation: a.generation, owned: Set(a.granted), now: now)
            } == .unknownMember)
        for partition in a.granted {
            #expect(
                group.checkCommit(memberID: a.memberID, generation: a.generation, partition: partition)?.code
                    == .unknownMember)
        }
        // The old member's heartbeat released nothing of the new one's.
        let answer = try group.heartbeat(
            memberID: b.memberID, generation: group.generation, owned: Set(b.granted),
            now: now)
        #expect(answer.granted.count == 4)
        #expect(group.checkCommit(memberID: b.memberID, generation: group.generation, partition: p0) == nil)
    }

    /// The code `body` throws, `nil` if it throws nothing.
    func code(_ body: () throws(SluiceError) -> Void) -> ErrorCode? {
        do throws(SluiceError) {
            try body()
            return nil
        } catch {
            return error.code
        }
    }

    func join(_ group: inout ConsumerGroup, now: Int64) -> ConsumerGroup.Assignment {
        group.join(
            memberID: nil, clientID: "worker", topics: ["orders"], sessionTimeoutMs: 1000, now: now,
            partitions: partitions)
    }

    @Test func memberIDsAreFreshAndRandom() {
        let id = ConsumerGroup.randomMemberID(clientID: "worker")
        #expect(id.hasPrefix("worker-"))
        let suffix = id.dropFirst("worker-".count)
        #expect(suffix.count == 32 && suffix.allSatisfy(\.isHexDigit))
        #expect(ConsumerGroup.randomMemberID(clientID: "").hasPrefix("member-"))
        let many = Set((0..<1000).map { _ in ConsumerGroup.randomMemberID(clientID: "worker") })
        #expect(many.count == 1000)
    }

    @Test func aMemberIDTheGroupDoesNotHoldIsNotTakenOver() {
        var group = ConsumerGroup(name: "g")
        let answer = group.join(
            memberID: "worker-1", clientID: "worker", topics: ["orders"], sessionTimeoutMs: 1000,
            now: 0, partitions: partitions)
        #expect(answer.memberID != "worker-1")
    }

    @Test func sessionExpiryThenAJoinUnderTheSameClientID() throws {
        var group = ConsumerGroup(name: "g")
        let a = join(&group, now: 0)
        #expect(group.expire(now: 1000, partitions: partitions) == [a.memberID])
        #expect(group.isEmpty)
        let b = join(&group, now: 1001)
        try expectFenced(a, by: b, in: &group, now: 1002)
    }

    @Test func leaveThenAJoinUnderTheSameClientID() throws {
        var group = ConsumerGroup(name: "g")
        let a = join(&group, now: 0)
        group.leave(memberID: a.memberID, partitions: partitions)
        let b = join(&group, now: 1)
        try expectFenced(a, by: b, in: &group, now: 2)
    }

    @Test func restartThenAJoinUnderTheSameClientID() throws {
        var before = ConsumerGroup(name: "g")
        let a = join(&before, now: 0)
        // A restart forgets members: the group starts again from nothing, at the same generation numbers.
        var after = ConsumerGroup(name: "g")
        let b = join(&after, now: 0)
        #expect(b.generation == a.generation)
        try expectFenced(a, by: b, in: &after, now: 1)
    }

    @Test func aRestartedBrokerFencesTheMembersItForgot() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-fencing-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a: GroupAssignment
        do {
            // Scoped, so that the first broker (and its lock on the directory) is gone before the second opens it.
            let first = try Broker(dataDirectory: directory)
            try await first.createTopic("orders", config: TopicConfig(partitions: 2))
            a = try first.joinGroup("g", memberID: "", clientID: "worker", topics: ["orders"], sessionTimeoutMs: 5000)
            let offset = CommittedOffset(topic: "orders", partition: 0, offset: 1)
            #expect(
                try await first.commitOffsets(
                    group: "g", memberID: a.memberID, generation: a.generation,
                    [offset])[0].1 == nil)
            await first.shutdown()
        }
        let broker = try await Broker.reopening(directory)
        let b = try broker.joinGroup("g", memberID: "", clientID: "worker", topics: ["orders"], sessionTimeoutMs: 5000)
        #expect(b.memberID != a.memberID && b.generation == a.generation)
        #expect(
            code { () throws(SluiceError) in
                _ = try broker.heartbeat("g", memberID: a.memberID, generation: a.generation, owned: a.granted)
            } == .unknownMember)
        let refused = try await broker.commitOffsets(
            group: "g", memberID: a.memberID, generation: a.generation,
            [CommittedOffset(topic: "orders", partition: 0, offset: 7)])
        #expect(refused[0].1?.code == .unknownMember)
        #expect(try await broker.committedOffsets(group: "g").map(\.offset) == [1])
        // Rejoining under the forgotten id gets a fresh one, not the old member's place.
        let rejoined = try broker.joinGroup(
            "g", memberID: a.memberID, clientID: "worker", topics: ["orders"],
            sessionTimeoutMs: 5000)
        #expect(rejoined.memberID != a.memberID)
        await broker.shutdown()
    }
}
