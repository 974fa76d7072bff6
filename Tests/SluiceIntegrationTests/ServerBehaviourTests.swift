import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// Long polling, idle CPU, the socket file and shutdown, against the real server process.
@Suite(.serialized) struct ServerBehaviourTests {
    func produce(_ connection: RawConnection, topic: String, partition: Int32 = 0, values: [String], id: Int32) throws
        -> ProduceResponse
    {
        let records = values.map { ProducerRecord(value: Array($0.utf8)) }
        connection.send(
            .produce(
                ProduceRequest(
                    timeoutMs: 5000,
                    topics: [
                        .init(name: topic, partitions: [.init(partition: partition, records: records)])
                    ])), correlationID: id)
        let frame = try #require(connection.readResponse())
        guard case .produce(let response) = try frame.response(to: .produce) else {
            throw SluiceError(.unknown, "bad response")
        }
        return response
    }

    func createTopic(_ connection: RawConnection, _ name: String, partitions: Int32 = 1) throws {
        connection.send(
            .createTopic(CreateTopicRequest(name: name, partitions: partitions, configs: [])), correlationID: 1)
        let frame = try #require(connection.readResponse())
        #expect(frame.error == nil)
    }

    @Test func waitingFetchIsAnsweredPromptlyAfterAProduceAndNotBefore() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let admin = try RawConnection(path: server.socketPath)
        try createTopic(admin, "poll")
        let consumer = try RawConnection(path: server.socketPath, timeoutSeconds: 10)
        consumer.send(
            .fetch(
                FetchRequest(
                    maxWaitMs: 8000, minBytes: 1, maxBytes: 1 << 20,
                    topics: [
                        .init(name: "poll", partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: 1 << 20)])
                    ])), correlationID: 42)
        // Nothing for 300 ms: the fetch must still be waiting.
        var ready = pollfd(fd: consumer.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 300) == 0, "a fetch with no data was answered early")
        let start = DispatchTime.now()
        _ = try produce(admin, topic: "poll", values: ["wake up"], id: 2)
        let frame = try #require(consumer.readResponse())
        let elapsedMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        guard case .fetch(let fetch) = try frame.response(to: .fetch) else {
            throw SluiceError(.unknown, "bad response")
        }
        #expect(
            fetch.topics[0].partitions[0].records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["wake up"]
        )
        // The produce round trip (with its fsync) is included; the fetch itself follows the commit at once.
        #expect(elapsedMs < 100, "fetch answered \(elapsedMs) ms after the produce was sent")
    }

    @Test func fetchWithNoDataReturnsEmptyAtMaxWait() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try createTopic(connection, "quiet")
        let start = DispatchTime.now()
        connection.send(
            .fetch(
                FetchRequest(
                    maxWaitMs: 200, minBytes: 1, maxBytes: 1 << 20,
                    topics: [
                        .init(name: "quiet", partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: 1 << 20)])
                    ])), correlationID: 3)
        let frame = try #require(connection.readResponse())
        let elapsedMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        guard case .fetch(let fetch) = try frame.response(to: .fetch) else {
            throw SluiceError(.unknown, "bad response")
        }
        #expect(fetch.topics[0].partitions[0].records.isEmpty)
        #expect(fetch.topics[0].partitions[0].highWatermark == 0)
        #expect(elapsedMs >= 190 && elapsedMs < 1000)
    }

    @Test func idleServerUsesNoCPU() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        for name in ["a", "b", "c"] { try createTopic(connection, name, partitions: 3) }
        _ = try produce(connection, topic: "a", values: ["one", "two"], id: 2)
        try await Task.sleep(for: .milliseconds(500))
        let before = server.cpuTicks()
        try await Task.sleep(for: .seconds(3))
        let after = server.cpuTicks()
        #expect(before >= 0)
        // Clock ticks are 10 ms: allow one tick of accounting noise over 3 s.
        #expect(after - before <= 1, "idle server used \(after - before) ticks of CPU in 3 s")
    }

    @Test func staleSocketIsReplacedAndLiveOneIsNotStolen() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        // A second server on the same socket path (own data directory) must refuse.
        let second = try ServerProcess()
        defer { second.cleanUp() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        process.arguments = ["serve", "--data-dir", second.dataDirectory, "--socket", server.socketPath]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("another server is listening on \(server.socketPath)"))
        // Killed hard, the first server leaves its socket file behind; a restart replaces it.
        server.kill()
        #expect(FileManager.default.fileExists(atPath: server.socketPath))
        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        let attributes = try FileManager.default.attributesOfItem(atPath: restarted.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
    }

    @Test func sigtermExitsZeroAndRemovesTheSocket() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try createTopic(connection, "t")
        _ = try produce(connection, topic: "t", values: ["x"], id: 2)
        #expect(server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socketPath))
    }

    @Test func restartKeepsOffsetsAndData() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        var connection = try RawConnection(path: server.socketPath)
        try createTopic(connection, "keep", partitions: 2)
        let first = try produce(connection, topic: "keep", partition: 1, values: ["a", "b", "c"], id: 2)
        #expect(first.topics[0].partitions[0].baseOffset == 0)
        server.stop()
        let again = try ServerProcess(reusing: server.dataDirectory).start()
        defer { again.stop() }
        connection = try RawConnection(path: again.socketPath)
        let second = try produce(connection, topic: "keep", partition: 1, values: ["d"], id: 3)
        #expect(second.topics[0].partitions[0].baseOffset == 3)
        connection.send(
            .fetch(
                FetchRequest(
                    maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
                    topics: [
                        .init(name: "keep", partitions: [.init(partition: 1, offset: 1, partitionMaxBytes: 1 << 20)])
                    ])), correlationID: 4)
        guard case .fetch(let fetch) = try #require(connection.readResponse()).response(to: .fetch) else {
            throw SluiceError(.unknown, "bad response")
        }
        #expect(fetch.topics[0].partitions[0].records.map(\.offset) == [1, 2, 3])
        #expect(
            fetch.topics[0].partitions[0].records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == [
                "b", "c", "d",
            ])
    }

    @Test func serverRaisesItsSoftDescriptorLimitAndNamesTheKafkaPortItBound() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let config = try ServiceTests.writeConfig(
            server,
            """
            {"access": [{"users": ["*"], "operations": ["produce", "consume", "admin"]}]}
            """)
        try server.start(extraArguments: ["--config", config, "--kafka-listen", "127.0.0.1:0"])
        let port = try #require(server.kafkaAddress.split(separator: ":").last.flatMap { Int($0) })
        #expect(port > 0)
        #expect(!server.log.contains("does not cover the Kafka listener"), "the policy covers it")

        let limits = try String(
            contentsOfFile: "/proc/\(try #require(server.process).processIdentifier)/limits",
            encoding: .utf8)
        let openFiles = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let fields = openFiles.split(separator: " ", omittingEmptySubsequences: true)
        #expect(fields.count >= 5 && fields[3] == fields[4], "soft limit raised to the hard one: \(openFiles)")
    }
}
