import NIOCore
import SluiceCore

/// A successful response: one case per API.
///
/// A failed request has no `Response`: its frame carries a top-level error code instead of a payload
/// (`Response.encodeErrorFrame`, `ResponseFrame.error`).
package enum Response: Sendable, Equatable {
    case apiVersions(APIVersionsResponse)
    case metadata(MetadataResponse)
    case createTopic(CreateTopicResponse)
    case deleteTopic(DeleteTopicResponse)
    case describeTopic(DescribeTopicResponse)
    case alterTopic(AlterTopicResponse)
    case produce(ProduceResponse)
    case fetch(FetchResponse)
    case listOffsets(ListOffsetsResponse)
    case commitOffsets(CommitOffsetsResponse)
    case fetchOffsets(FetchOffsetsResponse)
    case joinGroup(MemberAssignment)
    case heartbeat(MemberAssignment)
    case leaveGroup(LeaveGroupResponse)
    case describeGroup(DescribeGroupResponse)
    case listGroups(ListGroupsResponse)
    case deleteGroup(DeleteGroupResponse)
    case resetOffsets(ResetOffsetsResponse)
    case stats(StatsResponse)
    case initProducerID(InitProducerIDResponse)
    case backup(BackupResponse)
    case deleteRecords(DeleteRecordsResponse)

    /// The correlation id of an error that concerns the connection rather than one request (an oversized frame,
    /// a body too short for a header). The server closes the connection after sending it.
    package static let connectionErrorCorrelationID: Int32 = -1

    /// The size of `int32 correlationId, int16 errorCode` and a null error message.
    static let successHeaderSize = 8

    /// The size of a success response's body before its payload.
    package static var headerBytes: Int { successHeaderSize }

    package var apiKey: APIKey {
        switch self {
        case .apiVersions: .apiVersions
        case .metadata: .metadata
        case .createTopic: .createTopic
        case .deleteTopic: .deleteTopic
        case .describeTopic: .describeTopic
        case .alterTopic: .alterTopic
        case .produce: .produce
        case .fetch: .fetch
        case .listOffsets: .listOffsets
        case .commitOffsets: .commitOffsets
        case .fetchOffsets: .fetchOffsets
        case .joinGroup: .joinGroup
        case .heartbeat: .heartbeat
        case .leaveGroup: .leaveGroup
        case .describeGroup: .describeGroup
        case .listGroups: .listGroups
        case .deleteGroup: .deleteGroup
        case .resetOffsets: .resetOffsets
        case .stats: .stats
        case .initProducerID: .initProducerID
        case .backup: .backup
        case .deleteRecords: .deleteRecords
        }
    }

    /// Decodes a success payload for a request of `apiKey`; the payload must hold nothing else.
    ///
    /// Throws `.malformedRequest` for a payload that is short, invalid or followed by more bytes.
    package static func decode(apiKey: APIKey, payload: inout ByteBuffer) throws(SluiceError) -> Response {
        do throws(SluiceError) {
            let response = try read(apiKey, from: &payload)
            if payload.readableBytes > 0 { throw .malformed("\(payload.readableBytes) bytes follow the payload") }
            return response
        } catch {
            throw SluiceError(error.code, "malformed \(apiKey.name) response: \(error.message)")
        }
    }

    private static func read(_ key: APIKey, from payload: inout ByteBuffer) throws(SluiceError) -> Response {
        switch key {
        case .apiVersions: .apiVersions(try .read(from: &payload))
        case .metadata: .metadata(try .read(from: &payload))
        case .createTopic: .createTopic(try .read(from: &payload))
        case .deleteTopic: .deleteTopic(try .read(from: &payload))
        case .describeTopic: .describeTopic(try .read(from: &payload))
        case .alterTopic: .alterTopic(try .read(from: &payload))
        case .produce: .produce(try .read(from: &payload))
        case .fetch: .fetch(try .read(from: &payload))
        case .listOffsets: .listOffsets(try .read(from: &payload))
        case .commitOffsets: .commitOffsets(try .read(from: &payload))
        case .fetchOffsets: .fetchOffsets(try .read(from: &payload))
        case .joinGroup: .joinGroup(try .read(from: &payload))
        case .heartbeat: .heartbeat(try .read(from: &payload))
        case .leaveGroup: .leaveGroup(try .read(from: &payload))
        case .describeGroup: .describeGroup(try .read(from: &payload))
        case .listGroups: .listGroups(try .read(from: &payload))
        case .deleteGroup: .deleteGroup(try .read(from: &payload))
        case .resetOffsets: .resetOffsets(try .read(from: &payload))
        case .stats: .stats(try .read(from: &payload))
        case .initProducerID: .initProducerID(try .read(from: &payload))
        case .backup: .backup(try .read(from: &payload))
        case .deleteRecords: .deleteRecords(try .read(from: &payload))
        }
    }

    /// Appends the payload alone: no length prefix, no header.
    package func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .apiVersions(let response): response.write(to: &buffer)
        case .metadata(let response): response.write(to: &buffer)
        case .createTopic(let response): response.write(to: &buffer)
        case .deleteTopic(let response): response.write(to: &buffer)
        case .describeTopic(let response): response.write(to: &buffer)
        case .alterTopic(let response): response.write(to: &buffer)
        case .produce(let response): response.write(to: &buffer)
        case .fetch(let response): response.write(to: &buffer)
        case .listOffsets(let response): response.write(to: &buffer)
        case .commitOffsets(let response): response.write(to: &buffer)
        case .fetchOffsets(let response): response.write(to: &buffer)
        case .joinGroup(let response): response.write(to: &buffer)
        case .heartbeat(let response): response.write(to: &buffer)
        case .leaveGroup(let response): response.write(to: &buffer)
        case .describeGroup(let response): response.write(to: &buffer)
        case .listGroups(let response): response.write(to: &buffer)
        case .deleteGroup(let response): response.write(to: &buffer)
        case .resetOffsets(let response): response.write(to: &buffer)
        case .stats(let response): response.write(to: &buffer)
        case .initProducerID(let response): response.write(to: &buffer)
        case .backup(let response): response.write(to: &buffer)
        case .deleteRecords(let response): response.write(to: &buffer)
        }
    }

    /// The number of bytes `encode(into:)` appends.
    var payloadSize: Int {
        switch self {
        case .apiVersions(let response): response.wireSize
        case .metadata(let response): response.wireSize
        case .createTopic(let response): response.wireSize
        case .deleteTopic(let response): response.wireSize
        case .describeTopic(let response): response.wireSize
        case .alterTopic(let response): response.wireSize
        case .produce(let response): response.wireSize
        case .fetch(let response): response.wireSize
        case .listOffsets(let response): response.wireSize
        case .commitOffsets(let response): response.wireSize
        case .fetchOffsets(let response): response.wireSize
        case .joinGroup(let response): response.wireSize
        case .heartbeat(let response): response.wireSize
        case .leaveGroup(let response): response.wireSize
        case .describeGroup(let response): response.wireSize
        case .listGroups(let response): response.wireSize
        case .deleteGroup(let response): response.wireSize
        case .resetOffsets(let response): response.wireSize
        case .stats(let response): response.wireSize
        case .initProducerID(let response): response.wireSize
        case .backup(let response): response.wireSize
        case .deleteRecords(let response): response.wireSize
        }
    }

    /// The size of the frame body `encodeFrame` writes, computed without encoding anything.
    package var frameBodySize: Int { Self.successHeaderSize + payloadSize }

    /// Appends a whole success frame, or throws `.frameTooLarge` (writing nothing) when its body would be longer
    /// than `maxBodySize` or than a frame can say (`Int32.max`): the size is computed before anything is encoded.
    package func encodeFrame(correlationID: Int32, maxBodySize: Int, into buffer: inout ByteBuffer)
        throws(SluiceError)
    {
        let size = frameBodySize
        let limit = min(maxBodySize, Int(Int32.max))
        if size > limit {
            throw SluiceError(
                .frameTooLarge,
                "the \(apiKey.name) response would be \(size) bytes, over the limit of \(limit)")
        }
        encodeFrame(correlationID: correlationID, into: &buffer)
    }

    /// Appends a whole success frame: length prefix, correlation id, error code 0, null message and payload. The
    /// body must fit a frame (`encodeFrame(correlationID:maxBodySize:into:)` checks it).
    package func encodeFrame(correlationID: Int32, into buffer: inout ByteBuffer) {
        buffer.writeFrame(bodySize: Self.successHeaderSize + payloadSize) { buffer in
            buffer.writeInt32(correlationID)
            buffer.writeError(nil)
            encode(into: &buffer)
        }
    }

    /// Appends a whole error frame: length prefix, correlation id, the error's code and message, no payload.
    package static func encodeErrorFrame(correlationID: Int32, error: SluiceError, into buffer: inout ByteBuffer) {
        buffer.writeFrame(bodySize: 4 + WireSize.error(error)) { buffer in
            buffer.writeInt32(correlationID)
            buffer.writeError(error)
        }
    }
}

/// A response body split into its header fields and its still-encoded payload.
package struct ResponseFrame: Sendable, Equatable {
    package var correlationID: Int32
    /// The top-level error: the whole request failed. `nil` when the error code is 0.
    package var error: SluiceError?
    /// The bytes after the header: the payload when `error` is `nil`.
    package var payload: ByteBuffer

    package init(correlationID: Int32, error: SluiceError?, payload: ByteBuffer) {
        self.correlationID = correlationID
        self.error = error
        self.payload = payload
    }

    /// Reads `int32 correlationId, int16 errorCode, nullable string errorMessage` from a frame body
    /// (as `FrameDecoder` yields it); throws `.malformedRequest` if they are short or invalid.
    package static func decode(from body: ByteBuffer) throws(SluiceError) -> ResponseFrame {
        var payload = body
        do throws(SluiceError) {
            let correlationID = try payload.readInt32()
            let error = try payload.readError()
            return ResponseFrame(correlationID: correlationID, error: error, payload: payload)
        } catch {
            throw SluiceError(error.code, "malformed response header: \(error.message)")
        }
    }

    /// The decoded response to a request of `apiKey`; throws `error` if there is one, or `.malformedRequest`.
    package func response(to apiKey: APIKey) throws(SluiceError) -> Response {
        if let error { throw error }
        var payload = payload
        return try Response.decode(apiKey: apiKey, payload: &payload)
    }
}
