import NIOCore
import SluiceCore

/// Asks which APIs and versions the server supports (API key 0).
///
/// On the wire: `string clientSoftware`.
package struct APIVersionsRequest: Sendable, Equatable {
    /// Free text naming the client, e.g. `sluice-swift 0.1`.
    package var clientSoftware: String

    package init(clientSoftware: String) {
        self.clientSoftware = clientSoftware
    }
}

/// The APIs the server supports.
///
/// On the wire: `array<(int16 apiKey, int16 minVersion, int16 maxVersion)> apis, string serverSoftware`.
package struct APIVersionsResponse: Sendable, Equatable {
    /// One supported API. `apiKey` stays raw: a newer server may list keys this build does not know.
    package struct Entry: Sendable, Equatable {
        package var apiKey: Int16
        package var minVersion: Int16
        package var maxVersion: Int16

        package init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    package var apis: [Entry]
    package var serverSoftware: String

    package init(apis: [Entry], serverSoftware: String) {
        self.apis = apis
        self.serverSoftware = serverSoftware
    }

    /// Lists every API this build supports.
    package init(serverSoftware: String) {
        let apis = APIKey.allCases.map {
            Entry(
                apiKey: $0.rawValue, minVersion: $0.supportedVersions.lowerBound,
                maxVersion: $0.supportedVersions.upperBound)
        }
        self.init(apis: apis, serverSoftware: serverSoftware)
    }
}

extension APIVersionsRequest: WireCodable {
    var wireSize: Int { WireSize.string(clientSoftware) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> APIVersionsRequest {
        APIVersionsRequest(clientSoftware: try buffer.readWireString())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(clientSoftware)
    }
}

extension APIVersionsResponse.Entry: WireCodable {
    static var minWireSize: Int { 6 }
    var wireSize: Int { 6 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> APIVersionsResponse.Entry {
        APIVersionsResponse.Entry(
            apiKey: try buffer.readInt16(), minVersion: try buffer.readInt16(), maxVersion: try buffer.readInt16())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt16(apiKey)
        buffer.writeInt16(minVersion)
        buffer.writeInt16(maxVersion)
    }
}

extension APIVersionsResponse: WireCodable {
    var wireSize: Int { WireSize.array(apis) + WireSize.string(serverSoftware) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> APIVersionsResponse {
        APIVersionsResponse(apis: try buffer.readArray(), serverSoftware: try buffer.readWireString())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(apis)
        buffer.writeWireString(serverSoftware)
    }
}
