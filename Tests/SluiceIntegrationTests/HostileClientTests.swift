import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// Issue 18's findings against the native protocol, in short form: no request makes the server's memory grow by
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
                let result = try connection.produce(topic, partition: partition,
                                                    values: Array(repeating: [], count: batch))
                #expect(result.error == nil)
                left -= batch
            }
        }
    }

    static func fetchFrame(_ targets: [(topic: String, partitions: [Int32])], maxBytes: Int32,
                           partitionMaxBytes: Int32, correlationID: Int32 = 1) -> ByteBuffer
    {
        Request.fetch(FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: maxBytes, topics: targets.map { target in
            .init(name: target.topic, partitions: target.partitions.map {
                .init(partition: $0, offset: 0, partitionMaxBytes: partitionMaxBytes)
            })
        })).frame(correlationID: correlationID)
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
}
