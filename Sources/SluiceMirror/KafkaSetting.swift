/// One librdkafka configuration property, as `-X key=value` gives it.
package struct KafkaSetting: Sendable, Hashable {
    package var key: String
    package var value: String

    package init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Parses `key=value` (the value may contain `=`); throws `.usage` without a `=` or with an empty key.
    package init(parsing text: String) throws(MirrorError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw .usage("-X expects key=value, not '\(text)'")
        }
        key = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
    }

    /// What the mirror sets before the user's settings: idempotent production acknowledged by all in-sync replicas.
    /// `-X` may override them; `enable.idempotence=false` then allows duplicates on a producer's own retries.
    package static let mirrorDefaults: [KafkaSetting] = [
        KafkaSetting(key: "enable.idempotence", value: "true"),
        KafkaSetting(key: "acks", value: "all"),
        KafkaSetting(key: "client.id", value: "sluice-mirror"),
        KafkaSetting(key: "linger.ms", value: "5"),
    ]

    /// The value shown in messages: secrets (passwords, keys) are replaced by `***`.
    var printableValue: String {
        key.contains("password") || key.contains("secret") || key.hasSuffix(".pem") ? "***" : value
    }
}
