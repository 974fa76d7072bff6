import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// Hostile requests against the Kafka listener, in short form where the original needed gigabytes: no request of
/// 1 MB or less makes the server's resident memory grow by more than 64 MB, and a well-behaved client on another
/// connection is served meanwhile.
@Suite(.serialized) struct KafkaHostileClientTests {
    static let growthLimitKB = 64 * 1024

    /// A server with a Kafka listener and `settings` in its configuration file (JSON members, without braces).
    static func server(settings: String = "") throws -> ServerProcess {
        let server = try ServerProcess()
        let path = "\(server.dataDirectory)/sluice.json"
        try Data("{\(settings)}".utf8).write(to: URL(fileURLWithPath: path))
        return try server.start(extraArguments: ["--config", path, "--kafka-listen", "127.0.0.1:0"])
    }

    /// A native client and a Kafka client are both answered promptly.
    static func assertServes(_ server: ServerProcess, topic: String) throws {
        let native = try RawConnection(path: server.socketPath)
        #expect(try native.metadata([topic]).topics.first?.error == nil)
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        var body = KafkaWire()
        body.array([topic]) { $0.string($1) }
        kafka.send(apiKey: 3, version: 1, correlationID: 9, body: body)
        let answer = try #require(kafka.readFrame(), "a Kafka Metadata request on a fresh connection is answered")
        #expect(KafkaReader(answer).bytes.count > 4)
    }

    static func residentKB(_ server: ServerProcess) -> Int { HostileClientTests.residentKB(server.pid) }

    /// The server's peak resident memory since `resetPeak` (VmHWM), in kB.
    static func peakKB(_ server: ServerProcess) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// Starts the peak over from the current resident memory (`echo 5 > /proc/PID/clear_refs`).
    static func resetPeak(_ server: ServerProcess) {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/\(server.pid)/clear_refs"))
    }

    /// Resets the peak and returns the resident memory to measure growth from.
    static func baseline(_ server: ServerProcess) -> Int {
        resetPeak(server)
        return residentKB(server)
    }

    /// Checks that neither the resident memory now nor its peak since `baseline` is 64 MB over `before`.
    static func expectBounded(_ server: ServerProcess, from before: Int, _ what: String) {
        let after = residentKB(server)
        let peak = peakKB(server)
        print("\(what): RSS \(before / 1024) MB before, \(after / 1024) MB after, peak \(peak / 1024) MB")
        #expect(after - before < growthLimitKB, "resident memory grew by \((after - before) / 1024) MB")
        #expect(peak - before < growthLimitKB, "resident memory peaked \((peak - before) / 1024) MB higher")
    }

    /// A Fetch v4 body naming `partitions` of `topic`, in order, from offset 0.
    static func fetchBody(topic: String, partitions: [Int32], maxBytes: Int32, partitionMaxBytes: Int32) -> KafkaWire {
        var body = KafkaWire()
        body.int32(-1)  // replica id
        body.int32(0)  // max wait
        body.int32(0)  // min bytes
        body.int32(maxBytes)
        body.int8(0)  // isolation level
        body.array([topic]) { wire, topic in
            wire.string(topic)
            wire.array(partitions) { wire, partition in
                wire.int32(partition)
                wire.int64(0)
                wire.int32(partitionMaxBytes)
            }
        }
        return body
    }

    /// Each partition of a Fetch v4 response: its index, error code and bytes of records.
    static func fetchPartitions(_ frame: [UInt8]) -> [(partition: Int32, error: Int16, recordBytes: Int)] {
        var reader = KafkaReader(frame)
        _ = reader.int32()  // correlation id
        _ = reader.int32()  // throttle
        var partitions: [(Int32, Int16, Int)] = []
        for _ in 0..<reader.int32() {
            _ = reader.string()
            for _ in 0..<reader.int32() {
                let index = reader.int32()
                let error = reader.int16()
                reader.skip(16)  // high watermark, last stable offset
                reader.skip(Int(reader.int32()) * 16)  // aborted transactions
                let length = Int(reader.int32())
                reader.skip(max(length, 0))
                partitions.append((index, error, length))
            }
        }
        return partitions
    }

    // MARK: - Fetch

    /// Finding: a Fetch had no response cap and could repeat partitions: a 175-byte request got a 512 MiB answer.
    @Test func aFetchIsCappedAndAPartitionNamedTwiceIsRefused() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("big", partitions: 4)
        let value = [UInt8](repeating: 0x61, count: 64 << 10)
        for partition in Int32(0)..<4 {
            #expect(
                try setup.produce("big", partition: partition, values: Array(repeating: value, count: 96)).error == nil)
        }
        let before = Self.baseline(server)

        // One partition named 60 times, as much as an int32 can ask for: one answer with records, the rest refused.
        let hostile = try RawKafkaConnection(address: server.kafkaAddress)
        let repeated = Self.fetchBody(
            topic: "big", partitions: Array(repeating: 0, count: 60), maxBytes: .max, partitionMaxBytes: .max)
        #expect(repeated.bytes.count < 1100)
        hostile.send(apiKey: 1, version: 4, body: repeated)
        let answer = try #require(hostile.readFrame())
        let partitions = Self.fetchPartitions(answer)
        #expect(partitions.count == 60)
        #expect(partitions.first?.error == 0 && (partitions.first?.recordBytes ?? 0) > 0)
        #expect(partitions.dropFirst().allSatisfy { $0.error == 42 && $0.recordBytes == 0 }, "INVALID_REQUEST")
        #expect(answer.count <= (16 << 20) + 1024, "within the server's response limit: \(answer.count) bytes")

        // Four partitions of 6 MiB each, each asked for all of it: the answer stops at the response limit.
        hostile.send(
            apiKey: 1, version: 4, correlationID: 2,
            body: Self.fetchBody(topic: "big", partitions: [0, 1, 2, 3], maxBytes: .max, partitionMaxBytes: .max))
        let capped = try #require(hostile.readFrame())
        print("kafka fetch: \(answer.count) bytes for 60 repeats, \(capped.count) bytes for 4 x 6 MiB")
        #expect(capped.count <= (16 << 20) + 1024)
        #expect(capped.count > 8 << 20, "records up to the limit are returned")

        try Self.assertServes(server, topic: "big")
        Self.expectBounded(server, from: before, "kafka fetch")
    }

    // MARK: - Produce

    /// A Produce v3 body with one gzip batch of `compressed` records for each of `partitions`.
    static func produceBody(topic: String, partitions: [Int32], compressed: [UInt8]) -> KafkaWire {
        let batch = KafkaWire.recordBatch(records: compressed, codec: 1)
        var body = KafkaWire()
        body.int16(-1)  // transactional id: null
        body.int16(1)  // acks
        body.int32(30_000)
        body.array([topic]) { wire, topic in
            wire.string(topic)
            wire.array(partitions) { wire, partition in
                wire.int32(partition)
                wire.blob(batch)
            }
        }
        return body
    }

    /// Each partition's error code in a Produce v3 response.
    static func produceErrors(_ frame: [UInt8]) -> [Int16] {
        var reader = KafkaReader(frame)
        _ = reader.int32()  // correlation id
        var errors: [Int16] = []
        for _ in 0..<reader.int32() {
            _ = reader.string()
            for _ in 0..<reader.int32() {
                _ = reader.int32()
                errors.append(reader.int16())
                reader.skip(16)  // base offset, log append time
            }
        }
        return errors
    }

    /// Finding: a compressed batch was expanded, up to 1.6 GB per partition entry, before anything was checked,
    /// even for a topic that does not exist: a 63 KB request added 3 GB. Now a whole request expands to at most
    /// its allowance (32 MiB for a small one), and nothing for a topic that does not exist.
    @Test func compressedBatchesExpandWithinOneAllowancePerRequest() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("t", partitions: 5)
        // 200 MB of zeros each, about 190 KB compressed: five entries make a request of about 1 MB.
        let bomb = try KafkaWire.compressedZeros(200_000_000)
        let body = Self.produceBody(topic: "t", partitions: [0, 1, 2, 3, 4], compressed: bomb)
        #expect(body.bytes.count < 1_000_000)
        let before = Self.baseline(server)

        let hostile = try RawKafkaConnection(address: server.kafkaAddress)
        hostile.send(apiKey: 0, version: 3, body: body)
        let answer = try #require(hostile.readFrame())
        #expect(Self.produceErrors(answer) == Array(repeating: 10, count: 5), "MESSAGE_TOO_LARGE")
        Self.expectBounded(server, from: before, "kafka produce bombs")

        // For a topic that does not exist nothing is expanded: the answer is UNKNOWN_TOPIC_OR_PARTITION.
        let unknown = Self.produceBody(topic: "nope", partitions: [0, 1, 2, 3, 4], compressed: bomb)
        let started = Date()
        hostile.send(apiKey: 0, version: 3, correlationID: 2, body: unknown)
        let refused = try #require(hostile.readFrame())
        #expect(Self.produceErrors(refused) == Array(repeating: 3, count: 5))
        print("kafka produce to an unknown topic: answered in \(Date().timeIntervalSince(started)) s")

        // A partition named twice is refused INVALID_REQUEST the second time.
        let plain = Self.produceBody(topic: "t", partitions: [0, 0], compressed: [])
        hostile.send(apiKey: 0, version: 3, correlationID: 3, body: plain)
        let twice = Self.produceErrors(try #require(hostile.readFrame()))
        #expect(twice.count == 2 && twice[1] == 42)
        try Self.assertServes(server, topic: "t")
    }

    // MARK: - Metadata and groups

    /// Finding: a Metadata request of millions of empty names amplified about 95 times.
    @Test func aMetadataRequestPastTheEntryLimitClosesTheConnection() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("t")
        let before = Self.baseline(server)

        let hostile = try RawKafkaConnection(address: server.kafkaAddress)
        var body = KafkaWire()
        body.array(Array(repeating: "", count: 500_000)) { $0.string($1) }
        #expect(body.bytes.count <= 1_000_004)
        hostile.send(apiKey: 3, version: 1, body: body)
        #expect(hostile.readFrame() == nil, "no answer: the connection is closed")

        // Repeated names are answered once each.
        let polite = try RawKafkaConnection(address: server.kafkaAddress)
        var twice = KafkaWire()
        twice.array(Array(repeating: "t", count: 5_000)) { $0.string($1) }
        polite.send(apiKey: 3, version: 1, body: twice)
        let answer = try #require(polite.readFrame())
        #expect(answer.count < 200, "one topic in the answer: \(answer.count) bytes")

        try Self.assertServes(server, topic: "t")
        Self.expectBounded(server, from: before, "kafka metadata")
    }

    /// A JoinGroup v1 body offering one protocol with `metadata`.
    static func joinBody(group: String, metadata: [UInt8]) -> KafkaWire {
        var body = KafkaWire()
        body.string(group)
        body.int32(10_000)  // session timeout
        body.int32(10_000)  // rebalance timeout
        body.string("")  // member id
        body.string("consumer")
        body.array([metadata]) { wire, metadata in
            wire.string("range")
            wire.blob(metadata)
        }
        return body
    }

    /// Finding: JoinGroup metadata of any size was kept for the session after the client disconnected: 20 joins
    /// held about 1 GB. Now a member may keep 1 MiB; more is refused INVALID_REQUEST before the group sees it.
    @Test func joinGroupMetadataIsCapped() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let hostile = try RawKafkaConnection(address: server.kafkaAddress)
        hostile.send(
            apiKey: 11, version: 1, body: Self.joinBody(group: "g", metadata: Array(repeating: 1, count: 1_048_600)))
        var reader = KafkaReader(try #require(hostile.readFrame()))
        _ = reader.int32()  // correlation id
        #expect(reader.int16() == 42, "INVALID_REQUEST")
        let native = try RawConnection(path: server.socketPath)
        #expect(try native.metadata().topics.isEmpty)
    }

    // MARK: - Connections

    /// Finding: 1,024 idle Kafka connections used up the connection limit the Unix socket shares. Now the Kafka
    /// listener has a limit of its own, and closes idle connections.
    @Test func kafkaConnectionsHaveTheirOwnLimitAndIdleOnesAreClosed() throws {
        let server = try Self.server(
            settings: "\"kafka_max_connections\": 4, \"max_connections\": 4, \"kafka_connections_max_idle_ms\": 3000")
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("t")

        var kafka: [RawKafkaConnection] = []
        for _ in 0..<4 {
            let connection = try RawKafkaConnection(address: server.kafkaAddress)
            connection.send(apiKey: 18, version: 0, body: KafkaWire())
            #expect(connection.readFrame() != nil, "ApiVersions answered")
            kafka.append(connection)
        }
        let fifth = try RawKafkaConnection(address: server.kafkaAddress)
        #expect(fifth.isClosedByServer(), "the fifth Kafka connection is closed")
        // The Unix socket still has all of its own: the one above and three more.
        let natives = try (0..<3).map { _ in try RawConnection(path: server.socketPath) }
        for native in natives { #expect(try native.metadata(["t"]).topics.first?.error == nil) }

        // A connection with a long poll in flight is not idle: its fetch (8 s, past the idle time) is answered.
        let polling = kafka[0]
        polling.send(
            apiKey: 1, version: 4, correlationID: 5,
            body: {
                var body = Self.fetchBody(topic: "t", partitions: [0], maxBytes: 1 << 20, partitionMaxBytes: 1 << 20)
                body.bytes.replaceSubrange(4..<12, with: [0, 0, 0x1F, 0x40, 0, 0, 0, 1])  // max wait 8000, min 1
                return body
            }())
        let started = Date()
        let polled = try #require(polling.readFrame(), "the long poll is answered, not cut off as idle")
        #expect(Date().timeIntervalSince(started) > 6)
        #expect(Self.fetchPartitions(polled).first?.error == 0)

        // The others, idle all along, were closed; so is the polling one once idle.
        let closedAt = Date()
        #expect(kafka[1].isClosedByServer())
        #expect(polling.isClosedByServer())
        print("idle kafka connections closed \(Date().timeIntervalSince(closedAt)) s after the long poll")
        // Room again for a new one.
        let again = try RawKafkaConnection(address: server.kafkaAddress)
        again.send(apiKey: 18, version: 0, body: KafkaWire())
        #expect(again.readFrame() != nil)
    }

    /// A Kafka frame must arrive whole within the partial-frame time limit, as on the native socket.
    @Test func aKafkaFrameThatNeverCompletesIsCutOff() throws {
        let server = try Self.server(settings: "\"partial_frame_timeout_ms\": 1000")
        defer { server.cleanUp() }
        let slow = try RawKafkaConnection(address: server.kafkaAddress)
        var prefix = KafkaWire()
        prefix.int32(1_000_000)
        slow.send(prefix.bytes + [0, 18, 0, 0])
        let started = Date()
        #expect(slow.isClosedByServer())
        let waited = Date().timeIntervalSince(started)
        #expect(waited > 0.5 && waited < 30, "closed after \(waited) s")
        #expect(server.log.contains("did not arrive in time"))
    }
}
