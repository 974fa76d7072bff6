import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// The value ranges of `docs/PROTOCOL.md` ("Valid ranges"), over a real socket: a field out of its range is refused
/// with the error the spec names, the connection goes on, and nothing was done.
@Suite(.serialized) struct ProtocolRangeTests {
    let server: ServerProcess

    init() throws {
        server = try ServerProcess().start()
    }

    /// The top-level error `request` is answered with; the connection stays open for the next request.
    func refusal(_ request: Request, on connection: RawConnection) throws -> SluiceError? {
        do {
            _ = try connection.call(request)
            return nil
        } catch let error as SluiceError {
            #expect(error.code != .timeout, "no answer to \(request.apiKey.name)")
            return error
        }
    }

    static func produce(_ topic: String, timeoutMs: Int32 = 10_000, records: [ProducerRecord]) -> Request {
        .produce(
            ProduceRequest(
                timeoutMs: timeoutMs, topics: [.init(name: topic, partitions: [.init(partition: 0, records: records)])]
            ))
    }

    static func fetch(
        _ topic: String, maxWaitMs: Int32 = 0, minBytes: Int32 = 0, maxBytes: Int32 = 1 << 20,
        partitionMaxBytes: Int32 = 1 << 20
    ) -> Request {
        .fetch(
            FetchRequest(
                maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes,
                topics: [
                    .init(
                        name: topic, partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: partitionMaxBytes)])
                ]))
    }

    @Test func produceOutOfRangeIsRefusedAndNothingIsAppended() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("ranges")
        let one = [ProducerRecord(value: [1])]
        for (what, request) in [
            ("timeout 0", Self.produce("ranges", timeoutMs: 0, records: one)),
            ("negative timeout", Self.produce("ranges", timeoutMs: -5, records: one)),
            ("no records", Self.produce("ranges", records: [])),
            ("timestamp -2", Self.produce("ranges", records: [ProducerRecord(value: [1], timestamp: -2)])),
            (
                "one bad timestamp among good ones",
                Self.produce(
                    "ranges",
                    records: [ProducerRecord(value: [1], timestamp: 5), ProducerRecord(value: [2], timestamp: .min)])
            ),
        ] {
            let error = try refusal(request, on: connection)
            #expect(error?.code == .invalidArgument, "\(what): \(String(describing: error))")
        }
        // Timestamps 0 and -1 (the broker's clock) are in range.
        let stored = try connection.call(
            Self.produce(
                "ranges",
                records: [ProducerRecord(value: [1], timestamp: 0), ProducerRecord(value: [2], timestamp: nil)]))
        guard case .produce(let produce) = stored else { throw SluiceError(.unknown, "not a produce answer") }
        #expect(produce.topics.first?.partitions.first?.error == nil)
        #expect(produce.topics.first?.partitions.first?.baseOffset == 0, "the refused requests appended nothing")
        #expect(try connection.readAll("ranges").map(\.value) == [[1], [2]])
    }

    @Test func fetchOutOfRangeIsRefused() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("ranges")
        for (what, request) in [
            ("negative maxWaitMs", Self.fetch("ranges", maxWaitMs: -1)),
            ("negative minBytes", Self.fetch("ranges", minBytes: -1)),
            ("maxBytes 0", Self.fetch("ranges", maxBytes: 0)),
            ("negative maxBytes", Self.fetch("ranges", maxBytes: -100)),
            ("partitionMaxBytes 0", Self.fetch("ranges", partitionMaxBytes: 0)),
        ] {
            let error = try refusal(request, on: connection)
            #expect(error?.code == .invalidArgument, "\(what): \(String(describing: error))")
        }
        // The smallest values in range are answered (maxWaitMs 0: at once).
        let answer = try connection.call(
            Self.fetch("ranges", maxWaitMs: 0, minBytes: 0, maxBytes: 1, partitionMaxBytes: 1))
        guard case .fetch(let fetch) = answer else { throw SluiceError(.unknown, "not a fetch answer") }
        #expect(fetch.topics.first?.partitions.first?.error == nil)
        // A negative offset is below every log start.
        let before = try connection.fetch("ranges", from: -1)
        #expect(before.error?.code == .offsetOutOfRange)
    }

    @Test func commitsPastTheLogEndAreRefusedPerPartition() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("ranges", partitions: 3)
        _ = try connection.produce("ranges", partition: 0, values: [[1], [2], [3]])
        let commit = Request.commitOffsets(
            CommitOffsetsRequest(
                group: "g",
                topics: [
                    .init(
                        name: "ranges",
                        partitions: [
                            .init(partition: 0, offset: 3), .init(partition: 1, offset: 1),
                            .init(partition: 2, offset: -1),
                        ])
                ]))
        guard case .commitOffsets(let answer) = try connection.call(commit) else {
            throw SluiceError(.unknown, "not a commit answer")
        }
        let errors = answer.topics.first?.partitions.map { $0.error?.code } ?? []
        // The next offset (3) may be committed; past it is out of range; a negative offset is invalid.
        #expect(errors == [nil, .offsetOutOfRange, .invalidArgument])
        guard
            case .fetchOffsets(let committed) = try connection.call(
                .fetchOffsets(FetchOffsetsRequest(group: "g", topics: nil)))
        else { throw SluiceError(.unknown, "not a fetchOffsets answer") }
        #expect(committed.topics.flatMap(\.partitions).map(\.partition) == [0], "only the valid commit is stored")
        let generation = try refusal(
            .commitOffsets(
                CommitOffsetsRequest(
                    group: "g", generation: -2,
                    topics: [.init(name: "ranges", partitions: [.init(partition: 0, offset: 0)])])), on: connection)
        #expect(generation?.code == .invalidArgument)
    }

    @Test func groupFieldsOutOfRangeAreRefused() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("ranges")
        for timeout: Int32 in [1, 999, 300_001] {
            let error = try refusal(
                .joinGroup(
                    JoinGroupRequest(group: "g", clientID: "c", sessionTimeoutMs: timeout, topics: ["ranges"])),
                on: connection)
            #expect(error?.code == .invalidArgument, "session timeout \(timeout)")
        }
        guard
            case .joinGroup(let joined) = try connection.call(
                .joinGroup(JoinGroupRequest(group: "g", clientID: "c", sessionTimeoutMs: 0, topics: ["ranges"])))
        else { throw SluiceError(.unknown, "not a join answer") }
        #expect(joined.heartbeatIntervalMs > 0, "sessionTimeoutMs 0 takes the server's default")
        let heartbeat = try refusal(
            .heartbeat(
                HeartbeatRequest(
                    group: "g", memberID: joined.memberID, generation: joined.generation, owned: joined.granted,
                    maxWaitMs: -1)), on: connection)
        #expect(heartbeat?.code == .invalidArgument)
        // maxWaitMs 0 is in range (answered at once).
        guard
            case .heartbeat(let beat) = try connection.call(
                .heartbeat(
                    HeartbeatRequest(
                        group: "g", memberID: joined.memberID, generation: joined.generation, owned: joined.granted,
                        maxWaitMs: 0)))
        else { throw SluiceError(.unknown, "not a heartbeat answer") }
        #expect(beat.memberID == joined.memberID)
    }
}
