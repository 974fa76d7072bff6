import NIOCore
import SluiceCore

/// The fields that open every request body: `int16 apiKey, int16 apiVersion, int32 correlationId`.
package struct RequestHeader: Sendable, Hashable {
    /// Raw, so that a request with an unknown key can still be answered under its correlation id.
    package var apiKey: Int16
    package var apiVersion: Int16
    /// Chosen by the client and copied into the response, which may come out of order.
    package var correlationID: Int32

    package static let size = 8

    package init(apiKey: Int16, apiVersion: Int16, correlationID: Int32) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
    }

    /// Reads the header from a frame body, leaving the reader index at the payload.
    ///
    /// Throws `.malformedRequest` if the body is shorter than a header; there is then no correlation id to answer
    /// under (see `Response.connectionErrorCorrelationID`).
    package static func decode(from body: inout ByteBuffer) throws(SluiceError) -> RequestHeader {
        guard body.readableBytes >= size else {
            throw .malformed("request of \(body.readableBytes) bytes is shorter than a request header")
        }
        return RequestHeader(
            apiKey: try body.readInt16(), apiVersion: try body.readInt16(), correlationID: try body.readInt32())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt16(apiKey)
        buffer.writeInt16(apiVersion)
        buffer.writeInt32(correlationID)
    }
}

/// A decoded request: one case per API.
package enum Request: Sendable, Equatable {
    case apiVersions(APIVersionsRequest)
    case metadata(MetadataRequest)
    case createTopic(CreateTopicRequest)
    case deleteTopic(DeleteTopicRequest)
    case describeTopic(DescribeTopicRequest)
    case alterTopic(AlterTopicRequest)
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case commitOffsets(CommitOffsetsRequest)
    case fetchOffsets(FetchOffsetsRequest)
    case joinGroup(JoinGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case describeGroup(DescribeGroupRequest)
    case listGroups(ListGroupsRequest)
    case deleteGroup(DeleteGroupRequest)
    case resetOffsets(ResetOffsetsRequest)
    case stats(StatsRequest)
    case initProducerID(InitProducerIDRequest)
    case backup(BackupRequest)
    case deleteRecords(DeleteRecordsRequest)

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

    /// The version the request is encoded at: the lowest that carries everything in it (produce is at version 1
    /// only when a partition carries sequence numbers, heartbeat only when it carries `maxWaitMs`), so that old
    /// servers understand whatever they can.
    package var apiVersion: Int16 {
        switch self {
        case .produce(let produce): produce.wireVersion
        case .heartbeat(let heartbeat): heartbeat.wireVersion
        default: 0
        }
    }

    /// Whether the server answers this request: false only for a produce with `acks` = `.noResponse`.
    package var expectsResponse: Bool {
        if case .produce(let produce) = self { return produce.acks != .noResponse }
        return true
    }

    /// Decodes the payload that follows `header` in a request body, which must hold nothing else.
    ///
    /// Throws `.unsupportedRequest` for an unknown API key, `.unsupportedVersion` for a version outside
    /// `APIKey.supportedVersions`, and `.malformedRequest` for a payload that is short, invalid or followed by more
    /// bytes. The caller answers any of them with `Response.encodeErrorFrame` under `header.correlationID`.
    package static func decode(header: RequestHeader, payload: inout ByteBuffer) throws(SluiceError) -> Request {
        guard let key = APIKey(rawValue: header.apiKey) else {
            throw SluiceError(.unsupportedRequest, "unknown API key \(header.apiKey)")
        }
        guard key.supportedVersions.contains(header.apiVersion) else {
            throw SluiceError(
                .unsupportedVersion,
                "\(key.name) version \(header.apiVersion) is not supported; supported versions are "
                    + "\(key.supportedVersions.lowerBound) to \(key.supportedVersions.upperBound)")
        }
        do throws(SluiceError) {
            let request = try read(key, version: header.apiVersion, from: &payload)
            if payload.readableBytes > 0 { throw .malformed("\(payload.readableBytes) bytes follow the payload") }
            return request
        } catch {
            throw SluiceError(error.code, "malformed \(key.name) request: \(error.message)")
        }
    }

    private static func read(_ key: APIKey, version: Int16, from payload: inout ByteBuffer) throws(SluiceError)
        -> Request
    {
        switch key {
        case .apiVersions: .apiVersions(try .read(from: &payload))
        case .metadata: .metadata(try .read(from: &payload))
        case .createTopic: .createTopic(try .read(from: &payload))
        case .deleteTopic: .deleteTopic(try .read(from: &payload))
        case .describeTopic: .describeTopic(try .read(from: &payload))
        case .alterTopic: .alterTopic(try .read(from: &payload))
        case .produce: .produce(try .read(from: &payload, version: version))
        case .fetch: .fetch(try .read(from: &payload))
        case .listOffsets: .listOffsets(try .read(from: &payload))
        case .commitOffsets: .commitOffsets(try .read(from: &payload))
        case .fetchOffsets: .fetchOffsets(try .read(from: &payload))
        case .joinGroup: .joinGroup(try .read(from: &payload))
        case .heartbeat: .heartbeat(try .read(from: &payload, version: version))
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
        case .apiVersions(let request): request.write(to: &buffer)
        case .metadata(let request): request.write(to: &buffer)
        case .createTopic(let request): request.write(to: &buffer)
        case .deleteTopic(let request): request.write(to: &buffer)
        case .describeTopic(let request): request.write(to: &buffer)
        case .alterTopic(let request): request.write(to: &buffer)
        case .produce(let request): request.write(to: &buffer)
        case .fetch(let request): request.write(to: &buffer)
        case .listOffsets(let request): request.write(to: &buffer)
        case .commitOffsets(let request): request.write(to: &buffer)
        case .fetchOffsets(let request): request.write(to: &buffer)
        case .joinGroup(let request): request.write(to: &buffer)
        case .heartbeat(let request): request.write(to: &buffer)
        case .leaveGroup(let request): request.write(to: &buffer)
        case .describeGroup(let request): request.write(to: &buffer)
        case .listGroups(let request): request.write(to: &buffer)
        case .deleteGroup(let request): request.write(to: &buffer)
        case .resetOffsets(let request): request.write(to: &buffer)
        case .stats(let request): request.write(to: &buffer)
        case .initProducerID(let request): request.write(to: &buffer)
        case .backup(let request): request.write(to: &buffer)
        case .deleteRecords(let request): request.write(to: &buffer)
        }
    }

    /// The number of bytes `encode(into:)` appends.
    var payloadSize: Int {
        switch self {
        case .apiVersions(let request): request.wireSize
        case .metadata(let request): request.wireSize
        case .createTopic(let request): request.wireSize
        case .deleteTopic(let request): request.wireSize
        case .describeTopic(let request): request.wireSize
        case .alterTopic(let request): request.wireSize
        case .produce(let request): request.wireSize
        case .fetch(let request): request.wireSize
        case .listOffsets(let request): request.wireSize
        case .commitOffsets(let request): request.wireSize
        case .fetchOffsets(let request): request.wireSize
        case .joinGroup(let request): request.wireSize
        case .heartbeat(let request): request.wireSize
        case .leaveGroup(let request): request.wireSize
        case .describeGroup(let request): request.wireSize
        case .listGroups(let request): request.wireSize
        case .deleteGroup(let request): request.wireSize
        case .resetOffsets(let request): request.wireSize
        case .stats(let request): request.wireSize
        case .initProducerID(let request): request.wireSize
        case .backup(let request): request.wireSize
        case .deleteRecords(let request): request.wireSize
        }
    }

    /// Appends a whole request frame: length prefix, header (at `apiVersion`) and payload.
    package func encodeFrame(correlationID: Int32, into buffer: inout ByteBuffer) {
        encodeFrame(correlationID: correlationID, payloadSize: payloadSize, into: &buffer)
    }

    /// A new buffer holding the whole request frame.
    package func frame(correlationID: Int32, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let payloadSize = payloadSize
        var buffer = allocator.buffer(capacity: 4 + RequestHeader.size + payloadSize)
        encodeFrame(correlationID: correlationID, payloadSize: payloadSize, into: &buffer)
        return buffer
    }

    private func encodeFrame(correlationID: Int32, payloadSize: Int, into buffer: inout ByteBuffer) {
        let header = RequestHeader(
            apiKey: apiKey.rawValue, apiVersion: apiVersion, correlationID: correlationID)
        buffer.writeFrame(bodySize: RequestHeader.size + payloadSize) { buffer in
            header.write(to: &buffer)
            encode(into: &buffer)
        }
    }
}

extension ByteBuffer {
    /// Writes a `uint32` length prefix and the body `writeBody` appends, reserving `bodySize` bytes up front.
    ///
    /// The prefix is patched in after the body, so a wrong `bodySize` costs a reallocation, never a broken frame.
    mutating func writeFrame(bodySize: Int, _ writeBody: (inout ByteBuffer) -> Void) {
        reserveCapacity(minimumWritableBytes: 4 + bodySize)
        let lengthIndex = writerIndex
        writeInteger(UInt32(0), endianness: .big)
        writeBody(&self)
        let length = writerIndex - lengthIndex - 4
        setInteger(UInt32(length), at: lengthIndex, endianness: .big)
    }
}
