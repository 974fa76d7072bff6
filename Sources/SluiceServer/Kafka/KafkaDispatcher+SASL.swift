extension KafkaDispatcher {
    /// Whether the access policy refuses `operation` on `topic` to a connection that authenticated with SASL: the
    /// SASL user is its principal (`PeerIdentity.saslUser`). Connections without a SASL user are not judged here.
    func refuses(_ peer: Peer, _ operation: AccessOperation, topic: String) -> Bool {
        guard let access, let user = peer.saslUser else { return false }
        return !access.allows(PeerIdentity(saslUser: user), operation, topic: topic)
    }
}
