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

    /// Expects decoding `hex` as the payload of a response to `apiKey` to throw `.malformedRequest` with `detail`.
    private func expectResponseError(
        _ apiKey: APIKey, _ hex: String, _ detail: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var payload = ByteBuffer(hex: hex)
        do {
            let response = try Response.decode(apiKey: apiKey, payload: &payload)
            Issue.record("decoded \(response) from \(hex)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .malformedRequest, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(detail), "\(error.message)", sourceLocation: sourceLocation)
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
        expectError(.unsupportedRequest, ByteBuffer(hex: "0016 0000 00000001"))  // 22: the first key not in use
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

    @Test func badResetModes() {
        // reset_offsets, group "g", topic "t", then mode and value
        let prefix = "0011 0000 00000001 000167 000174"
        expectError(.malformedRequest, ByteBuffer(hex: "\(prefix) 04 0000000000000000"), "must be 0, 1, 2 or 3, not 4")
        expectError(.malformedRequest, ByteBuffer(hex: "\(prefix) ff 0000000000000000"), "must be 0, 1, 2 or 3, not -1")
        expectError(
            .malformedRequest, ByteBuffer(hex: "\(prefix) 02 ffffffffffffffff"),
            "reset offset must be at least 0, not -1")
        expectError(
            .malformedRequest, ByteBuffer(hex: "\(prefix) 03 fffffffffffffffe"),
            "reset timestamp must be at least 0, not -2")
    }

    @Test func theResetValueIsIgnoredForEarliestAndLatest() throws {
        let prefix = "0011 0000 00000001 000167 000174"
        #expect(
            try decodeRequest(ByteBuffer(hex: "\(prefix) 00 ffffffffffffffff"))
                == .resetOffsets(ResetOffsetsRequest(group: "g", topic: "t", mode: .earliest)))
        #expect(
            try decodeRequest(ByteBuffer(hex: "\(prefix) 01 0000000000003039"))
                == .resetOffsets(ResetOffsetsRequest(group: "g", topic: "t", mode: .latest)))
    }

    @Test func unknownGroupStates() {
        // describe_group: group "g", state "paused", generation 0, no members, no topics
        expectResponseError(
            .describeGroup, "000167 0006 706175736564 00000000 00000000 00000000", "not 'paused'")
        // list_groups: one group "g" in state "Stable" (states are lower case)
        expectResponseError(.listGroups, "00000001 000167 0006 537461626c65 00000000", "not 'Stable'")
        // list_groups: group "billing" with a null state
        expectResponseError(.listGroups, "00000001 0007 62696c6c696e67 ffff 00000000", "null where a string")
    }

    @Test func nullsInGroupMessages() {
        // join_group with a null member id
        expectError(
            .malformedRequest, ByteBuffer(hex: "000b 0000 00000001 000167 ffff 0000 00002710 00000000"),
            "null where a string")
        // join_group with a null topic list
        expectError(
            .malformedRequest, ByteBuffer(hex: "000b 0000 00000001 000167 0000 0000 00002710 ffffffff"),
            "null where an array")
        // heartbeat with a null owned list
        expectError(
            .malformedRequest, ByteBuffer(hex: "000c 0000 00000001 000167 000161 00000001 ffffffff"),
            "null where an array")
        // describe_group whose member has a null id: only a partition's owner may be null
        expectResponseError(
            .describeGroup,
            "000167 0006 737461626c65 00000001 00000001 ffff 0000 00000000 00000000 00000000 00000000",
            "null where a string")
        // a join answer with a null pending list
        expectResponseError(.joinGroup, "000161 00000001 00000001 00000000 ffffffff", "null where an array")
    }

    @Test func hugeGroupCountsAreRefusedBeforeAllocating() {
        // heartbeat owning 2^31 - 1 topics
        expectError(
            .malformedRequest, ByteBuffer(hex: "000c 0000 00000001 000167 000161 00000001 7fffffff 000174 00000000"),
            "cannot fit")
        // describe_group with 2^31 - 1 members
        expectResponseError(.describeGroup, "000167 0005 656d707479 00000000 7fffffff 00000000", "cannot fit")
        // describe_group with 2 partitions (at least 2 × 30 bytes) in 59 bytes
        expectResponseError(
            .describeGroup,
            "000167 0005 656d707479 00000000 00000000 00000001 000174 00000002" + String(repeating: "00", count: 59),
            "cannot fit")
        // list_groups with 2^31 - 1 groups
        expectResponseError(.listGroups, "7fffffff 000167 0005 656d707479 00000000", "cannot fit")
        // reset_offsets with 2^31 - 1 partitions
        expectResponseError(.resetOffsets, "7fffffff 00000000 0000000000000000", "cannot fit")
    }

    @Test func aResponseHeaderTooShortIsMalformed() {
        #expect(throws: SluiceError.self) { try ResponseFrame.decode(from: ByteBuffer(hex: "000000")) }
        #expect(throws: SluiceError.self) { try ResponseFrame.decode(from: ByteBuffer(hex: "00000001 0000")) }
    }
}
