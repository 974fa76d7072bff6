import NIOCore

/// Readers and writers that take the message's encoding as an argument: a flexible version (KIP-482) writes
/// compact strings, arrays and bytes (unsigned varint length + 1) and ends each structure with tagged fields; an
/// older one writes int16/int32 lengths and no tags. The admin messages (`AdminGroups.swift`, `AdminConfigs.swift`,
/// `AdminPartitions.swift`, `AdminCluster.swift`) are written once for both forms with these.
extension ByteBuffer {
    mutating func readVersionedNullableString(_ flexible: Bool, _ what: StaticString) throws(KafkaDecodeError)
        -> String?
    {
        flexible ? try readKafkaCompactNullableString(what) : try readKafkaNullableString(what)
    }

    mutating func readVersionedString(_ flexible: Bool, _ what: StaticString) throws(KafkaDecodeError) -> String {
        guard let string = try readVersionedNullableString(flexible, what) else { throw .invalid("\(what): null") }
        return string
    }

    mutating func writeVersionedNullableString(_ string: String?, _ flexible: Bool) {
        flexible ? writeKafkaCompactString(string) : writeKafkaNullableString(string)
    }

    mutating func writeVersionedString(_ string: String, _ flexible: Bool) {
        flexible ? writeKafkaCompactString(string) : writeKafkaString(string)
    }

    /// Bytes (not null), copied into an array.
    mutating func readVersionedBytes(_ flexible: Bool, _ what: StaticString) throws(KafkaDecodeError) -> [UInt8] {
        guard flexible else { return try readKafkaByteArray(what) }
        let lengthPlusOne = try readKafkaUnsignedVarint(what)
        guard lengthPlusOne > 0 else { throw .invalid("\(what): null") }
        let length = Int(lengthPlusOne - 1)
        guard length <= readableBytes, let bytes = readBytes(length: length) else { throw .truncated("\(what)") }
        return bytes
    }

    mutating func writeVersionedBytes(_ bytes: [UInt8], _ flexible: Bool) {
        guard flexible else { return writeKafkaBytes(bytes) }
        writeKafkaUnsignedVarint(UInt32(bytes.count) + 1)
        writeBytes(bytes)
    }

    mutating func readVersionedNullableArray<T>(
        _ flexible: Bool, minElementSize: Int, _ what: StaticString,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T]? {
        guard flexible else { return try readKafkaNullableArray(minElementSize: minElementSize, what, element) }
        guard let count = try readKafkaCompactArrayCount(minElementSize: minElementSize, what) else { return nil }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    mutating func readVersionedArray<T>(
        _ flexible: Bool, minElementSize: Int, _ what: StaticString,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T] {
        guard let array = try readVersionedNullableArray(flexible, minElementSize: minElementSize, what, element)
        else { throw .invalid("\(what): null array") }
        return array
    }

    mutating func writeVersionedNullableArray<T>(
        _ elements: [T]?, _ flexible: Bool, _ element: (inout ByteBuffer, T) -> Void
    ) {
        guard flexible else { return writeKafkaNullableArray(elements, element) }
        writeKafkaCompactArrayCount(elements?.count)
        for value in elements ?? [] { element(&self, value) }
    }

    mutating func writeVersionedArray<T>(_ elements: [T], _ flexible: Bool, _ element: (inout ByteBuffer, T) -> Void) {
        writeVersionedNullableArray(elements, flexible, element)
    }

    mutating func readVersionedStringArray(_ flexible: Bool, _ what: StaticString) throws(KafkaDecodeError)
        -> [String]
    {
        try readVersionedArray(flexible, minElementSize: flexible ? 1 : 2, what) { buffer throws(KafkaDecodeError) in
            try buffer.readVersionedString(flexible, what)
        }
    }

    mutating func writeVersionedStringArray(_ strings: [String], _ flexible: Bool) {
        writeVersionedArray(strings, flexible) { $0.writeVersionedString($1, flexible) }
    }

    mutating func readVersionedInt32Array(_ flexible: Bool, _ what: StaticString) throws(KafkaDecodeError) -> [Int32] {
        try readVersionedArray(flexible, minElementSize: 4, what) { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaInt32(what)
        }
    }

    mutating func writeVersionedInt32Array(_ values: [Int32], _ flexible: Bool) {
        writeVersionedArray(values, flexible) { $0.writeKafkaInt32($1) }
    }

    /// Skips a structure's tagged fields in a flexible version; nothing otherwise.
    mutating func readVersionedTags(_ flexible: Bool) throws(KafkaDecodeError) {
        if flexible { try skipKafkaTaggedFields() }
    }

    /// Ends a structure: an empty tagged-field section in a flexible version, nothing otherwise.
    mutating func writeVersionedTags(_ flexible: Bool) {
        if flexible { writeKafkaEmptyTaggedFields() }
    }
}

/// The admin APIs' first flexible versions: their requests carry header v2 and their responses header v1 from
/// there on (`KafkaRequestHeader.usesHeaderV2`, `KafkaResponseFrame.usesHeaderV1`).
package enum KafkaAdminFlexibleVersions {
    package static func firstFlexible(apiKey: Int16) -> Int16? {
        switch KafkaAPIKey(rawValue: apiKey) {
        case .listGroups: 3
        case .describeGroups: 5
        case .deleteGroups: 2
        case .describeConfigs: 4
        case .alterConfigs: 2
        case .incrementalAlterConfigs: 1
        case .createPartitions: 2
        case .deleteRecords: 2
        case .describeCluster: 0
        case .describeLogDirs: 2
        case .offsetForLeaderEpoch: 4
        default: nil
        }
    }

    package static func isFlexible(apiKey: Int16, apiVersion: Int16) -> Bool {
        guard let first = firstFlexible(apiKey: apiKey) else { return false }
        return apiVersion >= first
    }
}
