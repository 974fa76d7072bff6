import Foundation
import SluiceClient
import SluiceCore
import Testing

/// `sluice-mirror` beside the `sluice` the tests run: built only where librdkafka's development files were.
enum MirrorBinary {
    static var path: String {
        URL(fileURLWithPath: ServerProcess.binary).deletingLastPathComponent().appendingPathComponent("sluice-mirror")
            .path
    }

    static var built: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

/// `sluice-mirror` as a process: copying into a Kafka cluster, stood in for by a second Sluice server's Kafka
/// listener, through a SIGKILL and a restart; and its refusals.
@Suite(
    .serialized,
    .enabled(if: MirrorBinary.built, "sluice-mirror was not built: librdkafka's development files were missing"))
struct MirrorTests {
    static var mirrorBinary: String { MirrorBinary.path }

    /// A running (or finished) `sluice-mirror` with its stderr in a file.
    final class MirrorProcess: @unchecked Sendable {
        let process = Process()
        let stderrPath: String

        init(_ arguments: [String], binary: String = MirrorTests.mirrorBinary, logDirectory: String) throws {
            stderrPath = "\(logDirectory)/mirror-\(UUID().uuidString.prefix(8)).log"
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try process.run()
        }

        var log: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        /// Waits up to `seconds` for the process to exit; SIGKILLs it and returns nil if it did not.
        func wait(seconds: Double) async -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            guard !process.isRunning else {
                kill(SIGKILL)
                return nil
            }
            return process.terminationStatus
        }

        func kill(_ signal: Int32) {
            guard process.isRunning else { return }
            Foundation.kill(process.processIdentifier, signal)
            if signal == SIGKILL { process.waitUntilExit() }
        }
    }

    /// A TCP port nothing listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The record number `seq` carried in a header: its identity in source and target.
    static func sequence(_ record: Record) -> Int? {
        record.headers.first { $0.name == "seq" }?.value.flatMap { Int(String(decoding: $0, as: UTF8.self)) }
    }

    static func record(_ index: Int) -> ProducerRecord {
        var headers = [
            Header(name: "seq", value: Array("\(index)".utf8)), Header(name: "origin", value: Array("a".utf8)),
        ]
        if index % 10 == 0 { headers.append(Header(name: "empty", value: nil)) }
        let value: [UInt8]? = index % 25 == 0 ? nil : index % 37 == 0 ? [] : Array("value-\(index)".utf8)
        return ProducerRecord(
            key: Array("key-\(index % 11)".utf8), value: value, headers: headers,
            timestamp: 1_700_000_000_000 + Int64(index))
    }

    /// Every record of `topic` on the server at `socketPath`, per partition, from the log start to the end.
    static func readAll(_ socketPath: String, topic: String, partitions: Int32) async throws -> [Int32: [Record]] {
        let client = try await SluiceClient.connect(socketPath: socketPath)
        defer { Task { await client.close() } }
        let consumer = try await client.makeConsumer()
        var result: [Int32: [Record]] = [:]
        for partition in 0..<partitions {
            let tp = TopicPartition(topic: topic, partition: partition)
            let end = try await client.listOffsets(topic: topic, partition: partition, spec: .latest).offset
            await consumer.assign([tp])
            try await consumer.seek(tp, to: .beginning)
            var records: [Record] = []
            while let position = await consumer.position(tp), position < end {
                records += try await consumer.poll(maxWaitMs: 200).map(\.record)
            }
            result[partition] = records
        }
        await consumer.close()
        return result
    }

    /// The group's committed offset per partition of `topic` (absent where it committed nothing).
    static func committed(_ client: SluiceClient, group: String, topic: String) async throws -> [Int32: Int64] {
        let offsets = try await client.committedOffsets(group: group, topics: [topic])
        return Dictionary(offsets.map { ($0.partition, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    @Test
    func mirrorsAKeyedTopicWithHeadersThroughAKillAndRestart() async throws {
        let source = try ServerProcess().start()
        let target = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:\(Self.freePort())"])
        defer {
            source.cleanUp()
            target.cleanUp()
        }
        let bootstrap = target.kafkaAddress
        try #require(!bootstrap.isEmpty, "the target printed no `kafka listening on` line")
        let topic = "orders"
        let group = "mirror-test"
        let partitions: Int32 = 3
        let total = 3_000
        let sourceClient = try await SluiceClient.connect(socketPath: source.socketPath)
        let targetClient = try await SluiceClient.connect(socketPath: target.socketPath)
        try await sourceClient.createTopic(topic, partitions: partitions)
        try await targetClient.createTopic(topic, partitions: partitions)
        let arguments = [
            topic, "--socket", source.socketPath, "--bootstrap-servers", bootstrap, "--group", group,
            "--commit-interval-ms", "100",
        ]

        var mirror = try MirrorProcess(arguments, logDirectory: source.dataDirectory)
        let producing = Task {
            let producer = try await sourceClient.makeProducer()
            for batch in stride(from: 0, to: total, by: 100) {
                for index in batch..<(batch + 100) { producer.send(Self.record(index), topic: topic) { _ in } }
                await producer.flush()
                try await Task.sleep(for: .milliseconds(100))
            }
            await producer.close()
        }

        // Kill the mirror once it has made progress, while records are still being produced.
        let deadline = Date().addingTimeInterval(30)
        while try await Self.committed(sourceClient, group: group, topic: topic).values.reduce(0, +) < 300,
            Date() < deadline
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        mirror.kill(SIGKILL)
        let committedAtKill = try await Self.committed(sourceClient, group: group, topic: topic)
        #expect(!committedAtKill.isEmpty, "the mirror committed nothing before the kill: \(mirror.log)")
        mirror = try MirrorProcess(arguments, logDirectory: source.dataDirectory)
        try await producing.value

        // Lag 0: the group's committed offsets reached every partition's end.
        var caughtUp = false
        let lagDeadline = Date().addingTimeInterval(60)
        while !caughtUp, Date() < lagDeadline {
            let committed = try await Self.committed(sourceClient, group: group, topic: topic)
            caughtUp = true
            for partition in 0..<partitions {
                let end = try await sourceClient.listOffsets(topic: topic, partition: partition, spec: .latest).offset
                if committed[partition] != end { caughtUp = false }
            }
            if !caughtUp { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(caughtUp, "the group's lag did not reach 0: \(mirror.log)")
        mirror.kill(SIGTERM)
        #expect(await mirror.wait(seconds: 40) == 0, "SIGTERM: \(mirror.log)")

        let copied = try await Self.readAll(target.socketPath, topic: topic, partitions: partitions)
        let original = try await Self.readAll(source.socketPath, topic: topic, partitions: partitions)
        #expect(original.values.reduce(0) { $0 + $1.count } == total)
        for partition in 0..<partitions {
            let sourceRecords = original[partition] ?? []
            let targetRecords = copied[partition] ?? []
            // At least once and in order: the target without its repeats is the source, record for record.
            var seen: Set<Int> = []
            let firsts = targetRecords.filter { seen.insert(Self.sequence($0) ?? -1).inserted }
            #expect(firsts.count == sourceRecords.count, "partition \(partition)")
            for (mirrored, original) in zip(firsts, sourceRecords) {
                #expect(mirrored.key == original.key)
                #expect(mirrored.value == original.value)
                #expect(mirrored.headers == original.headers)
                #expect(mirrored.timestamp == original.timestamp)
            }
            // Exactly once for what was committed before the kill: those were never sent again.
            let settled = Set(
                sourceRecords.filter { $0.offset < committedAtKill[partition, default: 0] }
                    .compactMap(Self.sequence))
            var counts: [Int: Int] = [:]
            for record in targetRecords { if let seq = Self.sequence(record) { counts[seq, default: 0] += 1 } }
            #expect(settled.allSatisfy { counts[$0] == 1 }, "partition \(partition): a committed record came twice")
        }
        await sourceClient.close()
        await targetClient.close()
    }

    @Test func aSettingLibrdkafkaRefusesIsAUsageErrorAndSluiceMirrorRunsIt() async throws {
        let directory = FileManager.default.temporaryDirectory.path
        // Through `sluice mirror`, which execs sluice-mirror from its own directory with the same arguments.
        let mirror = try MirrorProcess(
            ["mirror", "orders", "--bootstrap-servers", "127.0.0.1:1", "-X", "acks=sometimes"],
            binary: ServerProcess.binary, logDirectory: directory)
        #expect(await mirror.wait(seconds: 20) == 64)
        #expect(mirror.log.contains("acks=sometimes"), "\(mirror.log)")
        try? FileManager.default.removeItem(atPath: mirror.stderrPath)
    }

    @Test func anUnknownSourceTopicStopsTheMirror() async throws {
        let source = try ServerProcess().start()
        defer { source.cleanUp() }
        let mirror = try MirrorProcess(
            ["nope", "--socket", source.socketPath, "--bootstrap-servers", "127.0.0.1:1"],
            logDirectory: source.dataDirectory)
        #expect(await mirror.wait(seconds: 20) == 1)
        #expect(mirror.log.contains("no such topic on the Sluice server: nope"), "\(mirror.log)")
    }

    @Test func anUnreachableClusterIsReportedAndExitsOne() async throws {
        let source = try ServerProcess().start()
        defer { source.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: source.socketPath)
        try await client.createTopic("orders")
        await client.close()
        let mirror = try MirrorProcess(
            [
                "orders", "--socket", source.socketPath,
                "--bootstrap-servers", "127.0.0.1:\(Self.freePort())",
            ],
            logDirectory: source.dataDirectory)
        #expect(await mirror.wait(seconds: 40) == 1)
        #expect(mirror.log.contains("cannot read the cluster's metadata"), "\(mirror.log)")
    }
}
