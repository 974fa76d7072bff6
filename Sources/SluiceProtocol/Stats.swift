import NIOCore
import SluiceCore

/// Asks for the server's metrics (API key 19). Needs `admin` under an access policy.
///
/// On the wire: an empty payload.
package struct StatsRequest: Sendable, Equatable {
    package init() {}
}

/// The server's metrics in the Prometheus text exposition format (version 0.0.4), as `GET /metrics` serves them.
///
/// On the wire: `bytes text` (UTF-8).
package struct StatsResponse: Sendable, Equatable {
    package var text: String

    package init(text: String) {
        self.text = text
    }
}

extension StatsRequest: EmptyPayload {}

extension StatsResponse: WireCodable {
    static var minWireSize: Int { 4 }
    var wireSize: Int { 4 + text.utf8.count }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> StatsResponse {
        guard let bytes = try buffer.readNullableBytes() else {
            throw .malformed("null where the metrics text is required")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed("metrics text is not UTF-8") }
        return StatsResponse(text: text)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeNullableBytes(Array(text.utf8))
    }
}
