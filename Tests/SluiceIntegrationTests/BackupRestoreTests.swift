import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

/// `sluice backup` against a real server under load, `sluice restore`, and the restored directory served again.
@Suite(.serialized) struct BackupRestoreTests {
    /// A count several tasks share.
    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
        func add(_ amount: Int) { count.add(amount, ordering: .relaxed) }
    }

    static func sluice(_ arguments: String...) async -> ProcessRun.Outcome {
        await ProcessRun.run([ServerProcess.binary] + arguments)
    }

    /// Every record of a partition below `next`, read through the native protocol.
    static func records(_ client: SluiceClient, topic: String, partition: Int32, below next: Int64) async throws
        -> [Record]
    {
        var result: [Record] = []
        var offset: Int64 = 0
        while offset < next {
            let answer = try await client.fetch(
                FetchRequest(
                    maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
                    topics: [
                        .init(
                            name: topic,
                            partitions: [.init(partition: partition, offset: offset, partitionMaxBytes: 1 << 20)])
                    ])
            ).topics[0].partitions[0]
            if let error = answer.error { throw error }
            let kept = answer.records.filter { $0.offset < next }
            guard let last = kept.last else { break }
            result += kept
            offset = last.offset + 1
        }
        return result
    }

    static func value(_ topic: String, _ index: Int) -> ProducerRecord {
        ProducerRecord(
            key: Array("k\(index % 13)".utf8),
            value: Array("\(topic)-\(index)-".utf8) + Array(repeating: 0x61, count: 150),
            headers: [Header(name: "i", value: Array("\(index)".utf8))])
    }

    /// Producers on two topics and a consumer group committing keep running while `sluice backup` runs; the
    /// backup, restored with `sluice restore` and served by a second server, holds every record the manifest
    /// counts, identical offset by offset to the original's, and the group's committed offsets, none past them.
    @Test func aBackupTakenUnderLoadIsRestoredAndServedRecordForRecord() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("orders", partitions: 3)
        try await client.createTopic("events", partitions: 1)
        let preload = try await client.makeProducer()
        for index in 0..<6_000 {
            preload.send(
                Self.value(index % 2 == 0 ? "orders" : "events", index), topic: index % 2 == 0 ? "orders" : "events"
            ) { _ in }
        }
        await preload.flush()
        await preload.close()

        let acknowledged = Counter()
        let stop = Counter()
        let producing = Task {
            let producer = try await client.makeProducer()
            var index = 6_000
            while stop.value == 0 {
                let topic = index % 2 == 0 ? "orders" : "events"
                _ = try await producer.send(Self.value(topic, index), topic: topic)
                acknowledged.add(1)
                index += 1
            }
            await producer.close()
        }
        var configuration = ConsumerConfiguration(group: "billing", autoOffsetReset: .earliest)
        configuration.autoCommitIntervalMs = 100
        let consumer = try await client.makeConsumer(configuration)
        try await consumer.subscribe(["orders"])
        let consumed = Counter()
        let consuming = Task {
            while stop.value == 0 {
                consumed.add(try await consumer.poll(maxWaitMs: 50).count)
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while try await client.committedOffsets(group: "billing").isEmpty && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let backupDir = "\(server.dataDirectory)-backup"
        defer { try? FileManager.default.removeItem(atPath: backupDir) }
        let ackedBefore = acknowledged.value
        let consumedBefore = consumed.value
        let backup = await Self.sluice("backup", backupDir, "--socket", server.socketPath, "--json")
        #expect(backup.status == 0, "\(backup.stderr)")
        // Keep the load on a moment longer, so the backup's window lies inside it.
        try await Task.sleep(for: .milliseconds(200))
        #expect(acknowledged.value > ackedBefore, "produces were answered while the backup ran")
        #expect(consumed.value > consumedBefore || consumedBefore > 0)
        stop.add(1)
        try await producing.value
        try await consuming.value
        await consumer.close()
        #expect((backup.json["topics"] as? [[String: Any]])?.map { $0["name"] as? String } == ["events", "orders"])

        let manifestData = try Data(contentsOf: URL(fileURLWithPath: "\(backupDir)/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        let topics = try #require(manifest["topics"] as? [[String: Any]])

        let restoredDir = "\(server.dataDirectory)-restored"
        let restore = await Self.sluice("restore", backupDir, "--data-dir", restoredDir)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("restored 2 topics"), "\(restore.stdout)")
        let restored = try ServerProcess(reusing: restoredDir).start()
        defer { restored.cleanUp() }
        let restoredClient = try await SluiceClient.connect(socketPath: restored.socketPath)

        var total = 0
        for topic in topics {
            let name = try #require(topic["name"] as? String)
            let metadata = try await restoredClient.metadata([name])[0].partitions
            for partition in try #require(topic["partitions"] as? [[String: Any]]) {
                let number = Int32(try #require(partition["partition"] as? Int))
                let next = Int64(try #require(partition["next_offset"] as? Int))
                let count = try #require(partition["records"] as? Int)
                #expect(metadata[Int(number)].logStartOffset == 0 && metadata[Int(number)].nextOffset == next)
                let original = try await Self.records(client, topic: name, partition: number, below: next)
                let copy = try await Self.records(restoredClient, topic: name, partition: number, below: next)
                #expect(copy.count == count && original.count == count, "\(name)[\(number)]")
                #expect(copy == original, "\(name)[\(number)] differs from the original")
                #expect(copy.map(\.offset) == Array(0..<next), "\(name)[\(number)] offsets")
                total += copy.count
            }
        }
        #expect(total >= 6_000, "the preloaded records and what the producers added before the snapshot")
        let committed = try await restoredClient.committedOffsets(group: "billing")
        #expect(!committed.isEmpty, "the group's offsets committed before the backup are in it")
        let bounds = try await restoredClient.metadata(["orders"])[0].partitions
        for offset in committed {
            #expect(
                offset.topic == "orders" && offset.offset <= bounds[Int(offset.partition)].nextOffset,
                "committed \(offset.offset) on orders[\(offset.partition)] points past the records")
        }
        // The restored server goes on: the next record of a partition gets the next offset.
        let producer = try await restoredClient.makeProducer()
        let eventsNext = try await restoredClient.metadata(["events"])[0].partitions[0].nextOffset
        let appended = try await producer.send(
            ProducerRecord(value: Array("after".utf8)), topic: "events", partition: 0)
        #expect(appended.offset == eventsNext)
        await producer.close()
        await restoredClient.close()
        await client.close()
    }

    /// A backup with one byte changed, one missing a file and one without its manifest are refused by `sluice
    /// restore`, which names the problem, exits 1 and creates nothing; so is a target that is not empty.
    @Test func sluiceRestoreRefusesDamagedOrIncompleteBackups() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("t", partitions: 1)
        let producer = try await client.makeProducer()
        for index in 0..<500 { _ = try await producer.send(Self.value("t", index), topic: "t") }
        await producer.close()
        await client.close()
        let base = server.dataDirectory
        let backup = await Self.sluice("backup", "\(base)/backup", "--socket", server.socketPath)
        #expect(
            backup.status == 0 && backup.stdout.contains("backup written to \(base)/backup: 1 topic, 500 records"),
            "\(backup.stdout) \(backup.stderr)")
        let again = await Self.sluice("backup", "\(base)/backup", "--socket", server.socketPath)
        #expect(again.status == 1 && again.stderr.contains("\(base)/backup is not empty"), "\(again.stderr)")

        let manager = FileManager.default
        for (name, damage, words) in [
            (
                "flipped",
                { (path: String) throws in
                    let handle = try #require(FileHandle(forUpdatingAtPath: "\(path)/topics/t.db"))
                    try handle.seek(toOffset: 8191)
                    let byte = try #require(try handle.read(upToCount: 1)).first!
                    try handle.seek(toOffset: 8191)
                    try handle.write(contentsOf: Data([byte ^ 0x80]))
                    try handle.close()
                }, "the backup is damaged: \(base)/flipped/topics/t.db"
            ),
            (
                "missing", { (path: String) throws in try manager.removeItem(atPath: "\(path)/catalog.db") },
                "the backup is incomplete: \(base)/missing/catalog.db is missing"
            ),
            (
                "unfinished", { (path: String) throws in try manager.removeItem(atPath: "\(path)/manifest.json") },
                "manifest.json is missing"
            ),
        ] as [(String, (String) throws -> Void, String)] {
            try manager.copyItem(atPath: "\(base)/backup", toPath: "\(base)/\(name)")
            try damage("\(base)/\(name)")
            let outcome = await Self.sluice("restore", "\(base)/\(name)", "--data-dir", "\(base)/restored-\(name)")
            #expect(outcome.status == 1, "\(name)")
            #expect(outcome.stderr.hasPrefix("sluice restore: ") && outcome.stderr.contains(words), "\(outcome.stderr)")
            #expect(!manager.fileExists(atPath: "\(base)/restored-\(name)"), "\(name): nothing is written")
        }
        let occupied = await Self.sluice("restore", "\(base)/backup", "--data-dir", base)
        #expect(occupied.status == 1 && occupied.stderr.contains("\(base) is not empty"), "\(occupied.stderr)")
        let good = await Self.sluice("restore", "\(base)/backup", "--data-dir", "\(base)/restored")
        #expect(good.status == 0, "\(good.stderr)")
    }
}
