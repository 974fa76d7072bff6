import NIOCore
import SluiceCore

/// Asks the server for a new idempotent producer identity (API key 18).
///
/// On the wire: an empty payload. Every request gets a fresh producer id, never handed out before.
package struct InitProducerIDRequest: Sendable, Equatable {
    package init() {}
}

/// A producer identity for idempotent produce (`ProduceRequest` version 1).
///
/// On the wire: `int64 producerId, int16 epoch`.
package struct InitProducerIDResponse: Sendable, Equatable {
    package var producerID: Int64
    package var epoch: Int16

    package init(producerID: Int64, epoch: Int16) {
        self.producerID = producerID
        self.epoch = epoch
    }
}

extension InitProducerIDRequest: EmptyPayload {}

extension InitProducerIDResponse: WireCodable {
    static var minWireSize: Int { 10 }
    var wireSize: Int { 10 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> InitProducerIDResponse {
        InitProducerIDResponse(producerID: try buffer.readInt64(), epoch: try buffer.readInt16())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(producerID)
        buffer.writeInt16(epoch)
    }
}
