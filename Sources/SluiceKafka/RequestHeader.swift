import NIOCore

/// The header that opens every Kafka request (request header v1, or v2 for a flexible version).
package struct KafkaRequestHeader: Sendable, Hashable {
    package var apiKey: Int16
    package var apiVersion: Int16
    /// Echoed in the response header; responses must keep request order per connection.
    package var correlationId: Int32
    package var clientId: String?

    package init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// Whether the request uses header v2: client id (int16 length, not compact) then tagged fields. Every
    /// flexible version does (`KafkaFlexibleVersions`), whether or not Sluice speaks it, so that the header of
    /// a request refused for its version still reads right.
    package static func usesHeaderV2(apiKey: Int16, apiVersion: Int16) -> Bool {
        KafkaFlexibleVersions.isFlexible(apiKey: apiKey, version: apiVersion)
            || KafkaAPIKey.alwaysFlexible.contains(apiKey)
            || KafkaAdminFlexibleVersions.isFlexible(apiKey: apiKey, apiVersion: apiVersion)
    }

    /// Reads a header from the start of a frame body, leaving `buffer` at the request body.
    ///
    /// Throws if even the header is short or malformed; then not even the correlation id can be trusted and
    /// the connection should be closed.
    package static func decode(from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> KafkaRequestHeader {
        let apiKey = try buffer.readKafkaInt16("api_key")
        let apiVersion = try buffer.readKafkaInt16("api_version")
        let correlationId = try buffer.readKafkaInt32("correlation_id")
        let clientId = try buffer.readKafkaNullableString("client_id")
        if usesHeaderV2(apiKey: apiKey, apiVersion: apiVersion) { try buffer.skipKafkaTaggedFields() }
        return KafkaRequestHeader(
            apiKey: apiKey, apiVersion: apiVersion, correlationId: correlationId, clientId: clientId)
    }

    /// Writes the header (the inverse of `decode`), for tests and tools.
    package func encode(into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt16(apiKey)
        buffer.writeKafkaInt16(apiVersion)
        buffer.writeKafkaInt32(correlationId)
        buffer.writeKafkaNullableString(clientId)
        if Self.usesHeaderV2(apiKey: apiKey, apiVersion: apiVersion) { buffer.writeKafkaEmptyTaggedFields() }
    }
}

/// Writes a whole response frame: int32 size, response header v0 (the correlation id), then the body.
///
/// Header v0 answers every non-flexible version and ApiVersions at every version (KIP-511); every other flexible
/// version is answered with header v1, which adds an empty tagged-field section (`usesHeaderV1`). The size is
/// patched in after the body is written, so the body is encoded once, straight into `buffer`.
package enum KafkaResponseFrame {
    /// Whether the response carries header v1 (correlation id, then tagged fields).
    package static func usesHeaderV1(apiKey: Int16, apiVersion: Int16) -> Bool {
        apiKey != KafkaAPIKey.apiVersions.rawValue
            && (KafkaFlexibleVersions.isFlexible(apiKey: apiKey, version: apiVersion)
                || KafkaAPIKey.alwaysFlexible.contains(apiKey)
                || KafkaAdminFlexibleVersions.isFlexible(apiKey: apiKey, apiVersion: apiVersion))
    }

    package static func write(
        correlationId: Int32, headerV1: Bool = false, into buffer: inout ByteBuffer,
        body: (inout ByteBuffer) -> Void
    ) {
        let sizeIndex = buffer.writerIndex
        buffer.writeKafkaInt32(0)
        buffer.writeKafkaInt32(correlationId)
        if headerV1 { buffer.writeKafkaEmptyTaggedFields() }
        body(&buffer)
        let size = buffer.writerIndex - sizeIndex - 4
        buffer.setInteger(Int32(size), at: sizeIndex, endianness: .big)
    }

    /// A frame holding `response` encoded at `version`, with header v1 when `headerV1`.
    package static func write(
        _ response: some KafkaResponse, version: Int16, correlationId: Int32, headerV1: Bool = false,
        into buffer: inout ByteBuffer
    ) {
        write(correlationId: correlationId, headerV1: headerV1, into: &buffer) {
            response.encode(version: version, into: &$0)
        }
    }
}

/// A response body that knows how to encode itself at each version Sluice advertises.
package protocol KafkaResponse: Sendable {
    /// Appends the body at `version`. Precondition: `version` is within the advertised range of the API.
    func encode(version: Int16, into buffer: inout ByteBuffer)
}
