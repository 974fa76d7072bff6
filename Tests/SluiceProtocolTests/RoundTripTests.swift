import NIOCore
import SluiceCore
import Testing

@testable import SluiceProtocol

@Suite struct RoundTripTests {
    @Test(arguments: Fixtures.requests)
    func requestFrameRoundTrips(_ request: Request) throws {
        var frame = request.frame(correlationID: 0x0102_0304)
        let length = frame.readInteger(as: UInt32.self)
        #expect(length.map(Int.init) == frame.readableBytes, "length prefix counts the bytes that follow")
        #expect(RequestHeader.size + request.payloadSize == frame.readableBytes, "size estimate is exact")

        let header = try RequestHeader.decode(from: &frame)
        #expect(
            header
                == RequestHeader(
                    apiKey: request.apiKey.rawValue, apiVersion: request.apiVersion,
                    correlationID: 0x0102_0304))
        #expect(try Request.decode(header: header, payload: &frame) == request)
        #expect(frame.readableBytes == 0)
    }

    @Test(arguments: Fixtures.responses)
    func responseFrameRoundTrips(_ response: Response) throws {
        var buffer = ByteBuffer()
        response.encodeFrame(correlationID: -7, into: &buffer)
        let length = buffer.readInteger(as: UInt32.self)
        #expect(length.map(Int.init) == buffer.readableBytes)
        #expect(Response.successHeaderSize + response.payloadSize == buffer.readableBytes, "size estimate is exact")

        let frame = try ResponseFrame.decode(from: buffer)
        #expect(frame.correlationID == -7)
        #expect(frame.error == nil)
        #expect(try frame.response(to: response.apiKey) == response)
    }

    @Test func framesAppendToWhatIsAlreadyInTheBuffer() throws {
        var buffer = ByteBuffer(bytes: [0xEE])
        Fixtures.requests[0].encodeFrame(correlationID: 1, into: &buffer)
        Fixtures.requests[1].encodeFrame(correlationID: 2, into: &buffer)
        #expect(buffer.readInteger(as: UInt8.self) == 0xEE)
        for (index, expected) in Fixtures.requests.prefix(2).enumerated() {
            let length = buffer.readInteger(as: UInt32.self) ?? 0
            var body = buffer.readSlice(length: Int(length)) ?? ByteBuffer()
            let header = try RequestHeader.decode(from: &body)
            #expect(header.correlationID == Int32(index + 1))
            #expect(try Request.decode(header: header, payload: &body) == expected)
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test func errorFrameRoundTrips() throws {
        var buffer = ByteBuffer()
        let error = SluiceError(.tooManyRequests, "too many requests in flight (limit 1000)")
        Response.encodeErrorFrame(correlationID: 99, error: error, into: &buffer)
        _ = buffer.readInteger(as: UInt32.self)

        let frame = try ResponseFrame.decode(from: buffer)
        #expect(frame.correlationID == 99)
        #expect(frame.error == error)
        #expect(frame.payload.readableBytes == 0)
        #expect(throws: error) { try frame.response(to: .produce) }
    }

    @Test func unknownErrorCodesDecodeAsUnknown() throws {
        // correlation 1, error code 999, message "new"
        let frame = try ResponseFrame.decode(from: ByteBuffer(hex: "00000001 03e7 0003 6e6577"))
        #expect(frame.error?.code == .unknown)
        #expect(frame.error?.message.contains("999") == true)
    }

    @Test func nullErrorMessageFallsBackToTheCodeName() throws {
        let frame = try ResponseFrame.decode(from: ByteBuffer(hex: "00000001 0005 ffff"))
        #expect(frame.error == SluiceError(.unknownTopic, "unknown_topic"))
    }

    @Test func producerTimestampMinusOneMeansBrokerStamped() throws {
        let request = Request.produce(
            ProduceRequest(
                timeoutMs: 1,
                topics: [
                    .init(
                        name: "t",
                        partitions: [.init(partition: 0, records: [ProducerRecord(value: [1], timestamp: -1)])])
                ]))
        var frame = request.frame(correlationID: 1)
        frame.moveReaderIndex(forwardBy: 4)
        let header = try RequestHeader.decode(from: &frame)
        guard case .produce(let decoded) = try Request.decode(header: header, payload: &frame) else {
            Issue.record("not a produce request")
            return
        }
        #expect(decoded.topics[0].partitions[0].records[0].timestamp == nil)
    }

    @Test func stringsTooLongForTheWireAreCutAtACharacterBoundary() throws {
        // "é" is two UTF-8 bytes: 32767 bytes cannot hold a whole number of them, so 32766 are kept.
        let long = String(repeating: "é", count: 20_000)
        var buffer = ByteBuffer()
        Response.encodeErrorFrame(correlationID: 1, error: SluiceError(.unknown, long), into: &buffer)
        _ = buffer.readInteger(as: UInt32.self)
        let frame = try ResponseFrame.decode(from: buffer)
        #expect(frame.error?.message == String(repeating: "é", count: 16_383))
    }

    @Test func expectsResponse() {
        #expect(!Request.produce(ProduceRequest(acks: .noResponse, timeoutMs: 0, topics: [])).expectsResponse)
        #expect(Request.produce(ProduceRequest(acks: .afterCommit, timeoutMs: 0, topics: [])).expectsResponse)
        #expect(Request.deleteTopic(DeleteTopicRequest(name: "t")).expectsResponse)
    }

    @Test func apiVersionsListsEveryAPI() {
        let response = APIVersionsResponse(serverSoftware: "s")
        #expect(response.apis.map(\.apiKey) == Array(0...21))
        #expect(
            response.apis.allSatisfy { $0.minVersion == 0 && $0.maxVersion == ([6, 12].contains($0.apiKey) ? 1 : 0) })
    }
}
