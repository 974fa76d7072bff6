import NIOCore
import SluiceCore
import Testing

@testable import SluiceProtocol

@Suite struct MalformedInputTests {
    /// Decodes a request body (header and payload, no length prefix).
    private func decodeRequest(_ body: ByteBuffer) throws(SluiceError) -> Request {
        var body = body
        let header = try RequestHeader.decode(from: &body)
        return try Request.decode(header: header, payload: &body)
    }

    private func body(of request: Request) -> ByteBuffer {
        var frame = request.frame(correlationID: 1)
        frame.moveReaderIndex(forwardBy: 4)
        return frame
    }

    /// Expects decoding `body` to throw `code`, with a message containing `detail` when given.
    private func expectError(
        _ code: ErrorCode, _ body: ByteBuffer, _ detail: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let request = try decodeRequest(body)
            Issue.record("decoded \(request) from \(body.hexDump)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
            if let detail {
                #expect(error.message.contains(detail), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: Fixtures.requests)
    func everyTruncatedRequestIsMalformed(_ request: Request) {
        let body = body(of: request)
        for length in RequestHeader.size..<body.readableBytes {
            expectError(.malformedRequest, body.getSlice(at: body.readerIndex, length: length)!)
        }
    }

    @Test(arguments: Fixtures.responses)
    func everyTruncatedResponseIsMalformed(_ response: Response) {
        var payload = ByteBuffer()
        response.encode(into: &payload)
        for length in 0..<payload.readableBytes {
            var truncated = payload.getSlice(at: 0, length: length)!
            #expect(throws: SluiceError.self) { try Response.decode(apiKey: response.apiKey, payload: &truncated) }
        }
    }

    @Test(arguments: Fixtures.requests)
    func trailingBytesAreMalformed(_ request: Request) {
        var body = body(of: request)
        body.writeInteger(UInt8(0))
        expectError(.malformedRequest, body)
    }

    @Test func trailingBytesAfterAResponseAreMalformed() {
        var payload = ByteBuffer(bytes: [0])
        #expect(throws: SluiceError.self) { try Response.decode(apiKey: .deleteTopic, payload: &payload) }
    }

    @Test func aBodyShorterThanAHeaderIsMalformed() {
        for length in 0..<RequestHeader.size {
            expectError(.malformedRequest, ByteBuffer(bytes: Array(repeating: 0, count: length)))
        }
    }

    @Test func unknownAPIKeys() {
        expectError(.unsupportedRequest, ByteBuffer(hex: "0063 0000 00000001"))  // 99
        expectError(.unsupportedRequest, ByteBuffer(hex: "000b 0000 00000001"))  // 11: reserved for groups
        expectError(.unsupportedRequest, ByteBuffer(hex: "ffff 0000 00000001"))  // -1
    }

    @Test func unsupportedVersions() {
        expectError(.unsupportedVersion, ByteBuffer(hex: "0003 0001 00000001 0001 74"))
        expectError(.unsupportedVersion, ByteBuffer(hex: "0003 ffff 00000001 0001 74"))
    }

    @Test func theErrorNamesTheAPI() {
        do {
            _ = try decodeRequest(ByteBuffer(hex: "0003 0000 00000001 0005 74"))
            Issue.record("decoded a truncated delete_topic request")
        } catch {
            #expect(error.message.hasPrefix("malformed delete_topic request: "))
        }
    }

    @Test func negativeLengths() {
        // delete_topic with string length -2
        expectError(.malformedRequest, ByteBuffer(hex: "0003 0000 00000001 fffe"), "negative string length -2")
        // metadata with array count -2
        expectError(.malformedRequest, ByteBuffer(hex: "0001 0000 00000001 fffffffe"), "negative array count -2")
        // produce: 1 topic "t", 1 partition 0, 1 record (20 bytes, the smallest) whose key has length -5
        expectError(
            .malformedRequest,
            ByteBuffer(
                hex: """
                    0006 0000 00000001 01 00000000 00000001 000174 00000001 00000000
                    00000001 0000000000000000 fffffffb ffffffff 00000000
                    """), "negative bytes length -5")
    }

    @Test func nullWhereAValueIsRequired() {
        // delete_topic with a null name
        expectError(.malformedRequest, ByteBuffer(hex: "0003 0000 00000001 ffff"), "null where a string")
        // create_topic "t" with a null config array
        expectError(
            .malformedRequest, ByteBuffer(hex: "0002 0000 00000001 000174 00000001 ffffffff"), "null where an array")
    }

    @Test func lengthsLargerThanTheFrame() {
        // delete_topic with a 100-byte name and 1 byte of it
        expectError(
            .malformedRequest, ByteBuffer(hex: "0003 0000 00000001 0064 74"),
            "string length 100 exceeds the 1 bytes left")
        // produce with a 20-byte record whose value claims 2 GiB
        expectError(
            .malformedRequest,
            ByteBuffer(
                hex: """
                    0006 0000 00000001 01 00000000 00000001 000174 00000001 00000000
                    00000001 0000000000000000 ffffffff 7fffffff 00000000
                    """), "bytes length 2147483647 exceeds the 4 bytes left")
    }

    @Test func hugeCountsInASmallFrameAreRefusedBeforeAllocating() {
        // metadata asking for 2^31 - 1 topics
        expectError(.malformedRequest, ByteBuffer(hex: "0001 0000 00000001 7fffffff 0001 74"), "cannot fit")
        // produce with 2^31 - 1 records in a partition: would be ~100 GB if reserved
        expectError(
            .malformedRequest,
            ByteBuffer(hex: "0006 0000 00000001 01 00000000 00000001 000174 00000001 00000000 7fffffff 00000000"),
            "cannot fit")
        // a fetch response with 2^31 - 1 records
        var payload = ByteBuffer(
            hex: "00000001 000174 00000001 00000000 0000ffff 0000000000000000 0000000000000000 7fffffff")
        #expect(throws: SluiceError.self) { try Response.decode(apiKey: .fetch, payload: &payload) }
    }

    @Test func countsAreCheckedAgainstTheSmallestElement() {
        // 2 records need at least 2 × 20 bytes; 39 are left
        var buffer = ByteBuffer(hex: "00000002")
        buffer.writeBytes(Array(repeating: 0, count: 39))
        #expect(throws: SluiceError.self) { try buffer.readArray(of: ProducerRecord.self) }
    }

    @Test func invalidUTF8IsMalformed() {
        expectError(.malformedRequest, ByteBuffer(hex: "0003 0000 00000001 0002 c328"), "UTF-8")
        expectError(.malformedRequest, ByteBuffer(hex: "0003 0000 00000001 0001 ff"), "UTF-8")
    }

    @Test func badEnumValues() {
        // produce with acks 2
        expectError(
            .malformedRequest, ByteBuffer(hex: "0006 0000 00000001 02 00000000 00000000"), "acks must be 0 or 1")
        // list_offsets with timestamp -3
        expectError(
            .malformedRequest, ByteBuffer(hex: "0008 0000 00000001 00000001 000174 00000001 00000000 fffffffffffffffd"),
            "not -3")
    }

    @Test func aResponseHeaderTooShortIsMalformed() {
        #expect(throws: SluiceError.self) { try ResponseFrame.decode(from: ByteBuffer(hex: "000000")) }
        #expect(throws: SluiceError.self) { try ResponseFrame.decode(from: ByteBuffer(hex: "00000001 0000")) }
    }
}
