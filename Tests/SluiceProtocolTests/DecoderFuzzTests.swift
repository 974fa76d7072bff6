import NIOCore
import SluiceCore
import Testing

@testable import SluiceProtocol

/// Seeded property tests of the decoders: random valid messages of every API round-trip, and random damage to
/// valid frames never crashes, hangs or makes a decoder trust a length it has not checked.
///
/// Every case comes from a fixed-seed generator, so a failure names its seed and iteration and reproduces exactly.
/// The coverage-guided twin of these tests is `Fuzz/` (`Scripts/fuzz-decoder`).
@Suite struct DecoderFuzzTests {
    static let seed: UInt64 = 0x5EED_0000_0007
    /// Cases per API in the round-trip tests, and mutated frames in total in the damage tests.
    static let roundTripsPerAPI = 150
    static let mutations = 6_000
    /// A decode of a frame of a few kilobytes takes microseconds, even in a debug build on a busy machine; a second
    /// means work out of all proportion to the input.
    static let slowDecode = Duration.seconds(1)

    // MARK: - Round trips

    @Test(arguments: APIKey.allCases)
    func randomRequestsRoundTrip(_ key: APIKey) throws {
        var random = RandomMessages(seed: Self.seed ^ UInt64(key.rawValue))
        for iteration in 0..<Self.roundTripsPerAPI {
            let request = random.request(key)
            let correlationID = random.int32()
            var frame = request.frame(correlationID: correlationID)
            let length = frame.readInteger(as: UInt32.self)
            #expect(length.map(Int.init) == frame.readableBytes, "length prefix, case \(iteration)")
            #expect(RequestHeader.size + request.payloadSize == frame.readableBytes, "size estimate, case \(iteration)")
            let header = try RequestHeader.decode(from: &frame)
            #expect(
                header
                    == RequestHeader(apiKey: key.rawValue, apiVersion: request.apiVersion, correlationID: correlationID)
            )
            let decoded = try Request.decode(header: header, payload: &frame)
            #expect(decoded == request, "case \(iteration)")
        }
    }

    @Test(arguments: APIKey.allCases)
    func randomResponsesRoundTrip(_ key: APIKey) throws {
        var random = RandomMessages(seed: Self.seed ^ UInt64(key.rawValue) << 16)
        for iteration in 0..<Self.roundTripsPerAPI {
            let response = random.response(key)
            let correlationID = random.int32()
            var buffer = ByteBuffer()
            response.encodeFrame(correlationID: correlationID, into: &buffer)
            let length = buffer.readInteger(as: UInt32.self)
            #expect(length.map(Int.init) == buffer.readableBytes, "length prefix, case \(iteration)")
            #expect(Response.successHeaderSize + response.payloadSize == buffer.readableBytes, "case \(iteration)")
            let frame = try ResponseFrame.decode(from: buffer)
            #expect(frame.correlationID == correlationID)
            #expect(frame.error == nil)
            #expect(try frame.response(to: key, version: response.apiVersion) == response, "case \(iteration)")
        }
    }

    @Test func randomErrorFramesRoundTrip() throws {
        var random = RandomMessages(seed: Self.seed ^ 0xE)
        for iteration in 0..<500 {
            guard let error = random.error() else { continue }
            var buffer = ByteBuffer()
            Response.encodeErrorFrame(correlationID: Int32(iteration), error: error, into: &buffer)
            _ = buffer.readInteger(as: UInt32.self)
            let frame = try ResponseFrame.decode(from: buffer)
            #expect(frame.error == error, "case \(iteration)")
            #expect(frame.payload.readableBytes == 0)
        }
    }

    /// Frames of random requests, written back to back and cut at random points, come out of `FrameDecoder`
    /// whole and in order.
    @Test func randomStreamsSplitAnywhereDecode() throws {
        var random = RandomMessages(seed: Self.seed ^ 0x5)
        let requests = (0..<200).map { _ in random.request() }
        var stream = ByteBuffer()
        for (index, request) in requests.enumerated() {
            request.encodeFrame(correlationID: Int32(index), into: &stream)
        }

        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var decoded: [Request] = []
        while stream.readableBytes > 0 {
            let piece = stream.readSlice(length: min(stream.readableBytes, 1 + Int(random.rng.next() % 700)))!
            try processor.process(buffer: piece) { body in
                var body = body
                let header = try RequestHeader.decode(from: &body)
                #expect(header.correlationID == Int32(decoded.count))
                decoded.append(try Request.decode(header: header, payload: &body))
            }
        }
        #expect(decoded == requests)
    }

    // MARK: - Damaged input

    @Test func damagedRequestsAreRefusedOrDecodedExactly() {
        var random = RandomMessages(seed: Self.seed ^ 0xD1)
        var mutator = FrameMutator(seed: Self.seed ^ 0xD2)
        var outcomes = Outcomes()
        for iteration in 0..<Self.mutations {
            var frame = random.request().frame(correlationID: 1)
            frame.moveReaderIndex(forwardBy: 4)
            let body = mutator.mutate(Array(frame.readableBytesView))
            outcomes.count(decodeRequest(body, case: iteration))
        }
        // The mutations must reach the decoders' checks, not all fail in the header.
        #expect(outcomes.malformed > Self.mutations / 2, "\(outcomes)")
        #expect(outcomes.decoded > 0, "\(outcomes)")
    }

    @Test func damagedResponsesAreRefusedOrDecodedExactly() {
        var random = RandomMessages(seed: Self.seed ^ 0xD3)
        var mutator = FrameMutator(seed: Self.seed ^ 0xD4)
        var outcomes = Outcomes()
        for iteration in 0..<Self.mutations {
            let response = random.response()
            var frame = ByteBuffer()
            response.encodeFrame(correlationID: 1, into: &frame)
            frame.moveReaderIndex(forwardBy: 4)
            let body = mutator.mutate(Array(frame.readableBytesView))
            // Decoded as the API it was, and now and then as another one: a client may mismatch correlation ids.
            let key = random.chance(4) ? APIKey.allCases.randomElement(using: &random.rng)! : response.apiKey
            outcomes.count(decodeResponse(body, as: key, case: iteration))
        }
        #expect(outcomes.malformed > Self.mutations / 2, "\(outcomes)")
        #expect(outcomes.decoded > 0, "\(outcomes)")
    }

    /// Junk after a valid header: every payload decoder sees input that was never a message at all.
    @Test(arguments: APIKey.allCases)
    func randomPayloadsAreRefusedOrDecodedExactly(_ key: APIKey) {
        var rng = SplitMix64(seed: Self.seed ^ 0xB0 ^ UInt64(key.rawValue))
        for iteration in 0..<300 {
            let count = Int(rng.next() % 64)
            let payload = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next() % 5 == 0 ? 0xFF : rng.next() % 4)
            }
            var body = ByteBuffer()
            RequestHeader(apiKey: key.rawValue, apiVersion: 0, correlationID: 1).write(to: &body)
            body.writeBytes(payload)
            _ = decodeRequest(Array(body.readableBytesView), case: iteration)
            _ = decodeResponse([0, 0, 0, 1, 0, 0, 0xFF, 0xFF] + payload, as: key, case: iteration)
        }
    }

    /// A length prefix of any value: `FrameDecoder` refuses one above its limit at once, before buffering a byte
    /// of the body, and waits (without allocating) for the rest of one within it.
    @Test func damagedLengthPrefixesNeverMakeTheFrameDecoderBuffer() throws {
        var random = RandomMessages(seed: Self.seed ^ 0xF1)
        var mutator = FrameMutator(seed: Self.seed ^ 0xF2)
        let limit = 4096
        for iteration in 0..<2_000 {
            let frame = random.request().frame(correlationID: 1)
            let bytes = mutator.apply(.overwriteLength, to: Array(frame.readableBytesView))
            var decoder = FrameDecoder(maxFrameSize: limit)
            var buffer = ByteBuffer(bytes: bytes)
            while true {
                let declared = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map(Int.init)
                do {
                    guard let body = try decoder.decode(buffer: &buffer) else {
                        #expect((declared ?? 0) <= limit, "case \(iteration): a frame over the limit was waited for")
                        break
                    }
                    #expect(body.readableBytes == declared, "case \(iteration)")
                    _ = decodeRequest(Array(body.readableBytesView), case: iteration)
                } catch {
                    #expect((error as? SluiceError)?.code == .frameTooLarge, "case \(iteration): \(error)")
                    #expect((declared ?? 0) > limit, "case \(iteration)")
                    break
                }
            }
        }
    }

    /// Every position of every fixture's body overwritten with each huge, negative or off-by-one length: nothing
    /// decodes unless the bytes really are there. (Random damage hits these too; this hits all of them.)
    @Test func everyPositionOverwrittenWithABadLength() {
        var checked = 0
        for request in Fixtures.requests {
            var frame = request.frame(correlationID: 1)
            frame.moveReaderIndex(forwardBy: 4)
            let body = Array(frame.readableBytesView)
            for position in RequestHeader.size..<body.count {
                // Inside a long run of one non-zero byte (a fixture's 1000-byte value) there is no field to hit.
                if position >= 8, position + 8 < body.count, body[position] != 0,
                    body[(position - 8)..<(position + 8)].allSatisfy({ $0 == body[position] })
                {
                    continue
                }
                for value in FrameMutator.interestingInt32 where position + 4 <= body.count {
                    var damaged = body
                    withUnsafeBytes(of: value.bigEndian) { damaged.replaceSubrange(position..<position + 4, with: $0) }
                    _ = decodeRequest(damaged, case: position)
                    checked += 1
                }
                for value in FrameMutator.interestingInt16 where position + 2 <= body.count {
                    var damaged = body
                    withUnsafeBytes(of: value.bigEndian) { damaged.replaceSubrange(position..<position + 2, with: $0) }
                    _ = decodeRequest(damaged, case: position)
                    checked += 1
                }
            }
        }
        #expect(checked > 10_000)
    }

    // MARK: - The allocation guard

    /// Arrays refuse a count before reserving room for it when `count × minWireSize` exceeds the bytes left
    /// (`readElements`), so each `minWireSize` must be exactly the size of the smallest encoding: larger refuses
    /// valid frames, smaller lets a short frame reserve more than it could ever fill.
    @Test func minimumWireSizesAreExact() {
        let empty = TopicPartitions<Int32>(name: "", partitions: [])
        let sizes: [(String, Int, Int)] = [
            ("String", "".wireSize, String.minWireSize),
            ("Int32", Int32(0).wireSize, Int32.minWireSize),
            ("Header", Header(name: "", value: nil).wireSize, Header.minWireSize),
            ("ProducerRecord", ProducerRecord(value: nil).wireSize, ProducerRecord.minWireSize),
            ("Record", Record(offset: 0, timestamp: 0, key: nil, value: nil).wireSize, Record.minWireSize),
            ("ConfigEntry", ConfigEntry(key: "", value: nil).wireSize, ConfigEntry.minWireSize),
            (
                "PartitionOffsets", PartitionOffsets(partition: 0, logStartOffset: 0, nextOffset: 0).wireSize,
                PartitionOffsets.minWireSize
            ),
            (
                "MetadataResponse.Topic", MetadataResponse.Topic(name: "", partitions: []).wireSize,
                MetadataResponse.Topic.minWireSize
            ),
            (
                "APIVersionsResponse.Entry",
                APIVersionsResponse.Entry(apiKey: 0, minVersion: 0, maxVersion: 0).wireSize,
                APIVersionsResponse.Entry.minWireSize
            ),
            (
                "ProduceRequest.Partition", ProduceRequest.Partition(partition: 0, records: []).wireSize(version: 0),
                ProduceRequest.Partition.minWireSize
            ),
            (
                "ProduceResponse.Partition",
                ProduceResponse.Partition(partition: 0, baseOffset: 0, logAppendTime: 0).wireSize,
                ProduceResponse.Partition.minWireSize
            ),
            (
                "FetchRequest.Partition",
                FetchRequest.Partition(partition: 0, offset: 0, partitionMaxBytes: 0).wireSize,
                FetchRequest.Partition.minWireSize
            ),
            (
                "FetchResponse.Partition",
                FetchResponse.Partition(partition: 0, logStartOffset: 0, highWatermark: 0, records: []).wireSize,
                FetchResponse.Partition.minWireSize
            ),
            (
                "ListOffsetsRequest.Partition", ListOffsetsRequest.Partition(partition: 0, spec: .latest).wireSize,
                ListOffsetsRequest.Partition.minWireSize
            ),
            (
                "ListOffsetsResponse.Partition",
                ListOffsetsResponse.Partition(partition: 0, offset: 0, timestamp: 0).wireSize,
                ListOffsetsResponse.Partition.minWireSize
            ),
            (
                "CommitOffsetsRequest.Partition", CommitOffsetsRequest.Partition(partition: 0, offset: 0).wireSize,
                CommitOffsetsRequest.Partition.minWireSize
            ),
            (
                "CommitOffsetsResponse.Partition", CommitOffsetsResponse.Partition(partition: 0).wireSize,
                CommitOffsetsResponse.Partition.minWireSize
            ),
            (
                "FetchOffsetsResponse.Partition", FetchOffsetsResponse.Partition(partition: 0, offset: nil).wireSize,
                FetchOffsetsResponse.Partition.minWireSize
            ),
            (
                "DescribeTopicResponse.Partition",
                DescribeTopicResponse.Partition(partition: 0, logStartOffset: 0, nextOffset: 0, sizeBytes: nil)
                    .wireSize,
                DescribeTopicResponse.Partition.minWireSize
            ),
            ("TopicPartitions", empty.wireSize, TopicPartitions<Int32>.minWireSize),
            (
                "DescribeGroupResponse.Member",
                DescribeGroupResponse.Member(memberID: "", clientID: "", topics: [], owned: [], pending: []).wireSize,
                DescribeGroupResponse.Member.minWireSize
            ),
            (
                "DescribeGroupResponse.Partition",
                DescribeGroupResponse.Partition(partition: 0, owner: nil, committedOffset: nil, endOffset: 0, lag: nil)
                    .wireSize, DescribeGroupResponse.Partition.minWireSize
            ),
            (
                "ListGroupsResponse.Group",
                ListGroupsResponse.Group(name: "", state: .dead, memberCount: 0).wireSize(withType: false), 12
            ),
            (
                "ListGroupsResponse.Group v1",
                ListGroupsResponse.Group(name: "", state: .dead, memberCount: 0, type: "").wireSize(withType: true), 14
            ),
            (
                "AcknowledgementBatch", AcknowledgementBatch(firstOffset: 0, lastOffset: 0, kind: .accept).wireSize,
                AcknowledgementBatch.minWireSize
            ),
            (
                "PartitionAcknowledgements", PartitionAcknowledgements(partition: 0, batches: []).wireSize,
                PartitionAcknowledgements.minWireSize
            ),
            ("AcknowledgementResult", AcknowledgementResult(partition: 0).wireSize, AcknowledgementResult.minWireSize),
            (
                "AcquiredRecords", AcquiredRecords(firstOffset: 0, lastOffset: 0, deliveryCount: 0).wireSize,
                AcquiredRecords.minWireSize
            ),
            (
                "ShareFetchResponse.Partition",
                ShareFetchResponse.Partition(partition: 0, records: [], acquired: []).wireSize,
                ShareFetchResponse.Partition.minWireSize
            ),
            (
                "DescribeShareGroupResponse.Member",
                DescribeShareGroupResponse.Member(
                    memberID: "", clientID: "", memberEpoch: 0, topics: [], acquiredRecords: 0
                ).wireSize, DescribeShareGroupResponse.Member.minWireSize
            ),
            (
                "DescribeShareGroupResponse.Partition",
                DescribeShareGroupResponse.Partition(
                    partition: 0, startOffset: 0, endOffset: 0, inFlight: 0, acquired: 0, available: 0, delayed: 0,
                    deadLettered: 0, archived: 0
                ).wireSize, DescribeShareGroupResponse.Partition.minWireSize
            ),
            (
                "ResetOffsetsResponse.Partition", ResetOffsetsResponse.Partition(partition: 0, offset: 0).wireSize,
                ResetOffsetsResponse.Partition.minWireSize
            ),
            ("GroupState", GroupState.dead.wireSize, GroupState.minWireSize),
        ]
        for (name, smallest, declared) in sizes {
            #expect(smallest == declared, "\(name): smallest encoding \(smallest) bytes, minWireSize \(declared)")
        }
    }

    // MARK: - Helpers

    struct Outcomes: CustomStringConvertible {
        var decoded = 0
        var malformed = 0
        var unsupported = 0

        mutating func count(_ outcome: Outcome) {
            switch outcome {
            case .decoded: decoded += 1
            case .malformed: malformed += 1
            case .unsupported: unsupported += 1
            }
        }

        var description: String { "\(decoded) decoded, \(malformed) malformed, \(unsupported) unsupported" }
    }

    /// The bytes of every error message in `value`, found by reflection.
    static func errorMessageBytes(in value: Any) -> Int {
        if let error = value as? SluiceError { return error.message.utf8.count }
        return Mirror(reflecting: value).children.reduce(0) { $0 + errorMessageBytes(in: $1.value) }
    }

    /// How a damaged frame ended: decoded, refused as malformed, or (requests) refused for its API key or version,
    /// (responses) read as a top-level error.
    enum Outcome { case decoded, malformed, unsupported }

    /// Decodes a request body, expecting a `SluiceError` with a request-level code or a value that accounts for
    /// every byte of the body (so nothing was made up from a length the bytes do not back).
    func decodeRequest(_ body: [UInt8], case iteration: Int, sourceLocation: SourceLocation = #_sourceLocation)
        -> Outcome
    {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < Self.slowDecode, "case \(iteration) took \(elapsed)", sourceLocation: sourceLocation)
        }
        var buffer = ByteBuffer(bytes: body)
        do {
            let header = try RequestHeader.decode(from: &buffer)
            let request = try Request.decode(header: header, payload: &buffer)
            #expect(buffer.readableBytes == 0, sourceLocation: sourceLocation)
            #expect(
                RequestHeader.size + request.payloadSize == body.count,
                "case \(iteration): decoded \(request.apiKey.name) of \(request.payloadSize) bytes from \(body.count)",
                sourceLocation: sourceLocation)
            return .decoded
        } catch {
            switch error.code {
            case .malformedRequest: return .malformed
            case .unsupportedRequest, .unsupportedVersion: return .unsupported
            default:
                Issue.record(
                    "case \(iteration): unexpected \(error.code.name): \(error)", sourceLocation: sourceLocation)
                return .malformed
            }
        }
    }

    /// Decodes a response body (correlation id, error, payload) as the answer to a request of `key`; expects
    /// `.malformedRequest`, a top-level error the frame carries, or a value that accounts for every byte and
    /// encodes to itself.
    func decodeResponse(
        _ body: [UInt8], as key: APIKey, case iteration: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Outcome {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < Self.slowDecode, "case \(iteration) took \(elapsed)", sourceLocation: sourceLocation)
        }
        let frame: ResponseFrame
        do {
            frame = try ResponseFrame.decode(from: ByteBuffer(bytes: body))
        } catch {
            #expect(error.code == .malformedRequest, "case \(iteration): \(error)", sourceLocation: sourceLocation)
            return .malformed
        }
        if frame.error != nil { return .unsupported }
        do {
            let response = try frame.response(to: key)
            // Exact but for error messages: a null one reads as the code's name, an unknown code's gets its number.
            let messages = Self.errorMessageBytes(in: response)
            #expect(
                response.payloadSize - messages <= frame.payload.readableBytes,
                "case \(iteration): decoded \(key.name) of \(response.payloadSize) bytes from \(frame.payload.readableBytes)",
                sourceLocation: sourceLocation)
            var again = ByteBuffer()
            response.encode(into: &again)
            #expect(try Response.decode(apiKey: key, payload: &again) == response, sourceLocation: sourceLocation)
            return .decoded
        } catch {
            #expect(error.code == .malformedRequest, "case \(iteration): \(error)", sourceLocation: sourceLocation)
            return .malformed
        }
    }
}
