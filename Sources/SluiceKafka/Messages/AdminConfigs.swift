import NIOCore

/// Kafka's config resource types (`ConfigResource.Type`), as DescribeConfigs, AlterConfigs and
/// IncrementalAlterConfigs carry them.
package enum KafkaConfigResourceType {
    package static let topic: Int8 = 2
    package static let broker: Int8 = 4
    package static let brokerLogger: Int8 = 8
    package static let clientMetrics: Int8 = 16
    package static let group: Int8 = 32
}

/// Where a described value comes from (`DescribeConfigsResponse.ConfigSource`).
package enum KafkaConfigSource {
    package static let unknown: Int8 = 0
    package static let dynamicTopic: Int8 = 1
    package static let dynamicBroker: Int8 = 2
    package static let dynamicDefaultBroker: Int8 = 3
    package static let staticBroker: Int8 = 4
    package static let defaultConfig: Int8 = 5
    package static let dynamicBrokerLogger: Int8 = 6
    package static let clientMetrics: Int8 = 7
    package static let groupConfig: Int8 = 8
}

/// A value's type as DescribeConfigs v3+ reports it (`ConfigDef.Type`'s order, from 1).
package enum KafkaConfigType {
    package static let unknown: Int8 = 0
    package static let boolean: Int8 = 1
    package static let string: Int8 = 2
    package static let int: Int8 = 3
    package static let short: Int8 = 4
    package static let long: Int8 = 5
    package static let double: Int8 = 6
    package static let list: Int8 = 7
    package static let `class`: Int8 = 8
    package static let password: Int8 = 9
}

/// DescribeConfigs request (key 32), v0–4; flexible from v4.
package struct KafkaDescribeConfigsRequest: Sendable, Hashable {
    package struct Resource: Sendable, Hashable {
        package var resourceType: Int8
        package var resourceName: String
        /// nil: every key.
        package var configurationKeys: [String]?

        package init(resourceType: Int8, resourceName: String, configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }
    }

    package var resources: [Resource]
    /// v1+.
    package var includeSynonyms: Bool
    /// v3+.
    package var includeDocumentation: Bool

    package init(resources: [Resource], includeSynonyms: Bool = false, includeDocumentation: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
        self.includeDocumentation = includeDocumentation
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 4
        let resources = try buffer.readVersionedArray(flexible, minElementSize: 3, "resources") {
            buffer throws(KafkaDecodeError) in
            let type = try buffer.readKafkaInt8("resource_type")
            let name = try buffer.readVersionedString(flexible, "resource_name")
            let keys = try buffer.readVersionedNullableArray(flexible, minElementSize: 1, "configuration_keys") {
                buffer throws(KafkaDecodeError) in try buffer.readVersionedString(flexible, "configuration_key")
            }
            try buffer.readVersionedTags(flexible)
            return Resource(resourceType: type, resourceName: name, configurationKeys: keys)
        }
        var request = Self(resources: resources)
        if version >= 1 { request.includeSynonyms = try buffer.readKafkaBool("include_synonyms") }
        if version >= 3 { request.includeDocumentation = try buffer.readKafkaBool("include_documentation") }
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 4
        buffer.writeVersionedArray(resources, flexible) { buffer, resource in
            buffer.writeKafkaInt8(resource.resourceType)
            buffer.writeVersionedString(resource.resourceName, flexible)
            buffer.writeVersionedNullableArray(resource.configurationKeys, flexible) {
                $0.writeVersionedString($1, flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        if version >= 1 { buffer.writeKafkaBool(includeSynonyms) }
        if version >= 3 { buffer.writeKafkaBool(includeDocumentation) }
        buffer.writeVersionedTags(flexible)
    }
}

/// DescribeConfigs response, v0–4.
package struct KafkaDescribeConfigsResponse: KafkaResponse, Hashable {
    package struct Synonym: Sendable, Hashable {
        package var name: String
        package var value: String?
        package var source: Int8

        package init(name: String, value: String?, source: Int8) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    package struct Config: Sendable, Hashable {
        package var name: String
        package var value: String?
        package var readOnly: Bool
        /// v1+; v0 sends `isDefault` (source is `defaultConfig`) instead.
        package var configSource: Int8
        package var isSensitive: Bool
        /// v1+, when asked for.
        package var synonyms: [Synonym]
        /// v3+.
        package var configType: Int8
        /// v3+, when asked for.
        package var documentation: String?

        package init(
            name: String, value: String?, readOnly: Bool, configSource: Int8, isSensitive: Bool = false,
            synonyms: [Synonym] = [], configType: Int8 = KafkaConfigType.unknown, documentation: String? = nil
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.configType = configType
            self.documentation = documentation
        }
    }

    package struct Result: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?
        package var resourceType: Int8
        package var resourceName: String
        package var configs: [Config]

        package init(
            errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, resourceType: Int8, resourceName: String,
            configs: [Config]
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    package var throttleTimeMs: Int32
    package var results: [Result]

    package init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 4
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeVersionedArray(results, flexible) { buffer, result in
            buffer.writeKafkaInt16(result.errorCode.rawValue)
            buffer.writeVersionedNullableString(result.errorMessage, flexible)
            buffer.writeKafkaInt8(result.resourceType)
            buffer.writeVersionedString(result.resourceName, flexible)
            buffer.writeVersionedArray(result.configs, flexible) { buffer, config in
                buffer.writeVersionedString(config.name, flexible)
                buffer.writeVersionedNullableString(config.value, flexible)
                buffer.writeKafkaBool(config.readOnly)
                if version == 0 {
                    buffer.writeKafkaBool(config.configSource == KafkaConfigSource.defaultConfig)
                } else {
                    buffer.writeKafkaInt8(config.configSource)
                }
                buffer.writeKafkaBool(config.isSensitive)
                if version >= 1 {
                    buffer.writeVersionedArray(config.synonyms, flexible) { buffer, synonym in
                        buffer.writeVersionedString(synonym.name, flexible)
                        buffer.writeVersionedNullableString(synonym.value, flexible)
                        buffer.writeKafkaInt8(synonym.source)
                        buffer.writeVersionedTags(flexible)
                    }
                }
                if version >= 3 {
                    buffer.writeKafkaInt8(config.configType)
                    buffer.writeVersionedNullableString(config.documentation, flexible)
                }
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// AlterConfigs request (key 33), v0–2; flexible from v2. Replaces a resource's whole set of settings: a key not
/// named goes back to its default.
package struct KafkaAlterConfigsRequest: Sendable, Hashable {
    package struct Config: Sendable, Hashable {
        package var name: String
        package var value: String?

        package init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    package struct Resource: Sendable, Hashable {
        package var resourceType: Int8
        package var resourceName: String
        package var configs: [Config]

        package init(resourceType: Int8, resourceName: String, configs: [Config]) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    package var resources: [Resource]
    package var validateOnly: Bool

    package init(resources: [Resource], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 2
        let resources = try buffer.readVersionedArray(flexible, minElementSize: 3, "resources") {
            buffer throws(KafkaDecodeError) in
            let type = try buffer.readKafkaInt8("resource_type")
            let name = try buffer.readVersionedString(flexible, "resource_name")
            let configs = try buffer.readVersionedArray(flexible, minElementSize: 2, "configs") {
                buffer throws(KafkaDecodeError) in
                let config = Config(
                    name: try buffer.readVersionedString(flexible, "name"),
                    value: try buffer.readVersionedNullableString(flexible, "value"))
                try buffer.readVersionedTags(flexible)
                return config
            }
            try buffer.readVersionedTags(flexible)
            return Resource(resourceType: type, resourceName: name, configs: configs)
        }
        let request = Self(resources: resources, validateOnly: try buffer.readKafkaBool("validate_only"))
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 2
        buffer.writeVersionedArray(resources, flexible) { buffer, resource in
            buffer.writeKafkaInt8(resource.resourceType)
            buffer.writeVersionedString(resource.resourceName, flexible)
            buffer.writeVersionedArray(resource.configs, flexible) { buffer, config in
                buffer.writeVersionedString(config.name, flexible)
                buffer.writeVersionedNullableString(config.value, flexible)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeKafkaBool(validateOnly)
        buffer.writeVersionedTags(flexible)
    }
}

/// One resource's answer to AlterConfigs or IncrementalAlterConfigs.
package struct KafkaAlterConfigsResult: Sendable, Hashable {
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var resourceType: Int8
    package var resourceName: String

    package init(
        errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, resourceType: Int8, resourceName: String
    ) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.resourceType = resourceType
        self.resourceName = resourceName
    }
}

/// AlterConfigs response (v0–2) and IncrementalAlterConfigs response (v0–1): the same fields; `flexibleFrom` is the
/// API's first flexible version.
package struct KafkaAlterConfigsResponse: KafkaResponse, Hashable {
    package var throttleTimeMs: Int32
    package var responses: [KafkaAlterConfigsResult]
    package var flexibleFrom: Int16

    package init(throttleTimeMs: Int32 = 0, responses: [KafkaAlterConfigsResult], flexibleFrom: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
        self.flexibleFrom = flexibleFrom
    }

    package func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= flexibleFrom
        buffer.writeKafkaInt32(throttleTimeMs)
        buffer.writeVersionedArray(responses, flexible) { buffer, result in
            buffer.writeKafkaInt16(result.errorCode.rawValue)
            buffer.writeVersionedNullableString(result.errorMessage, flexible)
            buffer.writeKafkaInt8(result.resourceType)
            buffer.writeVersionedString(result.resourceName, flexible)
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeVersionedTags(flexible)
    }
}

/// IncrementalAlterConfigs request (key 44), v0–1; flexible from v1. Each entry sets, deletes (back to the default),
/// appends to or subtracts from one key (KIP-339); keys not named keep their values.
package struct KafkaIncrementalAlterConfigsRequest: Sendable, Hashable {
    package enum Operation: Int8, Sendable, Hashable {
        case set = 0
        case delete = 1
        case append = 2
        case subtract = 3
    }

    package struct Config: Sendable, Hashable {
        package var name: String
        /// The raw operation byte: an unknown one is answered INVALID_REQUEST, not refused by the decoder.
        package var configOperation: Int8
        package var value: String?

        package init(name: String, configOperation: Int8, value: String?) {
            self.name = name
            self.configOperation = configOperation
            self.value = value
        }

        package var operation: Operation? { Operation(rawValue: configOperation) }
    }

    package struct Resource: Sendable, Hashable {
        package var resourceType: Int8
        package var resourceName: String
        package var configs: [Config]

        package init(resourceType: Int8, resourceName: String, configs: [Config]) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    package var resources: [Resource]
    package var validateOnly: Bool

    package init(resources: [Resource], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        let flexible = version >= 1
        let resources = try buffer.readVersionedArray(flexible, minElementSize: 3, "resources") {
            buffer throws(KafkaDecodeError) in
            let type = try buffer.readKafkaInt8("resource_type")
            let name = try buffer.readVersionedString(flexible, "resource_name")
            let configs = try buffer.readVersionedArray(flexible, minElementSize: 3, "configs") {
                buffer throws(KafkaDecodeError) in
                let config = Config(
                    name: try buffer.readVersionedString(flexible, "name"),
                    configOperation: try buffer.readKafkaInt8("config_operation"),
                    value: try buffer.readVersionedNullableString(flexible, "value"))
                try buffer.readVersionedTags(flexible)
                return config
            }
            try buffer.readVersionedTags(flexible)
            return Resource(resourceType: type, resourceName: name, configs: configs)
        }
        let request = Self(resources: resources, validateOnly: try buffer.readKafkaBool("validate_only"))
        try buffer.readVersionedTags(flexible)
        return request
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        let flexible = version >= 1
        buffer.writeVersionedArray(resources, flexible) { buffer, resource in
            buffer.writeKafkaInt8(resource.resourceType)
            buffer.writeVersionedString(resource.resourceName, flexible)
            buffer.writeVersionedArray(resource.configs, flexible) { buffer, config in
                buffer.writeVersionedString(config.name, flexible)
                buffer.writeKafkaInt8(config.configOperation)
                buffer.writeVersionedNullableString(config.value, flexible)
                buffer.writeVersionedTags(flexible)
            }
            buffer.writeVersionedTags(flexible)
        }
        buffer.writeKafkaBool(validateOnly)
        buffer.writeVersionedTags(flexible)
    }
}
