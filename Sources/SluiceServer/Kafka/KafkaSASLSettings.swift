/// How the Kafka listener authenticates clients with SASL: the mechanisms it enables, whether a client must
/// authenticate before anything but ApiVersions, and the users it knows.
package struct KafkaSASLSettings: Sendable, Hashable {
    /// Mechanisms answered in SaslHandshake; all three by default.
    package var mechanisms: Set<KafkaSASLMechanism> = Set(KafkaSASLMechanism.allCases)
    /// Whether requests other than ApiVersions, SaslHandshake and SaslAuthenticate are refused (the connection
    /// closed, as Kafka does) until the client authenticated. Required on a listener beyond loopback.
    package var required = false
    package var users = KafkaSASLUsers()

    package init(
        mechanisms: Set<KafkaSASLMechanism> = Set(KafkaSASLMechanism.allCases), required: Bool = false,
        users: KafkaSASLUsers = KafkaSASLUsers()
    ) {
        self.mechanisms = mechanisms
        self.required = required
        self.users = users
    }
}
