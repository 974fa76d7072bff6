import NIOCore

/// SaslHandshake request (key 17), v0–1: the mechanism the client wants.
///
/// After a v0 handshake the client sends the mechanism's tokens as raw int32-sized frames (no request header);
/// after v1 it wraps them in SaslAuthenticate requests.
package struct KafkaSaslHandshakeRequest: Sendable, Hashable {
    package var mechanism: String

    package init(mechanism: String) {
        self.mechanism = mechanism
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        Self(mechanism: try buffer.readKafkaString("mechanism"))
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(mechanism)
    }
}

/// SaslHandshake response, v0–1: an error code (UNSUPPORTED_SASL_MECHANISM when the mechanism is not enabled) and
/// the mechanisms the listener enables.
package struct KafkaSaslHandshakeResponse: KafkaResponse, Hashable {
    package var errorCode: KafkaErrorCode
    package var mechanisms: [String]

    package init(errorCode: KafkaErrorCode, mechanisms: [String]) {
        self.errorCode = errorCode
        self.mechanisms = mechanisms
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt16(errorCode.rawValue)
        buffer.writeKafkaArray(mechanisms) { $0.writeKafkaString($1) }
    }
}

/// SaslAuthenticate request (key 36), v0–2: one token of the mechanism's exchange. v2 is flexible (compact bytes,
/// tagged fields, request header v2).
package struct KafkaSaslAuthenticateRequest: Sendable, Hashable {
    package var authBytes: [UInt8]

    package init(authBytes: [UInt8]) {
        self.authBytes = authBytes
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        guard version >= 2 else { return Self(authBytes: try buffer.readKafkaByteArray("auth_bytes")) }
        let lengthPlusOne = try buffer.readKafkaUnsignedVarint("auth_bytes")
        guard lengthPlusOne > 0 else { throw .invalid("auth_bytes: null") }
        let length = Int(lengthPlusOne - 1)
        guard length <= buffer.readableBytes, let bytes = buffer.readBytes(length: length) else {
            throw .truncated("auth_bytes")
        }
        try buffer.skipKafkaTaggedFields()
        return Self(authBytes: bytes)
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        guard version >= 2 else { return buffer.writeKafkaBytes(authBytes) }
        buffer.writeKafkaUnsignedVarint(UInt32(authBytes.count) + 1)
        buffer.writeBytes(authBytes)
        buffer.writeKafkaEmptyTaggedFields()
    }
}

/// SaslAuthenticate response, v0–2: an error code and message (SASL_AUTHENTICATION_FAILED), the server's token,
/// and from v1 the session lifetime (0: the session does not expire).
package struct KafkaSaslAuthenticateResponse: KafkaResponse, Hashable {
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var authBytes: [UInt8]
    /// v1+.
    package var sessionLifetimeMs: Int64

    package init(errorCode: KafkaErrorCode, errorMessage: String?, authBytes: [UInt8], sessionLifetimeMs: Int64 = 0) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.authBytes = authBytes
        self.sessionLifetimeMs = sessionLifetimeMs
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaInt16(errorCode.rawValue)
        if version >= 2 {
            buffer.writeKafkaCompactString(errorMessage)
            buffer.writeKafkaUnsignedVarint(UInt32(authBytes.count) + 1)
            buffer.writeBytes(authBytes)
        } else {
            buffer.writeKafkaNullableString(errorMessage)
            buffer.writeKafkaBytes(authBytes)
        }
        if version >= 1 { buffer.writeKafkaInt64(sessionLifetimeMs) }
        if version >= 2 { buffer.writeKafkaEmptyTaggedFields() }
    }
}
