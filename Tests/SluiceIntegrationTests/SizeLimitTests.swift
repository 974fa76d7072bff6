import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// The size limits of `docs/PROTOCOL.md` §1 and §6.7 over a real socket: an oversized request is answered where the
/// client can read it, and a record the server accepted can always be fetched, whatever the fetch's byte limits and
/// the server's response limit.
@Suite(.serialized) struct SizeLimitTests {
    static func server(settings: String = "", extra: [String] = []) throws -> ServerProcess {
        let server = try ServerProcess()
        let path = "\(server.dataDirectory)/sluice.json"
        try Data("{\(settings)}".utf8).write(to: URL(fileURLWithPath: path))
        return try server.start(extraArguments: ["--config", path] + extra)
    }

    /// Writes all of `bytes`, as a blocking client does; returns how many the socket took before an error.
    static func sendAll(_ connection: RawConnection, _ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { break }
            offset += n
        }
        return offset
    }

    static func fetch(_ topic: String, from offset: Int64 = 0, maxBytes: Int32, partitionMaxBytes: Int32) -> Request {
        .fetch(
            FetchRequest(
                maxWaitMs: 0, minBytes: 0, maxBytes: maxBytes,
                topics: [
                    .init(
                        name: topic,
                        partitions: [.init(partition: 0, offset: offset, partitionMaxBytes: partitionMaxBytes)])
                ]))
    }

    /// A client that writes a whole 20 MiB frame (over the 16 MiB + 1 KiB limit) is not cut off mid-write: the
    /// server drops what it reads of the frame, so the write completes, and the client then reads the
    /// connection-level `frame_too_large` and end of stream.
    @Test func anOversizedRequestIsAnsweredToAClientStillWritingIt() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath, timeoutSeconds: 30)
        let length = 20 << 20
        var frame = [UInt8](repeating: 0, count: 4 + length)
        frame.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(length).bigEndian, Array.init))
        // A produce header (key 6, version 0, correlation id 1); the rest is never decoded.
        frame.replaceSubrange(4..<12, with: [0, 6, 0, 0, 0, 0, 0, 1])
        let sent = Self.sendAll(connection, frame)
        #expect(sent == frame.count, "the server stopped reading after \(sent) of \(frame.count) bytes")
        let answer = try #require(connection.readResponse())
        #expect(answer.correlationID == -1)
        #expect(answer.error?.code == .frameTooLarge)
        #expect(connection.isClosedByPeer())
        let probe = try RawConnection(path: server.socketPath)
        #expect(try probe.metadata([]).topics.isEmpty)
    }

    /// A client that declares a huge frame and then stops writing still gets the answer at once, and the server
    /// closes once `partial_frame_timeout_ms` has passed.
    @Test func anOversizedRequestThatStopsIsClosedAfterThePartialFrameTimeout() throws {
        let server = try Self.server(settings: "\"partial_frame_timeout_ms\": 1000")
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath, timeoutSeconds: 60)
        connection.send([0x40, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 1])  // claims 1 GiB
        let answer = try #require(connection.readResponse())
        #expect(answer.error?.code == .frameTooLarge)
        #expect(connection.isClosedByPeer())
        // Writing more fails once the server has closed (within the 60 s read timeout above).
        let started = ContinuousClock.now
        var refused = false
        while !refused && ContinuousClock.now - started < .seconds(60) {
            refused = Self.sendAll(connection, [UInt8](repeating: 0, count: 65_536)) < 65_536
            if !refused { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(refused, "the server still reads a refused frame after its partial frame timeout")
    }

    /// A record larger than the server's response limit (and than the fetch's `maxBytes`) is fetched alone; the
    /// record after it comes with the next fetch.
    @Test func aRecordLargerThanTheResponseLimitIsFetched() throws {
        let server = try Self.server(settings: "\"max_response_bytes\": 65536")
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("big")
        let large = [UInt8](repeating: 7, count: 200_000)
        #expect(try connection.produce("big", values: [large, [1]]).error == nil)
        let first = try connection.call(Self.fetch("big", maxBytes: 100, partitionMaxBytes: 100))
        guard case .fetch(let fetch) = first, let partition = fetch.topics.first?.partitions.first else {
            throw SluiceError(.unknown, "not a fetch answer")
        }
        #expect(partition.error == nil)
        #expect(partition.records.map(\.offset) == [0])
        #expect(partition.records.first?.value == large)
        let next = try connection.call(Self.fetch("big", from: 1, maxBytes: 100, partitionMaxBytes: 100))
        guard case .fetch(let rest) = next else { throw SluiceError(.unknown, "not a fetch answer") }
        #expect(rest.topics.first?.partitions.first?.records.map(\.value) == [[1]])
    }

    /// At the default limits, a record of the largest size a topic allows (16 MiB of data, which a request frame
    /// of 16 MiB + 1 KiB carries) is produced and fetched with `maxBytes` 1.
    @Test func aRecordAtTheSizeLimitIsProducedAndFetched() throws {
        let server = try Self.server()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath, timeoutSeconds: 60)
        let limit = 16 << 20
        try connection.createTopic("limit", configs: [ConfigEntry(key: "max.message.bytes", value: "\(limit)")])
        let key = [UInt8](repeating: 1, count: 16)
        let value = [UInt8](repeating: 2, count: limit - key.count)
        let produced = try connection.call(
            .produce(
                ProduceRequest(
                    timeoutMs: 30_000,
                    topics: [
                        .init(
                            name: "limit",
                            partitions: [.init(partition: 0, records: [ProducerRecord(key: key, value: value)])])
                    ])))
        guard case .produce(let produce) = produced else { throw SluiceError(.unknown, "not a produce answer") }
        #expect(produce.topics.first?.partitions.first?.error == nil)
        let over = try connection.produce("limit", values: [[UInt8](repeating: 3, count: limit + 1)])
        #expect(over.error?.code == .messageTooLarge)
        let fetched = try connection.call(Self.fetch("limit", maxBytes: 1, partitionMaxBytes: 1))
        guard case .fetch(let fetch) = fetched, let partition = fetch.topics.first?.partitions.first else {
            throw SluiceError(.unknown, "not a fetch answer")
        }
        #expect(partition.error == nil)
        #expect(partition.records.count == 1)
        #expect(partition.records.first?.key == key)
        #expect(partition.records.first?.value?.count == value.count)
    }
}
