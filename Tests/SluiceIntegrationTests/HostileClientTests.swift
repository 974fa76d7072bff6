import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// Findings of an adversarial pass against the native protocol, in short form: no request makes the server's memory grow by
/// more than it may, and a well-behaved client on another connection is served meanwhile.
@Suite(.serialized) struct HostileClientTests {
    /// Resident memory of a process, in kB (VmRSS from /proc/PID/status).
    static func residentKB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// A server started with `settings` written to a configuration file (JSON object members, without braces).
    static func server(settings: String = "") throws -> ServerProcess {
        let server = try ServerProcess()
        let path = "\(server.dataDirectory)/sluice.json"
        try Data("{\(settings)}".utf8).write(to: URL(fileURLWithPath: path))
        return try server.start(extraArguments: ["--config", path])
    }

    /// A well-behaved client on a fresh connection is answered promptly.
    static func assertServes(_ server: ServerProcess, topic: String) throws {
        let probe = try RawConnection(path: server.socketPath)
        let metadata = try probe.metadata([topic])
        #expect(metadata.topics.first?.error == nil)
    }

    /// Fills partitions with records of no data (empty values), `count` per partition.
    static func zeroByteRecords(_ connection: RawConnection, topic: String, partitions: Int32, count: Int) throws {
        try connection.createTopic(topic, partitions: partitions)
        for partition in 0..<partitions {
            var left = count
            while left > 0 {
                let batch = min(left, 20_000)
                let result = try connection.produce(
                    topic, partition: partition,
                    values: Array(repeating: [], count: batch))
                #expect(result.error == nil)
                left -= batch
            }
        }
    }

    static func fetchFrame(
        _ targets: [(topic: String, partitions: [Int32])], maxBytes: Int32,
        partitionMaxBytes: Int32, correlationID: Int32 = 1
    ) -> ByteBuffer {
        Request.fetch(
            FetchRequest(
                maxWaitMs: 0, minBytes: 0, maxBytes: maxBytes,
                topics: targets.map { target in
                    .init(
                        name: target.topic,
                        partitions: target.partitions.map {
                            .init(partition: $0, offset: 0, partitionMaxBytes: partitionMaxBytes)
                        })
                })
        ).frame(correlationID: correlationID)
    }

    // MARK: - Fetch

    /// Finding: a 1 KB fetch naming one partition of zero-byte records many times took the server to 1.8 GB.
    @Test func aPartitionNamedTwiceInOneFetchIsRefused() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try Self.zeroByteRecords(setup, topic: "zero", partitions: 1, count: 40_000)
        let before = Self.residentKB(server.pid)

        let hostile = try RawConnection(path: server.socketPath)
        let frame = Self.fetchFrame([("zero", Array(repeating: 0, count: 60))], maxBytes: .max, partitionMaxBytes: .max)
        #expect(frame.readableBytes < 1100)
        hostile.send(frame)
        let response = try #require(hostile.readResponse())
        #expect(response.error?.code == .invalidArgument)
        #expect(response.error?.message.contains("zero[0] more than once") == true)
        try Self.assertServes(server, topic: "zero")
        let after = Self.residentKB(server.pid)
        print("repeated partition: RSS \(before / 1024) MB before, \(after / 1024) MB after")
        #expect(after - before < 64 * 1024, "resident memory grew by \((after - before) / 1024) MB")
        // The connection goes on: the request was well formed.
        #expect(try hostile.fetch("zero").records.count > 0)
    }

    /// The same rule for every request that names partitions: the answer would hold a partition twice.
    @Test func aPartitionNamedTwiceInAnyRequestIsRefused() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("twice", partitions: 2)
        let record = ProducerRecord(key: nil, value: [1])
        let requests: [(String, Request)] = [
            (
                "produce",
                .produce(
                    ProduceRequest(
                        timeoutMs: 10_000,
                        topics: [
                            .init(name: "twice", partitions: [.init(partition: 1, records: [record])]),
                            .init(name: "twice", partitions: [.init(partition: 1, records: [record])]),
                        ]))
            ),
            (
                "list_offsets",
                .listOffsets(
                    ListOffsetsRequest(
                        topics: [
                            .init(
                                name: "twice",
                                partitions: Array(repeating: .init(partition: 0, spec: .latest), count: 2))
                        ]))
            ),
            (
                "commit_offsets",
                .commitOffsets(
                    CommitOffsetsRequest(
                        group: "g",
                        topics: [
                            .init(name: "twice", partitions: Array(repeating: .init(partition: 0, offset: 0), count: 2))
                        ]))
            ),
            (
                "fetch_offsets",
                .fetchOffsets(FetchOffsetsRequest(group: "g", topics: [.init(name: "twice", partitions: [0, 0])]))
            ),
        ]
        for (name, request) in requests {
            do {
                _ = try connection.call(request)
                Issue.record("\(name) naming a partition twice was answered")
            } catch let error as SluiceError {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("\(name) names twice[") && error.message.contains("more than once"))
            }
        }
        // Nothing was appended, and the connection goes on.
        #expect(try connection.fetch("twice", partition: 1).records.isEmpty)
    }

    /// Finding: zero-byte records never used up a fetch's byte budget, so each partition returned `maxBytes / 32`
    /// records whatever the others had returned.
    @Test func zeroByteRecordsUseUpTheFetchBudget() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try Self.zeroByteRecords(setup, topic: "zero", partitions: 4, count: 12_000)

        let maxBytes: Int32 = 256 << 10
        let connection = try RawConnection(path: server.socketPath)
        connection.send(Self.fetchFrame([("zero", [0, 1, 2, 3])], maxBytes: maxBytes, partitionMaxBytes: .max))
        let body = try #require(connection.readFrame())
        guard case .fetch(let fetch) = try ResponseFrame.decode(from: body).response(to: .fetch) else {
            Issue.record("not a fetch response")
            return
        }
        let counts = fetch.topics[0].partitions.map(\.records.count)
        print("zero-byte records: \(counts) records in \(body.readableBytes) bytes for maxBytes \(maxBytes)")
        // Each record counts 32 bytes: 8,192 records in all (before: 8,192 from each partition, 4 x as many).
        #expect(counts.reduce(0, +) == Int(maxBytes) / 32)
        #expect(counts[0] == 8_192)
        #expect(body.readableBytes < Int(maxBytes))
    }

    /// Finding: the answer was built in full before the response cap was checked, and a large enough one overflowed
    /// the frame's length. Now the records stop at the cap while the answer is built: many partitions each asked for
    /// more than the cap get a capped answer that holds records, not `frame_too_large`.
    @Test func aFetchAnswerStopsAtTheResponseLimit() throws {
        let limit = 1 << 20
        let server = try Self.server(settings: "\"max_response_bytes\": \(limit)")
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("wide", partitions: 16)
        let value = [UInt8](repeating: 0x61, count: 100)
        for partition in Int32(0)..<16 {
            _ = try setup.produce("wide", partition: partition, values: Array(repeating: value, count: 2_000))
        }
        let connection = try RawConnection(path: server.socketPath)
        connection.send(Self.fetchFrame([("wide", Array(0..<16))], maxBytes: .max, partitionMaxBytes: .max))
        let body = try #require(connection.readFrame())
        let frame = try ResponseFrame.decode(from: body)
        #expect(frame.error == nil, "\(String(describing: frame.error))")
        guard case .fetch(let fetch) = try frame.response(to: .fetch) else {
            Issue.record("not a fetch response")
            return
        }
        let records = fetch.topics[0].partitions.reduce(0) { $0 + $1.records.count }
        print("capped fetch: \(records) records in \(body.readableBytes) bytes, limit \(limit)")
        #expect(body.readableBytes <= limit)
        // 128 wire bytes a record: the limit holds about 8,000 of the 32,000 stored, less the entries' room.
        #expect(records > 7_000)
        // Each partition goes on where the last stopped: the first ones are full, the last get nothing.
        #expect(fetch.topics[0].partitions.first?.records.count == 2_000)
        #expect(fetch.topics[0].partitions.last?.records.count == 0)
        try Self.assertServes(server, topic: "wide")
    }

    /// A record larger than every limit still goes alone, as the response's first record.
    @Test func aRecordLargerThanTheLimitsIsStillFetchedAlone() throws {
        let server = try Self.server(settings: "\"max_response_bytes\": 65536")
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("big", partitions: 2)
        _ = try setup.produce("big", partition: 0, values: [[UInt8](repeating: 1, count: 60_000), [2]])
        _ = try setup.produce("big", partition: 1, values: [[3]])
        let connection = try RawConnection(path: server.socketPath)
        connection.send(Self.fetchFrame([("big", [0, 1])], maxBytes: 100, partitionMaxBytes: 100))
        let frame = try #require(connection.readResponse())
        guard case .fetch(let fetch) = try frame.response(to: .fetch) else {
            Issue.record("not a fetch response")
            return
        }
        #expect(fetch.topics[0].partitions.map(\.records.count) == [1, 0])
        #expect(fetch.topics[0].partitions[0].records.first?.value?.count == 60_000)
    }

    // MARK: - Buffered request bytes

    /// Peak resident memory of a process, in kB (VmHWM).
    static func peakKB(_ pid: Int32) -> Int { NeverReadingClientTests.peakKB(pid) }

    /// A connection whose sends give up after `seconds` once the server stops reading it.
    static func connection(_ server: ServerProcess, sendTimeout seconds: Int) throws -> RawConnection {
        let connection = try RawConnection(path: server.socketPath)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(connection.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return connection
    }

    /// Sends as much of `bytes` as the server takes before a send times out; returns how much.
    static func sendUntilStalled(_ connection: RawConnection, _ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(connection.fd, $0.baseAddress, min($0.count, 1 << 20), Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { break }
            offset += n
        }
        return offset
    }

    /// Finding: unfinished frames were buffered in full with no time limit. Now a frame that does not arrive whole
    /// in time closes its connection with a warning; an idle connection is left alone.
    @Test func aStalledFrameIsClosedAfterTheTimeout() throws {
        let server = try Self.server(settings: "\"partial_frame_timeout_ms\": 500")
        defer { server.cleanUp() }
        let idle = try RawConnection(path: server.socketPath)
        let stalled = try RawConnection(path: server.socketPath)
        stalled.send([0, 0, 0x10, 0, 0, 7, 0, 0, 0, 1])  // claims 4 KiB, sends 6 bytes of it
        let start = Date()
        let response = try #require(stalled.readResponse())
        let waited = Date().timeIntervalSince(start)
        #expect(response.correlationID == -1)
        #expect(response.error?.code == .timeout)
        #expect(stalled.isClosedByPeer())
        #expect(waited >= 0.4 && waited < 3, "closed after \(waited) s")
        #expect(server.log.contains("did not arrive in time"))
        // Idle past the limit, the other connection is served: nothing times out between frames.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try idle.metadata([]).topics.isEmpty)
    }

    /// Finding: unfinished 100 MiB frames were buffered in full with no total cap. Here 8 connections each begin a
    /// 16 MiB frame and never finish it: the server stops reading them once they hold its budget (32 MiB), and a
    /// well-behaved client is still served.
    @Test func unfinishedFramesStayWithinTheBudget() throws {
        let budget = 32 << 20
        let server = try Self.server(settings: "\"max_buffered_bytes\": \(budget)")
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("t")
        let before = Self.peakKB(server.pid)
        let length = 16 << 20
        let frame =
            [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            + [UInt8](repeating: 0, count: length - 1)
        var hostile: [RawConnection] = []
        var sent = 0
        for _ in 0..<8 {
            let connection = try Self.connection(server, sendTimeout: 1)
            sent += Self.sendUntilStalled(connection, frame)
            hostile.append(connection)
        }
        #expect(try setup.produce("t", strings: ["still served"]).error == nil)
        let after = Self.peakKB(server.pid)
        print(
            "unfinished frames: \(sent >> 20) MiB sent on 8 connections; peak RSS \(before / 1024) MB before, "
                + "\(after / 1024) MB after")
        #expect(after - before < 96 * 1024, "peak RSS grew by \((after - before) / 1024) MB")
        #expect(sent < 8 * length, "the server took every unfinished frame whole")
    }

    /// Finding: produce requests in flight were counted but not sized (100 x 16 MiB pipelined reached 1.2 GB). Here
    /// 40 produces of 4 MiB are sent back to back on one connection with a 16 MiB share: all are stored, and the
    /// server's memory grows by far less than the 160 MiB sent.
    @Test func pipelinedLargeProducesStayWithinTheBudget() throws {
        let server = try Self.server(settings: "\"max_buffered_bytes_per_connection\": \(16 << 20)")
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("big", configs: [ConfigEntry(key: "durability", value: "normal")])
        let value = [UInt8](repeating: 0x61, count: 64 << 10)
        let request = Request.produce(
            ProduceRequest(
                timeoutMs: 60_000,
                topics: [
                    .init(
                        name: "big",
                        partitions: [
                            .init(
                                partition: 0,
                                records: Array(
                                    repeating: ProducerRecord(value: value),
                                    count: 64))
                        ])
                ]))
        let frame = Array(request.frame(correlationID: 5).readableBytesView)
        let before = Self.peakKB(server.pid)
        let producer = try RawConnection(path: server.socketPath, timeoutSeconds: 60)
        let count = 40
        let sender = Thread { for _ in 0..<count { producer.send(frame) } }
        sender.start()
        var acknowledged = 0
        for _ in 0..<count {
            guard let response = producer.readResponse() else { break }
            if case .produce(let produce) = try response.response(to: .produce),
                produce.topics.first?.partitions.first?.error == nil
            {
                acknowledged += 1
            }
        }
        let after = Self.peakKB(server.pid)
        print(
            "pipelined produces: \(acknowledged) x \(frame.count >> 20) MiB acknowledged; peak RSS "
                + "\(before / 1024) MB before, \(after / 1024) MB after")
        #expect(acknowledged == count)
        #expect(after - before < 96 * 1024, "peak RSS grew by \((after - before) / 1024) MB")
        #expect(try setup.fetch("big", from: Int64(count * 64 - 1)).records.count == 1)
    }

    // MARK: - Metadata, offsets, groups

    /// Finding: an 11 MiB ListOffsets cost 5 s of CPU. Now a request naming more than 10,000 partitions is refused
    /// before any is looked up, and one of 10,000 is cheap.
    @Test func listOffsetsIsBoundedInWhatItCosts() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("t")
        let ticks = server.cpuTicks()
        let tooMany = Request.listOffsets(
            ListOffsetsRequest(topics: [
                .init(name: "t", partitions: (0..<60_000).map { .init(partition: $0, spec: .latest) })
            ]))
        #expect(tooMany.frame(correlationID: 1).readableBytes < 1 << 20)
        #expect {
            _ = try connection.call(tooMany)
        } throws: { error in
            (error as? SluiceError)?.code == .invalidArgument
                && (error as? SluiceError)?.message.contains("at most 10000 per request") == true
        }
        let most = Request.listOffsets(
            ListOffsetsRequest(topics: [
                .init(name: "t", partitions: (0..<10_000).map { .init(partition: $0, spec: .earliest) })
            ]))
        guard case .listOffsets(let answer) = try connection.call(most) else {
            Issue.record("not a list_offsets response")
            return
        }
        #expect(answer.topics[0].partitions.count == 10_000)
        let used = server.cpuTicks() - ticks
        print("list offsets: 60,000 refused and 10,000 answered in \(used * 10) ms of server CPU")
        #expect(used < 200, "\(used) ticks")
        #expect {
            _ = try connection.metadata(Array(repeating: "t", count: 10_001))
        } throws: { error in (error as? SluiceError)?.code == .invalidArgument }
    }

    /// Finding: 560 commits with 32 KB group ids made `groups list` fail for good. Group ids are now at most 255
    /// bytes where groups are made (join, commit, reset), and the list is cut to the response limit rather than
    /// refused: here 40 groups of 255-byte ids answer within a 4 KiB limit.
    @Test func groupsListSurvivesLongGroupIDs() throws {
        let server = try Self.server(settings: "\"max_response_bytes\": 4096")
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("t")
        #expect {
            _ = try connection.commit(group: String(repeating: "g", count: 256), "t", offsets: [0: 0])
        } throws: { error in
            (error as? SluiceError)?.code == .invalidArgument
                && (error as? SluiceError)?.message.contains("at most 255") == true
        }
        #expect {
            _ = try connection.call(
                .commitOffsets(
                    CommitOffsetsRequest(
                        group: "m",
                        topics: [
                            .init(
                                name: "t",
                                partitions: [
                                    .init(partition: 0, offset: 0, metadata: String(repeating: "x", count: 4097))
                                ])
                        ])))
        } throws: { error in (error as? SluiceError)?.code == .invalidArgument }
        for index in 0..<40 {
            let name = String(format: "%03d", index) + String(repeating: "g", count: 252)
            #expect(try connection.commit(group: name, "t", offsets: [0: 0]).topics[0].partitions[0].error == nil)
        }
        guard case .listGroups(let list) = try connection.call(.listGroups(ListGroupsRequest())) else {
            Issue.record("not a list_groups response")
            return
        }
        print("groups list: \(list.groups.count) of 40 groups with 255-byte ids within 4 KiB")
        #expect(list.groups.count > 10 && list.groups.count < 40)
        #expect(list.groups.first?.name.hasPrefix("000") == true)
    }
}

/// The producing test sends from one thread and reads on another; the descriptor is all they share.
extension RawConnection: @unchecked Sendable {}
