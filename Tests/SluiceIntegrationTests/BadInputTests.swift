import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// Bad input over a real socket: the offender gets a clear error, and everyone else is served on.
@Suite(.serialized) struct BadInputTests {
    let server: ServerProcess

    init() throws {
        server = try ServerProcess().start()
    }

    /// A well-behaved request on a fresh connection still gets its answer.
    func assertServerStillServes() throws {
        let probe = try RawConnection(path: server.socketPath)
        probe.send(.apiVersions(APIVersionsRequest(clientSoftware: "probe")), correlationID: 99)
        let response = try #require(probe.readResponse())
        #expect(response.correlationID == 99)
        #expect(response.error == nil)
    }

    @Test func frameShorterThanAHeaderIsRefusedAndClosed() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send([0, 0, 0, 3, 0, 0, 0])
        let response = try #require(connection.readResponse())
        #expect(response.correlationID == -1)
        #expect(response.error?.code == .malformedRequest)
        #expect(connection.isClosedByPeer())
        try assertServerStillServes()
    }

    @Test func truncatedPayloadIsRefusedUnderItsCorrelationID() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        // A create-topic request whose name claims 50 bytes but carries 2.
        let body: [UInt8] = [0, 2, 0, 0, 0, 0, 0, 7, 0, 50, 0x61, 0x62]
        connection.send([0, 0, 0, UInt8(body.count)] + body)
        let response = try #require(connection.readResponse())
        #expect(response.correlationID == 7)
        #expect(response.error?.code == .malformedRequest)
        #expect(connection.isClosedByPeer())
        try assertServerStillServes()
    }

    @Test func oversizedFrameIsRefusedBeforeItArrives() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send([0x10, 0, 0, 0, 0, 1, 0, 0])  // claims 256 MiB
        let response = try #require(connection.readResponse())
        #expect(response.error?.code == .frameTooLarge)
        #expect(connection.isClosedByPeer())
        try assertServerStillServes()
    }

    @Test func unknownRequestTypeAndVersionAreRefusedAndTheConnectionGoesOn() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send([0, 0, 0, 8, 0, 99, 0, 0, 0, 0, 0, 5])
        let unknown = try #require(connection.readResponse())
        #expect(unknown.correlationID == 5)
        #expect(unknown.error?.code == .unsupportedRequest)
        connection.send([0, 0, 0, 10, 0, 0, 0, 9, 0, 0, 0, 6, 0, 0])
        let version = try #require(connection.readResponse())
        #expect(version.correlationID == 6)
        #expect(version.error?.code == .unsupportedVersion)
        connection.send(.apiVersions(APIVersionsRequest(clientSoftware: "same connection")), correlationID: 7)
        #expect(connection.readResponse()?.correlationID == 7)
    }

    @Test func clientVanishingMidRequestDoesNotDisturbOthers() throws {
        defer { server.cleanUp() }
        for _ in 0..<20 {
            let connection = try RawConnection(path: server.socketPath)
            var frame = Request.createTopic(CreateTopicRequest(name: "half", partitions: 1, configs: []))
                .frame(correlationID: 1)
            connection.send(Array(frame.readBytes(length: frame.readableBytes / 2)!))
            // Dropped here: closed mid-frame.
        }
        try assertServerStillServes()
        #expect(server.process?.isRunning == true)
    }

    @Test func unknownTopicAndPartitionGetPerPartitionErrors() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send(.createTopic(CreateTopicRequest(name: "known", partitions: 2, configs: [])), correlationID: 1)
        #expect(connection.readResponse()?.error == nil)
        let records = [ProducerRecord(value: Array("x".utf8))]
        connection.send(
            .produce(
                ProduceRequest(
                    timeoutMs: 1000,
                    topics: [
                        .init(name: "missing", partitions: [.init(partition: 0, records: records)]),
                        .init(
                            name: "known",
                            partitions: [.init(partition: 5, records: records), .init(partition: 1, records: records)]),
                    ])), correlationID: 2)
        let frame = try #require(connection.readResponse())
        guard case .produce(let produce) = try frame.response(to: .produce) else {
            Issue.record("not a produce response")
            return
        }
        #expect(produce.topics[0].partitions[0].error?.code == .unknownTopic)
        #expect(produce.topics[1].partitions[0].error?.code == .unknownPartition)
        #expect(produce.topics[1].partitions[1].error == nil)
        #expect(produce.topics[1].partitions[1].baseOffset == 0)
    }

    @Test func badTopicNamesAndSettingsAreRefused() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send(
            .createTopic(CreateTopicRequest(name: "bad/name", partitions: 1, configs: [])), correlationID: 1)
        #expect(connection.readResponse()?.error?.code == .invalidTopicName)
        connection.send(
            .createTopic(
                CreateTopicRequest(
                    name: "ok", partitions: 1,
                    configs: [ConfigEntry(key: "retention.ms", value: "soon")])),
            correlationID: 2)
        #expect(connection.readResponse()?.error?.code == .invalidArgument)
        connection.send(.createTopic(CreateTopicRequest(name: "ok", partitions: 1, configs: [])), correlationID: 3)
        #expect(connection.readResponse()?.error == nil)
        connection.send(.createTopic(CreateTopicRequest(name: "ok", partitions: 1, configs: [])), correlationID: 4)
        #expect(connection.readResponse()?.error?.code == .topicAlreadyExists)
    }

    @Test func tooLargeMessageIsRefusedByTopicSetting() throws {
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        connection.send(
            .createTopic(
                CreateTopicRequest(
                    name: "small", partitions: 1,
                    configs: [ConfigEntry(key: "max.message.bytes", value: "100")])),
            correlationID: 1)
        #expect(connection.readResponse()?.error == nil)
        connection.send(
            .produce(
                ProduceRequest(
                    timeoutMs: 1000,
                    topics: [
                        .init(
                            name: "small",
                            partitions: [
                                .init(partition: 0, records: [ProducerRecord(value: Array(repeating: 1, count: 101))])
                            ])
                    ])), correlationID: 2)
        guard case .produce(let produce) = try #require(connection.readResponse()).response(to: .produce) else {
            Issue.record("not a produce response")
            return
        }
        #expect(produce.topics[0].partitions[0].error?.code == .messageTooLarge)
    }
}
