import NIOCore
import SluiceCore

/// Asks the server to write a consistent backup of every topic and the catalog into a folder on its host (API key
/// 20), while it goes on serving. Needs `admin` on every topic under an access policy.
///
/// On the wire: `string directory`: an absolute path the server creates (its parent must exist), or an empty folder.
/// Public, as every case of `Request` must be.
package struct BackupRequest: Sendable, Equatable {
    package var directory: String

    package init(directory: String) {
        self.directory = directory
    }
}

/// What the backup holds, answered once its manifest is written.
///
/// On the wire: `int64 createdMs, int64 catalogBytes, array<(string name, int32 partitions, int64 records, int64
/// bytes)> topics`.
package struct BackupResponse: Sendable, Equatable {
    package struct Topic: Sendable, Equatable {
        package var name: String
        package var partitions: Int32
        /// Records in the backup, every partition together.
        package var records: Int64
        /// Bytes of the topic's file in the backup.
        package var bytes: Int64

        package init(name: String, partitions: Int32, records: Int64, bytes: Int64) {
            self.name = name
            self.partitions = partitions
            self.records = records
            self.bytes = bytes
        }
    }

    /// When the snapshots were taken, in milliseconds since the Unix epoch.
    package var createdMs: Int64
    package var catalogBytes: Int64
    package var topics: [Topic]

    package init(createdMs: Int64, catalogBytes: Int64, topics: [Topic]) {
        self.createdMs = createdMs
        self.catalogBytes = catalogBytes
        self.topics = topics
    }
}

extension BackupRequest: WireCodable {
    var wireSize: Int { WireSize.string(directory) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> BackupRequest {
        BackupRequest(directory: try buffer.readWireString())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(directory)
    }
}

extension BackupResponse.Topic: WireCodable {
    static var minWireSize: Int { 2 + 4 + 8 + 8 }
    var wireSize: Int { WireSize.string(name) + 20 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> BackupResponse.Topic {
        .init(
            name: try buffer.readWireString(), partitions: try buffer.readInt32(), records: try buffer.readInt64(),
            bytes: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        buffer.writeInt32(partitions)
        buffer.writeInt64(records)
        buffer.writeInt64(bytes)
    }
}

extension BackupResponse: WireCodable {
    var wireSize: Int { 16 + WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> BackupResponse {
        BackupResponse(
            createdMs: try buffer.readInt64(), catalogBytes: try buffer.readInt64(), topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(createdMs)
        buffer.writeInt64(catalogBytes)
        buffer.writeArray(topics)
    }
}
