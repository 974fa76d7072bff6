import NIOCore

/// A decoded Kafka request body, one case per API Sluice answers.
package enum KafkaRequest: Sendable, Hashable {
    case produce(KafkaProduceRequest)
    case fetch(KafkaFetchRequest)
    case listOffsets(KafkaListOffsetsRequest)
    case metadata(KafkaMetadataRequest)
    case offsetCommit(KafkaOffsetCommitRequest)
    case offsetFetch(KafkaOffsetFetchRequest)
    case findCoordinator(KafkaFindCoordinatorRequest)
    case joinGroup(KafkaJoinGroupRequest)
    case heartbeat(KafkaHeartbeatRequest)
    case leaveGroup(KafkaLeaveGroupRequest)
    case syncGroup(KafkaSyncGroupRequest)
    case apiVersions(KafkaApiVersionsRequest)
    case createTopics(KafkaCreateTopicsRequest)
    case deleteTopics(KafkaDeleteTopicsRequest)
    case initProducerId(KafkaInitProducerIdRequest)
    case saslHandshake(KafkaSaslHandshakeRequest)
    case saslAuthenticate(KafkaSaslAuthenticateRequest)
    case shareGroupHeartbeat(KafkaShareGroupHeartbeatRequest)
    case shareGroupDescribe(KafkaShareGroupDescribeRequest)
    case shareFetch(KafkaShareFetchRequest)
    case shareAcknowledge(KafkaShareAcknowledgeRequest)
    case describeGroups(KafkaDescribeGroupsRequest)
    case listGroups(KafkaListGroupsRequest)
    case deleteRecords(KafkaDeleteRecordsRequest)
    case offsetForLeaderEpoch(KafkaOffsetForLeaderEpochRequest)
    case describeConfigs(KafkaDescribeConfigsRequest)
    case alterConfigs(KafkaAlterConfigsRequest)
    case describeLogDirs(KafkaDescribeLogDirsRequest)
    case createPartitions(KafkaCreatePartitionsRequest)
    case deleteGroups(KafkaDeleteGroupsRequest)
    case incrementalAlterConfigs(KafkaIncrementalAlterConfigsRequest)
    case offsetDelete(KafkaOffsetDeleteRequest)
    case describeCluster(KafkaDescribeClusterRequest)
    case consumerGroupHeartbeat(KafkaConsumerGroupHeartbeatRequest)
    case consumerGroupDescribe(KafkaConsumerGroupDescribeRequest)

    /// Decodes one frame (as yielded by `KafkaFrameDecoder`): the header, then the body if its API key and
    /// version are in `KafkaAPIVersions.supported`.
    ///
    /// - Returns: the header, and `request == nil` for an unknown key or unsupported version. The adapter
    ///   answers ApiVersions with `KafkaApiVersionsResponse.unsupportedVersion` encoded at v0, and closes the
    ///   connection for anything else.
    /// - Throws: `KafkaDecodeError` if the header or a supported body is malformed, including bytes left over
    ///   after the body. Close the connection.
    package static func decode(frame: ByteBuffer) throws(KafkaDecodeError) -> (
        header: KafkaRequestHeader, request: KafkaRequest?
    ) {
        var buffer = frame
        let header = try KafkaRequestHeader.decode(from: &buffer)
        guard KafkaAPIVersions.isSupported(apiKey: header.apiKey, version: header.apiVersion),
            let key = KafkaAPIKey(rawValue: header.apiKey)
        else { return (header, nil) }
        let request = try decodeBody(key: key, version: header.apiVersion, from: &buffer)
        try buffer.expectKafkaEnd("request body")
        return (header, request)
    }

    /// Decodes a body of a known key at `version` (which the caller has checked is supported).
    static func decodeBody(key: KafkaAPIKey, version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError)
        -> KafkaRequest
    {
        switch key {
        case .produce: .produce(try .decode(version: version, from: &buffer))
        case .fetch: .fetch(try .decode(version: version, from: &buffer))
        case .listOffsets: .listOffsets(try .decode(version: version, from: &buffer))
        case .metadata: .metadata(try .decode(version: version, from: &buffer))
        case .offsetCommit: .offsetCommit(try .decode(version: version, from: &buffer))
        case .offsetFetch: .offsetFetch(try .decode(version: version, from: &buffer))
        case .findCoordinator: .findCoordinator(try .decode(version: version, from: &buffer))
        case .joinGroup: .joinGroup(try .decode(version: version, from: &buffer))
        case .heartbeat: .heartbeat(try .decode(version: version, from: &buffer))
        case .leaveGroup: .leaveGroup(try .decode(version: version, from: &buffer))
        case .syncGroup: .syncGroup(try .decode(version: version, from: &buffer))
        case .apiVersions: .apiVersions(try .decode(version: version, from: &buffer))
        case .createTopics: .createTopics(try .decode(version: version, from: &buffer))
        case .deleteTopics: .deleteTopics(try .decode(version: version, from: &buffer))
        case .initProducerId: .initProducerId(try .decode(version: version, from: &buffer))
        case .saslHandshake: .saslHandshake(try .decode(version: version, from: &buffer))
        case .saslAuthenticate: .saslAuthenticate(try .decode(version: version, from: &buffer))
        case .shareGroupHeartbeat: .shareGroupHeartbeat(try .decode(version: version, from: &buffer))
        case .shareGroupDescribe: .shareGroupDescribe(try .decode(version: version, from: &buffer))
        case .shareFetch: .shareFetch(try .decode(version: version, from: &buffer))
        case .shareAcknowledge: .shareAcknowledge(try .decode(version: version, from: &buffer))
        case .describeGroups: .describeGroups(try .decode(version: version, from: &buffer))
        case .listGroups: .listGroups(try .decode(version: version, from: &buffer))
        case .deleteRecords: .deleteRecords(try .decode(version: version, from: &buffer))
        case .offsetForLeaderEpoch: .offsetForLeaderEpoch(try .decode(version: version, from: &buffer))
        case .describeConfigs: .describeConfigs(try .decode(version: version, from: &buffer))
        case .alterConfigs: .alterConfigs(try .decode(version: version, from: &buffer))
        case .describeLogDirs: .describeLogDirs(try .decode(version: version, from: &buffer))
        case .createPartitions: .createPartitions(try .decode(version: version, from: &buffer))
        case .deleteGroups: .deleteGroups(try .decode(version: version, from: &buffer))
        case .incrementalAlterConfigs: .incrementalAlterConfigs(try .decode(version: version, from: &buffer))
        case .offsetDelete: .offsetDelete(try .decode(version: version, from: &buffer))
        case .describeCluster: .describeCluster(try .decode(version: version, from: &buffer))
        case .consumerGroupHeartbeat: .consumerGroupHeartbeat(try .decode(version: version, from: &buffer))
        case .consumerGroupDescribe: .consumerGroupDescribe(try .decode(version: version, from: &buffer))
        }
    }

    /// The API key of this request.
    package var apiKey: KafkaAPIKey {
        switch self {
        case .produce: .produce
        case .fetch: .fetch
        case .listOffsets: .listOffsets
        case .metadata: .metadata
        case .offsetCommit: .offsetCommit
        case .offsetFetch: .offsetFetch
        case .findCoordinator: .findCoordinator
        case .joinGroup: .joinGroup
        case .heartbeat: .heartbeat
        case .leaveGroup: .leaveGroup
        case .syncGroup: .syncGroup
        case .apiVersions: .apiVersions
        case .createTopics: .createTopics
        case .deleteTopics: .deleteTopics
        case .initProducerId: .initProducerId
        case .saslHandshake: .saslHandshake
        case .saslAuthenticate: .saslAuthenticate
        case .shareGroupHeartbeat: .shareGroupHeartbeat
        case .shareGroupDescribe: .shareGroupDescribe
        case .shareFetch: .shareFetch
        case .shareAcknowledge: .shareAcknowledge
        case .describeGroups: .describeGroups
        case .listGroups: .listGroups
        case .deleteRecords: .deleteRecords
        case .offsetForLeaderEpoch: .offsetForLeaderEpoch
        case .describeConfigs: .describeConfigs
        case .alterConfigs: .alterConfigs
        case .describeLogDirs: .describeLogDirs
        case .createPartitions: .createPartitions
        case .deleteGroups: .deleteGroups
        case .incrementalAlterConfigs: .incrementalAlterConfigs
        case .offsetDelete: .offsetDelete
        case .describeCluster: .describeCluster
        case .consumerGroupHeartbeat: .consumerGroupHeartbeat
        case .consumerGroupDescribe: .consumerGroupDescribe
        }
    }

    /// Encodes the body at `version` (the inverse of decoding), for tests and tools.
    func encodeBody(version: Int16, into buffer: inout ByteBuffer) {
        switch self {
        case .produce(let r): r.encode(version: version, into: &buffer)
        case .fetch(let r): r.encode(version: version, into: &buffer)
        case .listOffsets(let r): r.encode(version: version, into: &buffer)
        case .metadata(let r): r.encode(version: version, into: &buffer)
        case .offsetCommit(let r): r.encode(version: version, into: &buffer)
        case .offsetFetch(let r): r.encode(version: version, into: &buffer)
        case .findCoordinator(let r): r.encode(version: version, into: &buffer)
        case .joinGroup(let r): r.encode(version: version, into: &buffer)
        case .heartbeat(let r): r.encode(version: version, into: &buffer)
        case .leaveGroup(let r): r.encode(version: version, into: &buffer)
        case .syncGroup(let r): r.encode(version: version, into: &buffer)
        case .apiVersions(let r): r.encode(version: version, into: &buffer)
        case .createTopics(let r): r.encode(version: version, into: &buffer)
        case .deleteTopics(let r): r.encode(version: version, into: &buffer)
        case .initProducerId(let r): r.encode(version: version, into: &buffer)
        case .saslHandshake(let r): r.encode(version: version, into: &buffer)
        case .saslAuthenticate(let r): r.encode(version: version, into: &buffer)
        case .shareGroupHeartbeat(let r): r.encode(version: version, into: &buffer)
        case .shareGroupDescribe(let r): r.encode(version: version, into: &buffer)
        case .shareFetch(let r): r.encode(version: version, into: &buffer)
        case .shareAcknowledge(let r): r.encode(version: version, into: &buffer)
        case .describeGroups(let r): r.encode(version: version, into: &buffer)
        case .listGroups(let r): r.encode(version: version, into: &buffer)
        case .deleteRecords(let r): r.encode(version: version, into: &buffer)
        case .offsetForLeaderEpoch(let r): r.encode(version: version, into: &buffer)
        case .describeConfigs(let r): r.encode(version: version, into: &buffer)
        case .alterConfigs(let r): r.encode(version: version, into: &buffer)
        case .describeLogDirs(let r): r.encode(version: version, into: &buffer)
        case .createPartitions(let r): r.encode(version: version, into: &buffer)
        case .deleteGroups(let r): r.encode(version: version, into: &buffer)
        case .incrementalAlterConfigs(let r): r.encode(version: version, into: &buffer)
        case .offsetDelete(let r): r.encode(version: version, into: &buffer)
        case .describeCluster(let r): r.encode(version: version, into: &buffer)
        case .consumerGroupHeartbeat(let r): r.encode(version: version, into: &buffer)
        case .consumerGroupDescribe(let r): r.encode(version: version, into: &buffer)
        }
    }
}
