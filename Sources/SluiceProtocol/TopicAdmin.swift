import NIOCore
import SluiceCore

// Create, delete, describe and alter a topic (API keys 2 to 5).

/// Creates a topic (API key 2).
///
/// On the wire: `string name, int32 partitions, array<configEntry> configs`. Settings not named take their defaults.
package struct CreateTopicRequest: Sendable, Equatable {
    package var name: String
    package var partitions: Int32
    package var configs: [ConfigEntry]

    package init(name: String, partitions: Int32, configs: [ConfigEntry] = []) {
        self.name = name
        self.partitions = partitions
        self.configs = configs
    }
}

/// The topic was created. Empty payload.
package struct CreateTopicResponse: Sendable, Equatable {
    package init() {}
}

/// Deletes a topic and all its records (API key 3).
///
/// On the wire: `string name`.
package struct DeleteTopicRequest: Sendable, Equatable {
    package var name: String

    package init(name: String) {
        self.name = name
    }
}

/// The topic was deleted. Empty payload.
package struct DeleteTopicResponse: Sendable, Equatable {
    package init() {}
}

/// Asks for one topic's settings and partitions (API key 4).
///
/// On the wire: `string name`.
package struct DescribeTopicRequest: Sendable, Equatable {
    package var name: String

    package init(name: String) {
        self.name = name
    }
}

/// A topic's settings and partitions.
///
/// On the wire: `string name, int32 partitionCount, array<configEntry> configs,
/// array<(int32 partition, int64 logStartOffset, int64 nextOffset, int64 sizeBytes)> partitions`.
package struct DescribeTopicResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        package var logStartOffset: Int64
        package var nextOffset: Int64
        /// Bytes of record data stored; `nil` (-1 on the wire) when unknown.
        package var sizeBytes: Int64?

        package init(partition: Int32, logStartOffset: Int64, nextOffset: Int64, sizeBytes: Int64?) {
            self.partition = partition
            self.logStartOffset = logStartOffset
            self.nextOffset = nextOffset
            self.sizeBytes = sizeBytes
        }
    }

    package var name: String
    package var partitionCount: Int32
    /// Every setting with its current value (`TopicConfig.configEntries`).
    package var configs: [ConfigEntry]
    package var partitions: [Partition]

    package init(name: String, partitionCount: Int32, configs: [ConfigEntry], partitions: [Partition]) {
        self.name = name
        self.partitionCount = partitionCount
        self.configs = configs
        self.partitions = partitions
    }

    /// The topic's settings; throws `.invalidArgument` if an entry does not parse.
    package func topicConfig() throws(SluiceError) -> TopicConfig {
        try TopicConfig(partitions: partitionCount, configEntries: configs)
    }
}

/// Changes a topic's partition count or settings (API key 5).
///
/// On the wire: `string name, int32 partitions (-1 = unchanged), array<configEntry> configs`.
package struct AlterTopicRequest: Sendable, Equatable {
    package var name: String
    /// The new partition count; `nil` (-1 on the wire) leaves it unchanged.
    package var partitions: Int32?
    /// Only the settings to change.
    package var configs: [ConfigEntry]

    package init(name: String, partitions: Int32? = nil, configs: [ConfigEntry] = []) {
        self.name = name
        self.partitions = partitions
        self.configs = configs
    }
}

/// The topic was altered. Empty payload.
package struct AlterTopicResponse: Sendable, Equatable {
    package init() {}
}

// MARK: - Wire forms

extension CreateTopicRequest: WireCodable {
    var wireSize: Int { WireSize.string(name) + 4 + WireSize.array(configs) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> CreateTopicRequest {
        CreateTopicRequest(
            name: try buffer.readWireString(), partitions: try buffer.readInt32(), configs: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeInt32(partitions)
        buffer.writeArray(configs)
    }
}

extension DeleteTopicRequest: WireCodable {
    var wireSize: Int { WireSize.string(name) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DeleteTopicRequest {
        DeleteTopicRequest(name: try buffer.readWireString())
    }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(name) }
}

extension DescribeTopicRequest: WireCodable {
    var wireSize: Int { WireSize.string(name) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeTopicRequest {
        DescribeTopicRequest(name: try buffer.readWireString())
    }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(name) }
}

extension DescribeTopicResponse.Partition: WireCodable {
    static var minWireSize: Int { 28 }
    var wireSize: Int { 28 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeTopicResponse.Partition {
        let partition = try buffer.readInt32()
        let logStartOffset = try buffer.readInt64()
        let nextOffset = try buffer.readInt64()
        let sizeBytes = try buffer.readInt64()
        return .init(
            partition: partition, logStartOffset: logStartOffset, nextOffset: nextOffset,
            sizeBytes: sizeBytes == -1 ? nil : sizeBytes)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(logStartOffset)
        buffer.writeInt64(nextOffset)
        buffer.writeInt64(sizeBytes ?? -1)
    }
}

extension DescribeTopicResponse: WireCodable {
    var wireSize: Int { WireSize.string(name) + 4 + WireSize.array(configs) + WireSize.array(partitions) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeTopicResponse {
        DescribeTopicResponse(
            name: try buffer.readWireString(), partitionCount: try buffer.readInt32(),
            configs: try buffer.readArray(), partitions: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeInt32(partitionCount)
        buffer.writeArray(configs)
        buffer.writeArray(partitions)
    }
}

extension AlterTopicRequest: WireCodable {
    var wireSize: Int { WireSize.string(name) + 4 + WireSize.array(configs) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> AlterTopicRequest {
        let name = try buffer.readWireString()
        let partitions = try buffer.readInt32()
        return AlterTopicRequest(
            name: name, partitions: partitions == -1 ? nil : partitions, configs: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeInt32(partitions ?? -1)
        buffer.writeArray(configs)
    }
}

/// Empty payloads: nothing to read or write.
protocol EmptyPayload: WireCodable { init() }

extension EmptyPayload {
    var wireSize: Int { 0 }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> Self { Self() }
    func write(to buffer: inout ByteBuffer) {}
}

extension CreateTopicResponse: EmptyPayload {}
extension DeleteTopicResponse: EmptyPayload {}
extension AlterTopicResponse: EmptyPayload {}
