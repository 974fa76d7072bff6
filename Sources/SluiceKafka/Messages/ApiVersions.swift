import NIOCore

/// ApiVersions request (key 18), v0–4. v0–2 have an empty body; v3 is flexible; v4 is v3 (it changed only what
/// a broker may say of its features, which Sluice does not send).
package struct KafkaApiVersionsRequest: Sendable, Hashable {
    /// v3+ only; empty below.
    package var clientSoftwareName: String
    package var clientSoftwareVersion: String

    package init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        guard version >= 3 else { return Self() }
        let name = try buffer.readKafkaCompactString("client_software_name")
        let softwareVersion = try buffer.readKafkaCompactString("client_software_version")
        try buffer.skipKafkaTaggedFields()
        return Self(clientSoftwareName: name, clientSoftwareVersion: softwareVersion)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        guard version >= 3 else { return }
        buffer.writeKafkaCompactString(clientSoftwareName)
        buffer.writeKafkaCompactString(clientSoftwareVersion)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// ApiVersions response, v0–4. v3+ use a compact array and tagged fields in the body; the response header stays
/// v0 (KIP-511).
package struct KafkaApiVersionsResponse: KafkaResponse, Hashable {
    package var errorCode: KafkaErrorCode
    package var apiKeys: [KafkaAPIVersionRange]
    package var throttleTimeMs: Int32

    package init(
        errorCode: KafkaErrorCode = .none, apiKeys: [KafkaAPIVersionRange] = KafkaAPIVersions.supported,
        throttleTimeMs: Int32 = 0
    ) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    /// The answer to an ApiVersions request at a version above 4 (KIP-511): error 35 and the table, to be
    /// encoded at **version 0** so any client can read it.
    package static let unsupportedVersion = KafkaApiVersionsResponse(errorCode: .unsupportedVersion)

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt16(errorCode.rawValue)
        if version >= 3 {
            buffer.writeKafkaCompactArrayCount(apiKeys.count)
            for range in apiKeys {
                buffer.writeKafkaInt16(range.apiKey)
                buffer.writeKafkaInt16(range.minVersion)
                buffer.writeKafkaInt16(range.maxVersion)
                buffer.writeKafkaEmptyTaggedFields()
            }
            buffer.writeKafkaInt32(throttleTimeMs)
            buffer.writeKafkaEmptyTaggedFields()
            return
        }
        buffer.writeKafkaArray(apiKeys) { buffer, range in
            buffer.writeKafkaInt16(range.apiKey)
            buffer.writeKafkaInt16(range.minVersion)
            buffer.writeKafkaInt16(range.maxVersion)
        }
        if version >= 1 { buffer.writeKafkaInt32(throttleTimeMs) }
    }
}
