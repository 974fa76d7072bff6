import NIOCore
import SluiceCore

/// One topic's share of a multi-topic request or response: the topic name and one entry per partition.
///
/// On the wire: `string name, array<Partition> partitions`.
package struct TopicPartitions<Partition> {
    package var name: String
    package var partitions: [Partition]

    package init(name: String, partitions: [Partition]) {
        self.name = name
        self.partitions = partitions
    }
}

extension TopicPartitions: Sendable where Partition: Sendable {}
extension TopicPartitions: Equatable where Partition: Equatable {}

extension TopicPartitions: WireCodable where Partition: WireCodable {
    static var minWireSize: Int { 6 }
    var wireSize: Int { WireSize.string(name) + WireSize.array(partitions) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> TopicPartitions {
        TopicPartitions(name: try buffer.readWireString(), partitions: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeArray(partitions)
    }
}
