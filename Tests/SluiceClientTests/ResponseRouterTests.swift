import NIOCore
import NIOEmbedded
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

@testable import SluiceClient

/// The client's pipeline on an `EmbeddedChannel`: requests out, response frames in, no socket.
@Suite struct ResponseRouterTests {
    final class Outcomes: Sendable {
        let results = Mutex<[String: Result<Response, SluiceError>]>([:])
        func completion(_ name: String) -> ResponseCompletion {
            { result in self.results.withLock { $0[name] = result } }
        }
        subscript(_ name: String) -> Result<Response, SluiceError>? { results.withLock { $0[name] } }
    }

    func makeChannel() throws -> (EmbeddedChannel, ResponseRouter) {
        let router = ResponseRouter(socketPath: "/test.sock")
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(ByteToMessageHandler(FrameDecoder()), router)
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/test.sock")).wait()
        return (channel, router)
    }

    func outgoing(_ request: Request, _ completion: @escaping ResponseCompletion) -> OutgoingRequest {
        OutgoingRequest(
            frame: request.frame(correlationID: 0), apiKey: request.apiKey,
            resultOnceWritten: nil, completion: completion)
    }

    /// The correlation id of the next request frame written.
    func nextCorrelationID(_ channel: EmbeddedChannel) throws -> Int32? {
        guard var frame = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
        frame.moveReaderIndex(forwardBy: 4)
        return try RequestHeader.decode(from: &frame).correlationID
    }

    func responseFrame(_ response: Response, _ id: Int32) -> ByteBuffer {
        var buffer = ByteBuffer()
        response.encodeFrame(correlationID: id, into: &buffer)
        return buffer
    }

    @Test func responsesOutOfOrderReachTheirRequests() throws {
        let (channel, router) = try makeChannel()
        let outcomes = Outcomes()
        router.enqueue(outgoing(.metadata(MetadataRequest(topics: nil)), outcomes.completion("metadata")))
        router.enqueue(outgoing(.deleteTopic(DeleteTopicRequest(name: "t")), outcomes.completion("delete")))
        channel.embeddedEventLoop.run()
        let first = try #require(try nextCorrelationID(channel))
        let second = try #require(try nextCorrelationID(channel))
        #expect(first != second)
        try channel.writeInbound(responseFrame(.deleteTopic(DeleteTopicResponse()), second))
        #expect(outcomes["metadata"] == nil)
        #expect(outcomes["delete"] == .success(.deleteTopic(DeleteTopicResponse())))
        // A frame split anywhere still decodes; an unknown correlation id is ignored.
        var frame = responseFrame(.metadata(MetadataResponse(topics: [])), first)
        try channel.writeInbound(responseFrame(.metadata(MetadataResponse(topics: [])), 9999))
        try channel.writeInbound(frame.readSlice(length: 5)!)
        try channel.writeInbound(frame)
        #expect(outcomes["metadata"] == .success(.metadata(MetadataResponse(topics: []))))
        _ = try channel.finish()
    }

    @Test func topLevelErrorFailsTheRequest() throws {
        let (channel, router) = try makeChannel()
        let outcomes = Outcomes()
        router.enqueue(outgoing(.describeTopic(DescribeTopicRequest(name: "x")), outcomes.completion("d")))
        channel.embeddedEventLoop.run()
        let id = try #require(try nextCorrelationID(channel))
        var buffer = ByteBuffer()
        Response.encodeErrorFrame(correlationID: id, error: .unknownTopic("x"), into: &buffer)
        try channel.writeInbound(buffer)
        #expect(outcomes["d"] == .failure(.unknownTopic("x")))
        _ = try channel.finish()
    }

    @Test func connectionLevelErrorFailsEveryPendingRequest() throws {
        let (channel, router) = try makeChannel()
        let outcomes = Outcomes()
        router.enqueue(outgoing(.metadata(MetadataRequest(topics: nil)), outcomes.completion("a")))
        router.enqueue(outgoing(.metadata(MetadataRequest(topics: nil)), outcomes.completion("b")))
        channel.embeddedEventLoop.run()
        let error = SluiceError(.frameTooLarge, "frame too large")
        var buffer = ByteBuffer()
        Response.encodeErrorFrame(correlationID: Response.connectionErrorCorrelationID, error: error, into: &buffer)
        try channel.writeInbound(buffer)
        #expect(outcomes["a"] == .failure(error))
        #expect(outcomes["b"] == .failure(error))
        #expect(!channel.isActive)
    }

    @Test func closingFailsPendingAndLaterRequests() throws {
        let (channel, router) = try makeChannel()
        let outcomes = Outcomes()
        router.enqueue(outgoing(.metadata(MetadataRequest(topics: nil)), outcomes.completion("a")))
        channel.embeddedEventLoop.run()
        try channel.close().wait()
        guard case .failure(let error) = outcomes["a"] else {
            Issue.record("a did not fail")
            return
        }
        #expect(error.code == .connectionClosed)
        router.enqueue(outgoing(.metadata(MetadataRequest(topics: nil)), outcomes.completion("b")))
        guard case .failure(let later) = outcomes["b"] else {
            Issue.record("b did not fail")
            return
        }
        #expect(later.code == .connectionClosed)
    }

    @Test func unansweredProduceCompletesOnceWritten() throws {
        let (channel, router) = try makeChannel()
        let outcomes = Outcomes()
        let request = Request.produce(ProduceRequest(acks: .noResponse, timeoutMs: 1000, topics: []))
        let expected = Response.produce(ProduceResponse(topics: []))
        router.enqueue(
            OutgoingRequest(
                frame: request.frame(correlationID: 0), apiKey: .produce, resultOnceWritten: expected,
                completion: outcomes.completion("p")))
        channel.embeddedEventLoop.run()
        #expect(try nextCorrelationID(channel) != nil)
        #expect(outcomes["p"] == .success(expected))
        _ = try channel.finish()
    }
}
