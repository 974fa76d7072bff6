import Foundation
import SluiceBroker
import SluiceCore
import Synchronization
import Testing

/// Share groups over real SQLite files: acquisition, acknowledgement, locks, delays, delivery limits, dead letters
/// and restarts, through the broker's API.
@Suite struct ShareGroupTests: ShareTesting {
    let directory: String
    let broker: Broker

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-share-\(UUID().uuidString)").path
        broker = try Broker(dataDirectory: directory)
    }

    func cleanUp(_ broker: Broker? = nil) async {
        await (broker ?? self.broker).shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func severalMembersOnOnePartitionDoEachRecordOnce() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let members = [try await join(broker, "g"), try await join(broker, "g"), try await join(broker, "g")]
        #expect(Set(members).count == 3)
        let total = 300
        try await produce(broker, "t", (0..<total).map { "r\($0)" })
        let seen = Offsets()
        await withThrowingTaskGroup(of: Void.self) { tasks in
            for member in members {
                tasks.addTask {
                    var pending: [ShareAcknowledgement] = []
                    while seen.count < total {
                        let got = try await fetch(broker, "g", member, max: 7, waitMs: 200, acks: pending)
                        #expect(got.acknowledgeError == nil)
                        pending = got.acquired.map { ack($0.firstOffset, $0.lastOffset, .accept) }
                        seen.add(got.records.map(\.offset))
                    }
                    if !pending.isEmpty {
                        let results = try await broker.shareAcknowledge(
                            group: "g", memberID: member, acknowledgements: pending)
                        #expect(results.allSatisfy { $0.error == nil })
                    }
                }
            }
        }
        let offsets = seen.all
        #expect(offsets.count == total)
        #expect(Set(offsets) == Set((0..<Int64(total)).map { $0 }))
        let description = try await broker.describeShareGroup("g")
        #expect(description.partitions.first?.startOffset == Int64(total))
        #expect(description.partitions.first?.acquired == 0)
        #expect(description.members.count == 3)
        await cleanUp()
    }

    @Test func releaseWithADelayAndRejectIntoTheDeadLetterTopic() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        try await broker.alterGroupConfig(group: "g", set: ["errors.deadletterqueue.topic.name": "dlq"])
        let member = try await join(broker, "g")
        try await produce(broker, "t", ["a", "b", "c", "d"])
        let first = try await fetch(broker, "g", member)
        #expect(first.records.map(\.offset) == [0, 1, 2, 3])
        #expect(first.acquired == [AcquiredRange(firstOffset: 0, lastOffset: 3, deliveryCount: 1)])
        // Offset 3 is released for an hour: it must not come back in this test, however slow the machine.
        // Offset 0 is released for 800 ms: it must not come back in a fetch answered sooner than that.
        let released = ContinuousClock.now
        let results = try await broker.shareAcknowledge(
            group: "g", memberID: member,
            acknowledgements: [
                ack(0, nil, .release, delay: 800), ack(1, nil, .reject), ack(2, nil, .accept),
                ack(3, nil, .release, delay: 3_600_000),
            ])
        #expect(results.map(\.error) == [nil])
        var again = try await fetch(broker, "g", member)
        if released.duration(to: .now) < .milliseconds(750) { #expect(again.records.isEmpty) }
        if again.records.isEmpty { again = try await fetch(broker, "g", member, waitMs: 10_000) }
        let waited = released.duration(to: .now)
        print("released record redelivered after \(waited) (delay 800 ms)")
        #expect(again.records.map(\.offset) == [0])
        #expect(again.deliveryCount(of: 0) == 2)
        #expect(waited >= .milliseconds(750))
        #expect(try await waitFor { await deadLetters(broker).count == 1 })
        let letter = try #require(await deadLetters(broker).first)
        #expect(letter.value == Array("b".utf8))
        #expect(header(letter, "sluice.dlq.topic") == "t")
        #expect(header(letter, "sluice.dlq.partition") == "0")
        #expect(header(letter, "sluice.dlq.offset") == "1")
        #expect(header(letter, "sluice.dlq.delivery.count") == "1")
        #expect(header(letter, "sluice.dlq.reason") == "rejected")
        #expect(header(letter, "sluice.dlq.group") == "g")
        let description = try await broker.describeShareGroup("g")
        #expect(description.partitions.first?.deadLettered == 1)
        #expect(description.partitions.first?.delayed == 1)
        await cleanUp()
    }

    @Test func anExpiredLockRedeliversWithTheCountIncrementedPromptly() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        try await broker.alterGroupConfig(group: "g", set: ["share.record.lock.duration.ms": "500"])
        let holder = try await join(broker, "g")
        let waiter = try await join(broker, "g")
        try await produce(broker, "t", ["x"])
        let acquiredAt = ContinuousClock.now
        let held = try await fetch(broker, "g", holder)
        #expect(held.deliveryCount(of: 0) == 1)
        let redelivered = try await fetch(broker, "g", waiter, waitMs: 20_000)
        let after = acquiredAt.duration(to: .now)
        let lateness = after - .milliseconds(500)
        print("lock of 500 ms expired and the record was redelivered \(lateness) after the deadline")
        #expect(redelivered.records.map(\.offset) == [0])
        #expect(redelivered.deliveryCount(of: 0) == 2)
        #expect(after >= .milliseconds(450))
        // Generous: the machine may be loaded; the figure printed above is what is measured.
        // (CI runs every suite at once on two cores, which has held a timer back by seconds.)
        #expect(lateness < .seconds(15))
        // The first holder's lock ran out: its acknowledgement is refused and changes nothing.
        let stale = try await broker.shareAcknowledge(
            group: "g", memberID: holder, acknowledgements: [ack(0, nil, .accept)])
        #expect(stale.first?.error?.code == .invalidArgument)
        await cleanUp()
    }

    @Test func theDeliveryLimitDeadLettersWithItsHeaders() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        try await broker.alterGroupConfig(
            group: "g", set: ["share.delivery.count.limit": "2", "errors.deadletterqueue.topic.name": "dlq"])
        let member = try await join(broker, "g")
        try await produce(broker, "t", ["poison"], headers: [Header(name: "origin", value: Array("test".utf8))])
        let first = try await fetch(broker, "g", member)
        #expect(first.deliveryCount(of: 0) == 1)
        let second = try await fetch(broker, "g", member, acks: [ack(0, nil, .release)])
        #expect(second.deliveryCount(of: 0) == 2)
        let third = try await fetch(broker, "g", member, acks: [ack(0, nil, .release)])
        #expect(third.acknowledgeError == nil)
        #expect(third.records.isEmpty)
        #expect(try await waitFor { await deadLetters(broker).count == 1 })
        let letter = try #require(await deadLetters(broker).first)
        #expect(letter.value == Array("poison".utf8))
        #expect(header(letter, "origin") == "test")
        #expect(header(letter, "sluice.dlq.reason") == "delivery_limit")
        #expect(header(letter, "sluice.dlq.delivery.count") == "2")
        #expect(header(letter, "sluice.dlq.offset") == "0")
        #expect(try await waitFor { try await broker.describeShareGroup("g").partitions.first?.startOffset == 1 })
        let topics = try await broker.topics().map(\.name)
        #expect(topics.contains("dlq"))
        await cleanUp()
    }

    @Test func aDelayedRecordIsNotDeliveredEarly() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let member = try await join(broker, "g")
        // Offset 0 is due in an hour: it must not be delivered in this test, however slow the machine.
        // Offset 2 is due in 1.5 s: it must not be delivered before then.
        let now = { Int64(Date().timeIntervalSince1970 * 1000) }
        let hour = now() + 3_600_000
        try await produce(
            broker, "t", ["later"], headers: [Header(name: "sluice.deliver.after.ms", value: Array(String(hour).utf8))])
        try await produce(broker, "t", ["now"])
        let due = now() + 1_500
        try await produce(
            broker, "t", ["soon"], headers: [Header(name: "sluice.deliver.after.ms", value: Array(String(due).utf8))])
        let first = try await fetch(broker, "g", member)
        let firstAt = now()
        #expect(first.records.first?.offset == 1)
        #expect(!first.records.contains { $0.offset == 0 })
        if firstAt < due - 5 { #expect(first.records.map(\.offset) == [1]) }
        let description = try await broker.describeShareGroup("g")
        #expect((description.partitions.first?.delayed ?? 0) >= 1)
        var later = first
        if !first.records.contains(where: { $0.offset == 2 }) {
            later = try await fetch(broker, "g", member, waitMs: 30_000, acks: [ack(1, nil, .accept)])
        }
        let deliveredAt = now()
        print("delayed record delivered \(deliveredAt - due) ms after its due time")
        #expect(later.records.last?.offset == 2)
        #expect(!later.records.contains { $0.offset == 0 })
        #expect(deliveredAt >= due - 5)
        #expect(try await broker.describeShareGroup("g").partitions.first?.delayed == 1)
        // Log consumers see it at once, as always.
        let log = await broker.fetch(
            FetchSpec(targets: [FetchTarget(topic: "t", partition: 0, offset: 0, maxBytes: 1 << 20)], maxWaitMs: 0))
        #expect(log.first?.records.count == 3)
        await cleanUp()
    }

    @Test func badAcknowledgementsAreRefusedAndChangeNothing() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let owner = try await join(broker, "g")
        let other = try await join(broker, "g")
        try await produce(broker, "t", ["a", "b", "c"])
        let got = try await fetch(broker, "g", owner)
        #expect(got.records.count == 3)
        // Not acquired by this member.
        let foreign = try await broker.shareAcknowledge(
            group: "g", memberID: other, acknowledgements: [ack(0, nil, .accept)])
        #expect(foreign.first?.error?.code == .invalidArgument)
        #expect(foreign.first?.error?.message.contains("another member") == true)
        // Outside what was delivered; and a batch with one bad range applies none of its ranges.
        let outside = try await broker.shareAcknowledge(
            group: "g", memberID: owner, acknowledgements: [ack(0, nil, .accept), ack(5, 6, .accept)])
        #expect(outside.first?.error?.code == .invalidArgument)
        // A stale member.
        await #expect(throws: SluiceError.self) {
            try await broker.shareAcknowledge(
                group: "g", memberID: "gone-0123", acknowledgements: [ack(0, nil, .accept)])
        }
        do {
            _ = try await broker.shareFetch(
                ShareFetchRequest(
                    group: "g", memberID: "gone-0123", partitions: [TopicPartition(topic: "t", partition: 0)]))
            Issue.record("a stale member's fetch was answered")
        } catch {
            #expect(error.code == .unknownMember)
        }
        // Nothing changed: all three are still the owner's.
        let description = try await broker.describeShareGroup("g")
        #expect(description.partitions.first?.acquired == 3)
        #expect(description.members.first { $0.memberID == owner }?.acquiredRecords == 3)
        let fine = try await broker.shareAcknowledge(
            group: "g", memberID: owner, acknowledgements: [ack(0, 2, .accept)])
        #expect(fine.first?.error == nil)
        let twice = try await broker.shareAcknowledge(
            group: "g", memberID: owner, acknowledgements: [ack(1, nil, .accept)])
        #expect(twice.first?.error?.code == .invalidArgument)
        await cleanUp()
    }

    @Test func aMemberWhoseSessionExpiresGivesItsRecordsBack() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let worker = try await join(broker, "g")
        try await produce(broker, "t", ["x"])
        // Joined last, right before its fetch: on a loaded machine a short session could end in between.
        let quiet = try await join(broker, "g", sessionTimeoutMs: 2_000)
        #expect(try await fetch(broker, "g", quiet).records.count == 1)
        let started = ContinuousClock.now
        let got = try await fetch(broker, "g", worker, waitMs: 20_000)
        print("a session of 2 s expired; its record came back after \(started.duration(to: .now))")
        #expect(got.records.map(\.offset) == [0])
        #expect(got.deliveryCount(of: 0) == 2)
        await #expect(throws: SluiceError.self) {
            try await broker.shareFetch(
                ShareFetchRequest(group: "g", memberID: quiet, partitions: [TopicPartition(topic: "t", partition: 0)]))
        }
        await cleanUp()
    }

    @Test func theLockBudgetBoundsRecordsInFlight() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        try await broker.alterGroupConfig(group: "g", set: ["group.share.partition.max.record.locks": "3"])
        let a = try await join(broker, "g")
        let b = try await join(broker, "g")
        try await produce(broker, "t", (0..<10).map { "r\($0)" })
        #expect(try await fetch(broker, "g", a).records.map(\.offset) == [0, 1, 2])
        #expect(try await fetch(broker, "g", b).records.isEmpty)
        // Accepting the first frees one place; a waiting fetch is woken by it.
        let waiting = Task { try await fetch(broker, "g", b, waitMs: 10_000) }
        try await Task.sleep(for: .milliseconds(100))
        _ = try await broker.shareAcknowledge(group: "g", memberID: a, acknowledgements: [ack(0, nil, .accept)])
        #expect(try await waiting.value.records.map(\.offset) == [3])
        await cleanUp()
    }

    @Test func settingsAreValidatedAndTheGroupCanBeResetAndDeleted() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        do {
            try await broker.alterGroupConfig(group: "g", set: ["share.delivery.count.limit": "0"])
            Issue.record("a delivery limit of 0 was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("share.delivery.count.limit"))
        }
        do {
            try await broker.alterGroupConfig(group: "g", set: ["no.such.key": "1"])
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
        }
        try await broker.alterGroupConfig(group: "g", set: ["share.auto.offset.reset": "earliest"])
        try await produce(broker, "t", ["a", "b", "c"])
        let member = try await join(broker, "g")
        #expect(try await fetch(broker, "g", member, acks: []).records.count == 3)
        await #expect(throws: SluiceError.self) {
            try await broker.resetShareGroupOffsets(group: "g", topic: "t", to: .earliest)
        }
        _ = try await broker.shareGroupHeartbeat(
            group: "g", memberID: member, memberEpoch: 1, topics: nil, leaving: true)
        let reset = try await broker.resetShareGroupOffsets(group: "g", topic: "t", to: .offset(1))
        #expect(reset == [ShareStartOffset(topic: "t", partition: 0, startOffset: 1)])
        let next = try await join(broker, "g")
        let got = try await fetch(broker, "g", next)
        #expect(got.records.map(\.offset) == [1, 2])
        #expect(got.deliveryCount(of: 1) == 1)
        _ = try await broker.shareGroupHeartbeat(group: "g", memberID: next, memberEpoch: 1, topics: nil, leaving: true)
        try await broker.deleteShareGroup("g")
        #expect(try await broker.groupType("g") == nil)
        await cleanUp()
    }

    @Test func retentionDeletesRecordsAShareGroupThenSkips() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1, retentionRecords: 5))
        try await broker.alterGroupConfig(group: "g", set: ["share.auto.offset.reset": "earliest"])
        let member = try await join(broker, "g")
        for batch in 0..<4 { try await produce(broker, "t", (0..<5).map { "r\(batch)-\($0)" }) }
        #expect(
            try await waitFor {
                let details = try await broker.describeTopic("t")
                return details.partitions.first.map { $0.logStartOffset >= 15 } ?? false
            })
        let logStart = try await broker.describeTopic("t").partitions[0].logStartOffset
        let got = try await fetch(broker, "g", member)
        #expect(got.records.first?.offset == logStart)
        #expect(got.records.count == Int(20 - logStart))
        #expect(try await broker.describeShareGroup("g").partitions.first?.startOffset == logStart)
        await cleanUp()
    }

    @Test func aWaitingShareFetchIsAnsweredAtShutdown() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let member = try await join(broker, "g")
        let started = ContinuousClock.now
        let waiting = Task { try? await fetch(broker, "g", member, waitMs: 30_000) }
        try await Task.sleep(for: .milliseconds(200))
        await broker.shutdown()
        _ = await waiting.value
        #expect(started.duration(to: .now) < .seconds(20))
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func deletingATopicDropsItsShareState() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        try await broker.alterGroupConfig(group: "g", set: ["share.auto.offset.reset": "earliest"])
        let member = try await join(broker, "g")
        try await produce(broker, "t", ["a", "b"])
        _ = try await fetch(broker, "g", member, acks: [])
        _ = try await broker.shareAcknowledge(group: "g", memberID: member, acknowledgements: [ack(0, 1, .accept)])
        try await broker.deleteTopic("t")
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        try await produce(broker, "t", ["c"])
        let again = try await join(broker, "g")
        let got = try await fetch(broker, "g", again)
        #expect(got.records.map(\.offset) == [0])
        #expect(got.deliveryCount(of: 0) == 1)
        await cleanUp()
    }
}

/// Offsets seen by concurrent tasks.
final class Offsets: Sendable {
    private let offsets = Mutex<[Int64]>([])

    func add(_ more: [Int64]) { offsets.withLock { $0 += more } }
    var count: Int { offsets.withLock { $0.count } }
    var all: [Int64] { offsets.withLock { $0 } }
}

/// Share groups across a restart of the broker on the same directory.
@Suite struct ShareGroupRestartTests: ShareTesting {
    let directory =
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-share-\(UUID().uuidString)").path

    func reopen() async throws -> Broker { try await Broker.reopening(directory) }

    @Test func aRestartKeepsAcceptedDoneAndGivesAcquiredBackWithTheirCounts() async throws {
        do {
            let first = try Broker(dataDirectory: directory)
            try await first.createTopic("t", config: TopicConfig(partitions: 1))
            try await first.alterGroupConfig(group: "g", set: ["errors.deadletterqueue.topic.name": "dlq"])
            let member = try await join(first, "g")
            try await produce(first, "t", (0..<10).map { "r\($0)" })
            let got = try await fetch(first, "g", member)
            #expect(got.records.count == 10)
            let results = try await first.shareAcknowledge(
                group: "g", memberID: member, acknowledgements: [ack(0, 4, .accept), ack(5, nil, .reject)])
            #expect(results.first?.error == nil)
            #expect(try await waitFor { await deadLetters(first).count == 1 })
            await first.shutdown()
        }

        let reopened = try await reopen()
        let config = try await reopened.groupConfig(group: "g")
        #expect(config.first { $0.key == "errors.deadletterqueue.topic.name" }?.value == "dlq")
        let listing = try await reopened.listGroupsWithType()
        #expect(listing.first { $0.group == "g" }?.type == .share)
        let again = try await join(reopened, "g")
        let redelivered = try await fetch(reopened, "g", again)
        #expect(redelivered.records.map(\.offset) == [6, 7, 8, 9])
        #expect(redelivered.acquired == [AcquiredRange(firstOffset: 6, lastOffset: 9, deliveryCount: 2)])
        try await Task.sleep(for: .milliseconds(300))
        #expect(await deadLetters(reopened).count == 1)
        await reopened.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A dead letter whose copy could not be made stays archiving; a copy made before the mark (as a crash between
    /// the two would leave) is found and not made again, across a restart.
    @Test func aDeadLetterIsNeitherLostNorDoubled() async throws {
        do {
            let first = try Broker(dataDirectory: directory)
            try await first.createTopic("t", config: TopicConfig(partitions: 1))
            // The dead-letter topic refuses the copy (too large) until its limit is raised.
            try await first.createTopic("dlq", config: TopicConfig(partitions: 1, maxMessageBytes: 8))
            try await first.alterGroupConfig(group: "g", set: ["errors.deadletterqueue.topic.name": "dlq"])
            let member = try await join(first, "g")
            try await produce(first, "t", ["a record larger than eight bytes", "second record, large too"])
            _ = try await fetch(first, "g", member)
            let results = try await first.shareAcknowledge(
                group: "g", memberID: member, acknowledgements: [ack(0, 1, .reject)])
            #expect(results.first?.error == nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(await deadLetters(first).isEmpty)
            #expect(try await first.describeShareGroup("g").partitions.first?.startOffset == 0)
            // The copy of offset 0 lands (as if made just before a crash), the mark does not.
            try await first.alterTopic("dlq") { $0.maxMessageBytes = 1 << 20 }
            await first.shutdown()
        }
        do {
            let middle = try await reopen()
            _ = await middle.produce([
                ProduceBatch(
                    topic: "dlq", partition: 0,
                    records: [
                        ProducerRecord(
                            value: Array("a record larger than eight bytes".utf8),
                            headers: [
                                Header(name: "sluice.dlq.group", value: Array("g".utf8)),
                                Header(name: "sluice.dlq.topic", value: Array("t".utf8)),
                                Header(name: "sluice.dlq.partition", value: Array("0".utf8)),
                                Header(name: "sluice.dlq.offset", value: Array("0".utf8)),
                            ])
                    ])
            ])
            await middle.shutdown()
        }
        let reopened = try await reopen()
        let again = try await join(reopened, "g")
        _ = try await fetch(reopened, "g", again)
        #expect(try await waitFor { try await reopened.describeShareGroup("g").partitions.first?.startOffset == 2 })
        let letters = await deadLetters(reopened)
        #expect(letters.map { header($0, "sluice.dlq.offset") } == ["0", "1"])
        await reopened.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

}

/// What the share-group suites share.
protocol ShareTesting {}

extension ShareTesting {
    func produce(_ broker: Broker, _ topic: String, _ values: [String], headers: [Header] = []) async throws {
        let outcomes = await broker.produce([
            ProduceBatch(
                topic: topic, partition: 0,
                records: values.map { ProducerRecord(value: Array($0.utf8), headers: headers) })
        ])
        _ = try outcomes[0].result.get()
    }

    func join(_ broker: Broker, _ group: String, _ topic: String = "t", sessionTimeoutMs: Int32? = nil)
        async throws -> String
    {
        try await broker.shareGroupHeartbeat(
            group: group, memberID: "", clientID: "test", topics: [topic], sessionTimeoutMs: sessionTimeoutMs
        ).memberID
    }

    func fetch(
        _ broker: Broker, _ group: String, _ member: String, topic: String = "t", max: Int = 500, waitMs: Int = 0,
        acks: [ShareAcknowledgement] = []
    ) async throws -> ShareFetchedPartition {
        let response = try await broker.shareFetch(
            ShareFetchRequest(
                group: group, memberID: member, partitions: [TopicPartition(topic: topic, partition: 0)],
                maxRecords: max, maxWaitMs: waitMs, acknowledgements: acks))
        return try #require(response.partitions.first { $0.topic == topic && $0.partition == 0 })
    }

    func ack(
        _ first: Int64, _ last: Int64? = nil, _ type: ShareAcknowledgeType, delay: Int64? = nil, topic: String = "t"
    )
        -> ShareAcknowledgement
    {
        ShareAcknowledgement(
            topic: topic, partition: 0, firstOffset: first, lastOffset: last ?? first, type: type,
            releaseDelayMs: delay)
    }

    /// Every record of the dead-letter topic, read from its start.
    func deadLetters(_ broker: Broker, _ topic: String = "dlq") async -> [Record] {
        let fetched = await broker.fetch(
            FetchSpec(targets: [FetchTarget(topic: topic, partition: 0, offset: 0, maxBytes: 1 << 20)], maxWaitMs: 0))
        return fetched.first?.records ?? []
    }

    func header(_ record: Record, _ name: String) -> String? {
        record.headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    func waitFor(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

}
