import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Testing

/// Share groups end to end: a real server, `sluice consume --share-group` workers as real processes, the Swift
/// `ShareConsumer`, SIGKILLs of a worker and of the server.
@Suite(.serialized) struct NativeShareGroupTests {
    static func sluice(_ server: ServerProcess, _ arguments: [String], input: String? = nil) async
        -> ProcessRun.Outcome
    {
        await ProcessRun.run([ServerProcess.binary] + arguments + ["--socket", server.socketPath], input: input)
    }

    /// Starts `sluice consume TOPIC --share-group GROUP --exec COMMAND` in the background.
    static func worker(_ server: ServerProcess, topic: String, group: String, exec: String, extra: [String] = [])
        throws -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        process.arguments =
            ["consume", topic, "--share-group", group, "--exec", exec, "--socket", server.socketPath] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 60, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    static func setUp(_ server: ServerProcess, topic: String, group: String, configs: [String]) async throws {
        let created = await sluice(server, ["topics", "create", topic, "--partitions", "1"])
        #expect(created.status == 0, "\(created.stderr)")
        let altered = await sluice(
            server,
            ["groups", "alter", group, "--config", "share.auto.offset.reset=earliest"]
                + configs.flatMap { ["--config", $0] })
        #expect(altered.status == 0, "\(altered.stderr)")
    }

    @Test func threeExecWorkersOnOnePartitionDoEachRecordOnce() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        try await Self.setUp(server, topic: "jobs", group: "workers", configs: [])
        let count = 60
        let produced = await Self.sluice(
            server, ["produce", "jobs"], input: (0..<count).map { "job-\($0)" }.joined(separator: "\n") + "\n")
        #expect(produced.status == 0, "\(produced.stderr)")

        let log = "\(server.dataDirectory)/done.log"
        // Each line: the offset, the worker (its sluice process) and the delivery count.
        let command = "cat >/dev/null; sleep 0.05; echo \"$SLUICE_OFFSET $PPID $SLUICE_DELIVERY_COUNT\" >> \(log)"
        let workers = try (0..<3).map { _ in try Self.worker(server, topic: "jobs", group: "workers", exec: command) }
        defer { workers.forEach(Self.stop) }
        let finished = await Self.eventually(90) { Self.lines(log).count >= count }
        #expect(finished, "\(Self.lines(log).count) of \(count) done")
        try? await Task.sleep(for: .milliseconds(500))
        let done = Self.lines(log).map { $0.split(separator: " ") }
        let offsets = done.map { Int($0[0])! }
        #expect(offsets.sorted() == Array(0..<count), "each record done exactly once")
        #expect(Set(done.map { $0[1] }).count >= 2, "the workers shared the partition")
        #expect(done.allSatisfy { $0[2] == "1" }, "no record needed a second delivery")

        let described = await Self.sluice(server, ["groups", "describe", "workers", "--json"])
        #expect(described.status == 0, "\(described.stderr)")
        let partitions = described.json["partitions"] as? [[String: Any]] ?? []
        #expect(described.json["type"] as? String == "share")
        #expect(partitions.first?["start_offset"] as? Int == count, "\(described.stdout)")
        #expect((described.json["members"] as? [Any])?.count == 3)
        let listed = await Self.sluice(server, ["groups", "list", "--json"])
        #expect(listed.stdout.contains("\"type\":\"share\""), "\(listed.stdout)")
    }

    @Test func aPoisonRecordEndsInTheDeadLetterTopicWithItsHeaders() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        try await Self.setUp(
            server, topic: "tasks", group: "g",
            configs: ["share.delivery.count.limit=3", "errors.deadletterqueue.topic.name=tasks.dlq"])
        let produced = await Self.sluice(server, ["produce", "tasks"], input: "ok-1\npoison\nok-2\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        let log = "\(server.dataDirectory)/runs.log"
        let command =
            "v=$(cat); echo \"$SLUICE_OFFSET $SLUICE_DELIVERY_COUNT $v\" >> \(log); [ \"$v\" != poison ]"
        let worker = try Self.worker(
            server, topic: "tasks", group: "g", exec: command, extra: ["--backoff-ms", "20", "--max-backoff-ms", "50"])
        defer { Self.stop(worker) }
        var dead = ProcessRun.Outcome(status: -1, stdout: "", stderr: "")
        let arrived = await Self.eventually(60) {
            dead = await Self.sluice(
                server,
                [
                    "consume", "tasks.dlq", "--from-beginning", "--max-messages", "1", "--timeout-ms", "500",
                    "--format", "%v|%h",
                ])
            return dead.stdout.contains("poison")
        }
        #expect(arrived, "dead letter: \(dead.stdout) \(dead.stderr); runs: \(Self.lines(log))")
        for header in [
            "sluice.dlq.topic=tasks", "sluice.dlq.partition=0", "sluice.dlq.offset=1", "sluice.dlq.delivery.count=3",
            "sluice.dlq.reason=delivery_limit",
        ] {
            #expect(dead.stdout.contains(header), "\(header) in \(dead.stdout)")
        }
        let poisonRuns = Self.lines(log).filter { $0.hasSuffix(" poison") }.map { $0.split(separator: " ")[1] }
        #expect(poisonRuns == ["1", "2", "3"], "delivered three times, counted: \(poisonRuns)")
        let okRuns = Self.lines(log).filter { $0.contains(" ok-") }
        #expect(okRuns.count == 2, "\(okRuns)")
        let described = await Self.sluice(server, ["groups", "describe", "g", "--json"])
        let partition = (described.json["partitions"] as? [[String: Any]])?.first
        #expect(partition?["dead_lettered"] as? Int == 1, "\(described.stdout)")
    }

    @Test func aKilledWorkersRecordComesBackAfterItsLockWithItsCountRaised() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        try await Self.setUp(server, topic: "slow", group: "g", configs: ["share.record.lock.duration.ms=4000"])
        _ = await Self.sluice(server, ["produce", "slow"], input: "only\n")
        let started = "\(server.dataDirectory)/started"
        let worker = try Self.worker(
            server, topic: "slow", group: "g", exec: "cat >/dev/null; echo $SLUICE_OFFSET > \(started); sleep 5")
        let holding = await Self.eventually(30) { FileManager.default.fileExists(atPath: started) }
        #expect(holding)
        // The record was acquired before its command started: its 4 s lock runs from no later than now.
        let acquiredBy = Date()
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()

        let consumer = try await ShareConsumer.connect(socketPath: server.socketPath, group: "g", topics: ["slow"])
        var records: [ShareRecord] = []
        _ = await Self.eventually(30) {
            records = (try? await consumer.poll(maxWaitMs: 500)) ?? []
            return !records.isEmpty
        }
        #expect(records.map(\.offset) == [0])
        #expect(records.first?.deliveryCount == 2, "the killed worker's delivery counts")
        let after = Date().timeIntervalSince(acquiredBy)
        #expect(after > 2.0, "back \(after) s after its acquisition: not before the lock ran out")
        for record in records { await consumer.acknowledge(record) }
        #expect(try await consumer.commit().isEmpty)
        await consumer.close()
    }

    @Test func aServerKilledMidRunLosesNoAcquisitionAndRedeliversNoAcceptedRecord() async throws {
        let first = try ServerProcess().start()
        defer { first.cleanUp() }
        try await Self.setUp(first, topic: "work", group: "g", configs: ["share.record.lock.duration.ms=3000"])
        let count = 100
        _ = await Self.sluice(first, ["produce", "work"], input: (0..<count).map { "r\($0)" }.joined(separator: "\n"))

        let consumer = try await ShareConsumer.connect(
            socketPath: first.socketPath, group: "g", topics: ["work"],
            configuration: ShareConsumerConfiguration(maxRecords: 10))
        var accepted: Set<Int64> = []
        var held: Set<Int64> = []
        while accepted.count < 40 {
            let records = try await consumer.poll(maxWaitMs: 1000)
            for record in records where accepted.count + held.count < 40 + 5 {
                if accepted.count < 40 {
                    await consumer.acknowledge(record)
                    accepted.insert(record.offset)
                } else {
                    held.insert(record.offset)
                }
            }
            #expect(try await consumer.commit().isEmpty)
        }
        // A few more acquired and never acknowledged.
        held.formUnion(try await consumer.poll(maxWaitMs: 1000).map(\.offset))
        first.kill()

        let second = try ServerProcess(reusing: first.dataDirectory).start()
        defer { second.kill() }
        let again = try await ShareConsumer.connect(socketPath: second.socketPath, group: "g", topics: ["work"])
        var seen: [Int64: Int16] = [:]
        _ = await Self.eventually(60) {
            for record in (try? await again.poll(maxWaitMs: 500)) ?? [] {
                #expect(seen[record.offset] == nil, "offset \(record.offset) delivered twice")
                seen[record.offset] = record.deliveryCount
                await again.acknowledge(record)
            }
            _ = try? await again.commit()
            return seen.count + accepted.count >= count
        }
        #expect(accepted.isDisjoint(with: seen.keys), "accepted records came back")
        #expect(Set(seen.keys).union(accepted) == Set((0..<Int64(count))), "every record delivered")
        for offset in held {
            #expect((seen[offset] ?? 0) >= 2, "acquired offset \(offset) came back with its count kept")
        }
        await again.close()
    }

    @Test func aDelayedRecordIsNotDeliveredEarly() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        try await Self.setUp(server, topic: "later", group: "g", configs: [])
        let due = Int64(Date().timeIntervalSince1970 * 1000) + 3000
        let produced = await Self.sluice(
            server, ["produce", "later", "--header", "sluice.deliver.after.ms=\(due)"], input: "soon\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumer = try await ShareConsumer.connect(socketPath: server.socketPath, group: "g", topics: ["later"])
        var records: [ShareRecord] = []
        _ = await Self.eventually(30) {
            records = (try? await consumer.poll(maxWaitMs: 500)) ?? []
            return !records.isEmpty
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(records.count == 1)
        #expect(now >= due, "delivered \(due - now) ms early")
        await consumer.close()
    }

    @Test func badAcknowledgementsGetClearErrorsAndChangeNothing() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        try await Self.setUp(server, topic: "t", group: "g", configs: [])
        _ = await Self.sluice(server, ["produce", "t"], input: "a\nb\n")
        let holder = try await ShareConsumer.connect(
            socketPath: server.socketPath, group: "g", topics: ["t"],
            configuration: ShareConsumerConfiguration(maxRecords: 1))
        let other = try await ShareConsumer.connect(socketPath: server.socketPath, group: "g", topics: ["t"])
        var held: [ShareRecord] = []
        _ = await Self.eventually(30) {
            held = (try? await holder.poll(maxWaitMs: 500)) ?? []
            return !held.isEmpty
        }
        let record = try #require(held.first)
        // Another member's record.
        await other.acknowledge(record, .accept)
        let refused = try await other.commit()
        #expect(refused[record.topicPartition]?.code == .invalidArgument, "\(refused)")
        #expect(refused[record.topicPartition]?.message.contains("another member") == true, "\(refused)")
        // Offsets never delivered.
        var far = record
        far.record.offset = 999
        await holder.acknowledge(far, .accept)
        let outside = try await holder.commit()
        #expect(outside[record.topicPartition]?.code == .invalidArgument, "\(outside)")
        // A member id the group never gave.
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        do {
            _ = try await client.send(
                .shareAcknowledge(
                    ShareAcknowledgeRequest(
                        group: "g", memberID: "nobody-0",
                        acknowledgements: [
                            .init(
                                name: "t",
                                partitions: [
                                    .init(partition: 0, batches: [.init(firstOffset: 0, lastOffset: 0, kind: .accept)])
                                ])
                        ])))
            Issue.record("a stale member's acknowledgement was accepted")
        } catch {
            #expect(error.code == .unknownMember, "\(error)")
        }
        await client.close()
        // Nothing changed: the holder still holds its record and accepts it.
        await holder.acknowledge(record, .accept)
        #expect(try await holder.commit().isEmpty)
        let described = await Self.sluice(server, ["groups", "describe", "g", "--json"])
        let partition = (described.json["partitions"] as? [[String: Any]])?.first
        #expect(partition?["acquired"] as? Int == 0, "\(described.stdout)")
        #expect(partition?["archived"] as? Int == 0, "\(described.stdout)")
        await holder.close()
        await other.close()
    }
}
