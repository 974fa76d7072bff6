import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

/// Consumer groups through the real server: sharing, rebalancing, failure, resumption, dead letters.
@Suite(.serialized) struct GroupTests {
    /// Who owns what, as the members themselves report it through rebalance events.
    final class Ownership: Sendable {
        private let state = Mutex<(owners: [TopicPartition: Set<String>], violations: [String])>(([:], []))

        func listener(_ member: String) -> @Sendable (RebalanceEvent) -> Void {
            { event in
                self.state.withLock { state in
                    switch event {
                    case .assigned(let partitions):
                        for tp in partitions {
                            state.owners[tp, default: []].insert(member)
                            if state.owners[tp]!.count > 1 {
                                state.violations.append("\(tp) owned by \(state.owners[tp]!.sorted())")
                            }
                        }
                    case .revoked(let partitions):
                        for tp in partitions { state.owners[tp]?.remove(member) }
                    }
                }
            }
        }

        func drop(_ member: String) {
            state.withLock { state in
                for tp in state.owners.keys { state.owners[tp]?.remove(member) }
            }
        }

        var violations: [String] { state.withLock { $0.violations } }
        func count(of member: String) -> Int {
            state.withLock { $0.owners.values.filter { $0.contains(member) }.count }
        }
    }

    /// How often each value was seen, across members.
    final class Tally: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func add(_ value: String) { counts.withLock { $0[value, default: 0] += 1 } }
        var snapshot: [String: Int] { counts.withLock { $0 } }
    }

    /// Polls a consumer in the background, recording every record it returns, until cancelled.
    static func pollLoop(_ consumer: Consumer, into seen: Tally) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                guard let records = try? await consumer.poll(maxWaitMs: 100) else { continue }
                for record in records { seen.add(String(decoding: record.record.value ?? [], as: UTF8.self)) }
            }
        }
    }

    func configuration(_ group: String, sessionTimeoutMs: Int32 = 5000) -> ConsumerConfiguration {
        var configuration = ConsumerConfiguration(group: group, autoOffsetReset: .earliest)
        configuration.sessionTimeoutMs = sessionTimeoutMs
        configuration.autoCommitIntervalMs = 200
        return configuration
    }

    func waitUntil(seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    @Test func membersShareRebalanceAndNeverOverlapWhileAProducerRuns() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("work", partitions: 6)
        let producer = try await client.makeProducer()
        let produced = Atomic<Int>(0)
        let producing = Task {
            var index = 0
            while !Task.isCancelled && index < 100_000 {
                _ = try? await producer.send(
                    ProducerRecord(key: Array("k\(index)".utf8), value: Array("m\(index)".utf8)), topic: "work")
                produced.add(1, ordering: .relaxed)
                index += 1
                if index % 50 == 0 { try? await Task.sleep(for: .milliseconds(5)) }
            }
        }

        let ownership = Ownership()
        let seen = Tally()
        var members: [(Consumer, Task<Void, Never>)] = []
        // No member may expire here (this test is about handing partitions over, not about failure): on a loaded
        // two-core machine running every suite at once, a 5 s session was seen to lapse while the members waited
        // for a thread, and the expired member's partitions then went to another before it learned so.
        for index in 0..<3 {
            let consumer = try await client.makeConsumer(configuration("workers", sessionTimeoutMs: 15_000))
            try await consumer.subscribe(["work"], onRebalance: ownership.listener("m\(index)"))
            members.append((consumer, Self.pollLoop(consumer, into: seen)))
        }
        #expect(await waitUntil(seconds: 30) { (0..<3).allSatisfy { ownership.count(of: "m\($0)") == 2 } })

        let fourth = try await client.makeConsumer(configuration("workers", sessionTimeoutMs: 15_000))
        try await fourth.subscribe(["work"], onRebalance: ownership.listener("m3"))
        members.append((fourth, Self.pollLoop(fourth, into: seen)))
        #expect(
            await waitUntil(seconds: 30) {
                (0..<4).map { ownership.count(of: "m\($0)") }.sorted() == [1, 1, 2, 2]
            })
        let description = try await client.describeGroup("workers")
        #expect(description.members.count == 4)

        // Stop producing (once it has sent a fair amount: on a loaded machine the rebalances above may have been
        // quick next to the producer), let the members drain, then stop them.
        _ = await waitUntil(seconds: 30) { produced.load(ordering: .relaxed) > 200 }
        producing.cancel()
        _ = await producing.value
        await producer.flush()
        let total = produced.load(ordering: .relaxed)
        #expect(total > 100)
        #expect(await waitUntil(seconds: 15) { seen.snapshot.count >= total })
        for (consumer, task) in members {
            task.cancel()
            _ = await task.value
            await consumer.close()
        }
        #expect(ownership.violations.isEmpty, "\(ownership.violations)")
        let counts = seen.snapshot
        #expect(counts.count == total, "every message processed at least once")
        #expect((0..<total).allSatisfy { counts["m\($0)"] != nil }, "no message skipped")

        // Everything committed on close: a restarted member finds nothing left to read.
        let lag = try await client.describeGroup("workers")
        #expect(lag.topics.flatMap(\.partitions).allSatisfy { $0.lag == 0 })
        await client.close()
    }

    /// Partitions with more than one owner in `description` (as members report them), or nil when there are none.
    static func doublyOwned(_ description: GroupDescription) -> [String]? {
        var owners: [String: [String]] = [:]
        for member in description.members {
            for topic in member.owned {
                for partition in topic.partitions {
                    owners["\(topic.name)[\(partition)]", default: []].append(member.memberID)
                }
            }
        }
        let doubled = owners.filter { $0.value.count > 1 }.map { "\($0.key) owned by \($0.value.sorted())" }.sorted()
        return doubled.isEmpty ? nil : doubled
    }

    /// Each member's owned count once every partition has an owner and no member has any pending, else nil.
    static func settledCounts(_ description: GroupDescription, partitions: Int) -> [Int]? {
        let counts = description.members.map { $0.owned.flatMap(\.partitions).count }
        let pending = description.members.flatMap { $0.pending.flatMap(\.partitions) }
        guard pending.isEmpty, counts.reduce(0, +) == partitions else { return nil }
        return counts.sorted()
    }

    /// Idle members: a join and a leave rebalance at once (held heartbeats, immediate release), and a sampler that
    /// reads the group every few milliseconds never sees a partition with two owners. The bound on the time is
    /// generous (the figures are in `Scripts/bench-rebalance`), the no-two-owners check is not.
    @Test func idleMembersRebalanceAtOnceAndNoPartitionEverHasTwoOwners() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("idle", partitions: 6)

        let violations = Mutex<[String]>([])
        let sampled = Atomic<Int>(0)
        let sampler = Task {
            while !Task.isCancelled {
                if let description = try? await client.describeGroup("idlers") {
                    sampled.add(1, ordering: .relaxed)
                    if let doubled = Self.doublyOwned(description) { violations.withLock { $0 += doubled } }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let ownership = Ownership()
        let seen = Tally()
        var members: [(Consumer, Task<Void, Never>)] = []
        for index in 0..<3 {
            // Sessions long enough that no member expires on a loaded machine: this is about handing over.
            var configuration = configuration("idlers", sessionTimeoutMs: 30_000)
            configuration.heartbeatIntervalMs = 10_000
            let consumer = try await client.makeConsumer(configuration)
            try await consumer.subscribe(["idle"], onRebalance: ownership.listener("m\(index)"))
            members.append((consumer, Self.pollLoop(consumer, into: seen)))
            try await Task.sleep(for: .milliseconds(300))
        }
        // Heartbeats are held for 10 s here: a balance well before then came from the long poll, not a period.
        #expect(
            await waitUntil(seconds: 5) {
                guard let description = try? await client.describeGroup("idlers") else { return false }
                return Self.settledCounts(description, partitions: 6) == [2, 2, 2]
            })

        let (leaver, loop) = members.removeLast()
        loop.cancel()
        _ = await loop.value
        await leaver.close()
        ownership.drop("m2")
        #expect(
            await waitUntil(seconds: 5) {
                guard let description = try? await client.describeGroup("idlers") else { return false }
                return description.members.count == 2 && Self.settledCounts(description, partitions: 6) == [3, 3]
            })

        sampler.cancel()
        _ = await sampler.value
        for (consumer, task) in members {
            task.cancel()
            _ = await task.value
            await consumer.close()
        }
        #expect(sampled.load(ordering: .relaxed) > 10)
        #expect(violations.withLock { $0 }.isEmpty, "\(violations.withLock { $0 })")
        #expect(ownership.violations.isEmpty, "\(ownership.violations)")
        await client.close()
    }

    @Test func killedMembersPartitionsMoveWithinTheSessionTimeout() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("jobs", partitions: 4)
        let survivor = try await client.makeConsumer(configuration("crew", sessionTimeoutMs: 2000))
        try await survivor.subscribe(["jobs"])
        let seen = Tally()
        let polling = Self.pollLoop(survivor, into: seen)

        // A member in another process, killed without a chance to leave.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        other.arguments = [
            "consume", "jobs", "--group", "crew", "--socket", server.socketPath, "--session-timeout-ms", "2000",
        ]
        other.standardOutput = FileHandle.nullDevice
        try other.run()
        #expect(
            await waitUntil(seconds: 10) {
                (try? await client.describeGroup("crew"))?.members.filter { $0.owned.flatMap(\.partitions).count == 2 }
                    .count == 2
            })
        kill(other.processIdentifier, SIGKILL)
        other.waitUntilExit()
        let killedAt = Date()
        #expect(
            await waitUntil(seconds: 6) {
                guard let group = try? await client.describeGroup("crew") else { return false }
                return group.members.count == 1 && group.members[0].owned.flatMap(\.partitions).count == 4
            })
        // Session timeout 2 s, plus at most a heartbeat interval for the survivor to pick them up.
        #expect(Date().timeIntervalSince(killedAt) < 4.5)
        polling.cancel()
        _ = await polling.value
        await survivor.close()
        await client.close()
    }

    @Test func twoGroupsEachReceiveEveryMessageAndResumeFromCommits() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        var client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("news", partitions: 3)
        let producer = try await client.makeProducer()
        for index in 0..<300 { producer.send(ProducerRecord(value: Array("n\(index)".utf8)), topic: "news") { _ in } }
        await producer.flush()

        for group in ["alpha", "beta"] {
            let consumer = try await client.makeConsumer(configuration(group))
            try await consumer.subscribe(["news"])
            var seen: Set<String> = []
            let deadline = Date().addingTimeInterval(10)
            while seen.count < 300 && Date() < deadline {
                for record in try await consumer.poll(maxWaitMs: 100) {
                    seen.insert(String(decoding: record.record.value ?? [], as: UTF8.self))
                }
            }
            #expect(seen.count == 300, "group \(group) saw \(seen.count)")
            await consumer.close()
        }

        // More messages while the groups are away; the server restarts; each group resumes where it left off.
        for index in 300..<350 { producer.send(ProducerRecord(value: Array("n\(index)".utf8)), topic: "news") { _ in } }
        await producer.flush()
        await producer.close()
        let stopped = try await client.describeGroup("alpha")
        #expect(stopped.topics.flatMap(\.partitions).reduce(0) { $0 + ($1.lag ?? 0) } == 50)
        await client.close()
        server.stop()
        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        client = try await SluiceClient.connect(socketPath: restarted.socketPath)
        let consumer = try await client.makeConsumer(configuration("alpha"))
        try await consumer.subscribe(["news"])
        var resumed: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while resumed.count < 50 && Date() < deadline {
            resumed += try await consumer.poll(maxWaitMs: 100).map {
                String(decoding: $0.record.value ?? [], as: UTF8.self)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        resumed += try await consumer.poll(maxWaitMs: 100).map {
            String(decoding: $0.record.value ?? [], as: UTF8.self)
        }
        #expect(Set(resumed) == Set((300..<350).map { "n\($0)" }), "only what was not yet committed is re-delivered")
        await consumer.close()
        await client.close()
    }

    @Test func commitFromAStaleGenerationIsRefused() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send(.createTopic(CreateTopicRequest(name: "t", partitions: 2, configs: [])), correlationID: 1)
        #expect(connection.readResponse()?.error == nil)
        connection.send(
            .joinGroup(JoinGroupRequest(group: "g", clientID: "a", sessionTimeoutMs: 5000, topics: ["t"])),
            correlationID: 2)
        guard case .joinGroup(let first) = try #require(connection.readResponse()).response(to: .joinGroup) else {
            throw SluiceError(.unknown, "bad response")
        }
        connection.send(
            .joinGroup(JoinGroupRequest(group: "g", clientID: "b", sessionTimeoutMs: 5000, topics: ["t"])),
            correlationID: 3)
        #expect(connection.readResponse()?.error == nil)
        connection.send(
            .commitOffsets(
                CommitOffsetsRequest(
                    group: "g", generation: first.generation, memberID: first.memberID,
                    topics: [.init(name: "t", partitions: [.init(partition: 0, offset: 1)])])), correlationID: 4)
        guard case .commitOffsets(let commit) = try #require(connection.readResponse()).response(to: .commitOffsets)
        else {
            throw SluiceError(.unknown, "bad response")
        }
        #expect(commit.topics[0].partitions[0].error?.code == .staleGeneration)
        connection.send(
            .heartbeat(
                HeartbeatRequest(
                    group: "g", memberID: first.memberID, generation: first.generation,
                    owned: [])), correlationID: 5)
        #expect(connection.readResponse()?.error?.code == .staleGeneration)
    }

    @Test func failingMessagesGoToTheDeadLetterTopicAfterTheirAttempts() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("orders", partitions: 1)
        try await client.createTopic("orders.dlq", partitions: 1)
        let producer = try await client.makeProducer()
        for value in ["good", "flaky", "poison"] {
            _ = try await producer.send(
                ProducerRecord(
                    key: Array("k-\(value)".utf8), value: Array(value.utf8),
                    headers: [Header(name: "trace", value: Array("t1".utf8))]),
                topic: "orders")
        }
        let processor = RetryingProcessor(producer: producer, maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2)
        let consumer = try await client.makeConsumer(configuration("billing"))
        try await consumer.subscribe(["orders"])
        let failures = Mutex<[String: Int]>([:])
        var outcomes: [String: RetryingProcessor.Outcome] = [:]
        let deadline = Date().addingTimeInterval(10)
        while outcomes.count < 3 && Date() < deadline {
            for record in try await consumer.poll(maxWaitMs: 100) {
                let value = String(decoding: record.record.value ?? [], as: UTF8.self)
                outcomes[value] = try await processor.process(record) { _ in
                    let count = failures.withLock { failures -> Int in
                        failures[value, default: 0] += 1
                        return failures[value]!
                    }
                    if value == "poison" || (value == "flaky" && count == 1) {
                        throw SluiceError(.unknown, "cannot handle \(value)")
                    }
                }
            }
        }
        #expect(outcomes["good"] == .processed(attempts: 1))
        #expect(outcomes["flaky"] == .processed(attempts: 2))
        guard case .deadLettered(let attempts, let topic, _, let offset) = outcomes["poison"] else {
            Issue.record("poison was not dead-lettered: \(String(describing: outcomes["poison"]))")
            return
        }
        #expect(attempts == 3 && topic == "orders.dlq" && offset == 0)
        let parked = try await client.fetch(
            FetchRequest(
                maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
                topics: [
                    .init(name: "orders.dlq", partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: 1 << 20)])
                ])
        ).topics[0].partitions[0].records
        #expect(parked.count == 1)
        let headers = Dictionary(
            parked[0].headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) },
            uniquingKeysWith: { a, _ in a })
        #expect(parked[0].key == Array("k-poison".utf8))
        #expect(headers["trace"] == "t1")
        #expect(headers["sluice.dlq.topic"] == "orders")
        #expect(headers["sluice.dlq.partition"] == "0")
        #expect(headers["sluice.dlq.offset"] == "2")
        #expect(headers["sluice.dlq.attempts"] == "3")
        #expect(headers["sluice.dlq.error"]?.contains("cannot handle poison") == true)
        await consumer.close()
        await producer.close()
        await client.close()
    }

    @Test func execRunsTheCommandPerMessageAndDeadLettersFailures() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let produce = Process()
        produce.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        let admin = try RawConnection(path: server.socketPath)
        admin.send(.createTopic(CreateTopicRequest(name: "jobs", partitions: 1, configs: [])), correlationID: 1)
        #expect(admin.readResponse()?.error == nil)
        produce.arguments = ["produce", "jobs", "--socket", server.socketPath]
        let input = Pipe()
        produce.standardInput = input
        try produce.run()
        input.fileHandleForWriting.write("ok-1\nfail-2\nok-3\n".data(using: .utf8)!)
        try input.fileHandleForWriting.close()
        produce.waitUntilExit()
        #expect(produce.terminationStatus == 0)

        let log = "\(server.dataDirectory)/exec.log"
        let consume = Process()
        consume.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        consume.arguments = [
            "consume", "jobs", "--group", "runners", "--socket", server.socketPath, "--from-beginning",
            "--max-messages", "3", "--retries", "1",
            "--exec", "v=$(cat); echo \"$SLUICE_OFFSET $v\" >> \(log); case $v in fail*) exit 3;; esac",
        ]
        consume.standardError = FileHandle.nullDevice
        try consume.run()
        consume.waitUntilExit()
        #expect(consume.terminationStatus == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["0 ok-1", "1 fail-2", "1 fail-2", "2 ok-3"])
        admin.send(
            .fetch(
                FetchRequest(
                    maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
                    topics: [
                        .init(
                            name: "jobs.dlq", partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: 1 << 20)])
                    ])), correlationID: 2)
        guard case .fetch(let fetch) = try #require(admin.readResponse()).response(to: .fetch) else {
            throw SluiceError(.unknown, "bad response")
        }
        #expect(
            fetch.topics[0].partitions[0].records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["fail-2"])
    }
}
