import NIOCore

/// DescribeCluster request (key 60), v0–1; flexible in every version. v1 adds the endpoint type (KIP-919:
/// 1 brokers, 2 controllers).
package struct KafkaDescribeClusterRequest: Sendable, Hashable {
    package var includeClusterAuthorizedOperations: Bool
    /// v1+; 1 when not sent.
    package var endpointType: Int8

    package init(includeClusterAuthorizedOperations: Bool = false, endpointType: Int8 = 1) {
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.endpointType = endpointType
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        var request = Self(
            includeClusterAuthorizedOperations: try buffer.readKafkaBool("include_authorized_operations"))
        if version >= 1 { request.endpointType = try buffer.readKafkaInt8("endpoint_type") }
        try buffer.skipKafkaTaggedFields()
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaBool(includeClusterAuthorizedOperations)
        if version >= 1 { buffer.writeKafkaInt8(endpointType) }
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// DescribeCluster response, v0–1.
package struct KafkaDescribeClusterResponse: KafkaResponse, Hashable {
    package struct Broker: Sendable, Hashable {
        package var brokerId: Int32
        package var host: String
        package var port: Int32
        package var rack: String?

        package init(brokerId: Int32, host: String, port: Int32, rack: String? = nil) {
            self.brokerId = brokerId
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    /// v1+.
    package var endpointType: Int8
    package var clusterId: String
    package var controllerId: Int32
    package var brokers: [Broker]
    package var clusterAuthorizedOperations: Int32

    package init(
        throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
        endpointType: Int8 = 1, clusterId: String, controllerId: Int32, brokers: [Broker],
        clusterAuthorizedOperations: Int32 = .min
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.endpointType = endpointType
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaCompactString(errorMessage)
        if version >= 1 { buffer.writeKafkaInt8(endpointType) }
        buffer.writeKafkaCompactString(clusterId)
        buffer.writeKafkaInt32(controllerId)
        buffer.writeVersionedArray(brokers, true) { buffer, broker in
            buffer.writeKafkaInt32(broker.brokerId)
            buffer.writeKafkaCompactString(broker.host)
            buffer.writeKafkaInt32(broker.port)
            buffer.writeKafkaCompactString(broker.rack)
            buffer.writeKafkaEmptyTaggedFields()
        }
        buffer.writeKafkaInt32(clusterAuthorizedOperations)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// DescribeLogDirs request (key 35), v0–4; flexible from v2. Topics nil: every partition.
package struct KafkaDescribeLogDirsRequest: Sendable, Hashable {
    package var topics: [KafkaTopic<Int32>]?

    package init(topics: [KafkaTopic<Int32>]?) { self.topics = topics }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 2
        let topics = try buffer.readVersionedNullableArray(flexible, minElementSize: 2, "topics") {
            buffer throws(KafkaDecodeError) in
            let topic = KafkaTopic(
                name: try buffer.readVersionedString(flexible, "topic"),
                partitions: try buffer.readVersionedInt32Array(flexible, "partitions"))
            try buffer.readVersionedTags(flexible)
            return topic
        }
        try buffer.readVersionedTags(flexible)
        return Self(topics: topics)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeVersionedNullableArray(topics, flexible) { buffer, topic in
            buffer.writeVersionedString(topic.name, flexible)
            buffer.writeVersionedInt32Array(topic.partitions, flexible)
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// DescribeLogDirs response, v0–4: per log directory, each partition's size. v3 adds a top-level error, v4 the
/// directory's total and usable bytes.
package struct KafkaDescribeLogDirsResponse: KafkaResponse, Hashable {
    package struct Partition: Sendable, Hashable {
        package var partitionIndex: Int32
        package var partitionSize: Int64
        package var offsetLag: Int64
        package var isFutureKey: Bool

        package init(partitionIndex: Int32, partitionSize: Int64, offsetLag: Int64 = 0, isFutureKey: Bool = false) {
            self.partitionIndex = partitionIndex
            self.partitionSize = partitionSize
            self.offsetLag = offsetLag
            self.isFutureKey = isFutureKey
        }
    }

    package struct Result: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var logDir: String
        package var topics: [KafkaTopic<Partition>]
        /// v4+; -1 unknown.
        package var totalBytes: Int64
        package var usableBytes: Int64

        package init(
            errorCode: KafkaErrorCode = .none, logDir: String, topics: [KafkaTopic<Partition>],
            totalBytes: Int64 = -1, usableBytes: Int64 = -1
        ) {
            self.errorCode = errorCode
            self.logDir = logDir
            self.topics = topics
            self.totalBytes = totalBytes
            self.usableBytes = usableBytes
        }
    }

    package var throttleTimeMs: Int32
    /// v3+.
    package var errorCode: KafkaErrorCode
    package var results: [Result]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.results = results
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeKafkaInt32(throttleTimeMs)
        if version >= 3 { buffer.writeKafkaInt16(errorCode.rawValue) }
        buffer.writeVersionedArray(results, flexible) { buffer, result in
            buffer.writeKafkaInt16(result.errorCode.rawValue)
            buffer.writeVersionedString(result.logDir, flexible)
            buffer.writeVersionedArray(result.topics, flexible) { buffer, topic in
                buffer.writeVersionedString(topic.name, flexible)
                buffer.writeVersionedArray(topic.partitions, flexible) { buffer, partition in
                    buffer.writeKafkaInt32(partition.partitionIndex)
                    buffer.writeKafkaInt64(partition.partitionSize)
                    buffer.writeKafkaInt64(partition.offsetLag)
                    buffer.writeKafkaBool(partition.isFutureKey)
                    buffer.writeVersionedTags(flexible)
                }
                buffer.writeVersionedTags(flexible)
            }
            if version >= 4 {
                buffer.writeKafkaInt64(result.totalBytes)
                buffer.writeKafkaInt64(result.usableBytes)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}
