/// What a request does to a topic, as an access policy sees it.
package enum AccessOperation: String, Sendable, Hashable, CaseIterable, Codable {
    /// Append records.
    case produce
    /// Read records and offsets, join consumer groups and commit their offsets.
    case consume
    /// Create, alter and delete topics; delete groups and reset their offsets; read server statistics.
    case admin
}

/// What a permission is about: a topic or a consumer group, by name, or some topic when the name is nil.
package enum AccessResource: Sendable, Hashable {
    case topic(String?)
    case group(String)
}

/// The process at the other end of a connection: on the Unix socket as the kernel reports it (`SO_PEERCRED`), on
/// the Kafka listener the user owning the peer's loopback socket (`LoopbackPeer`, no pid: 0), or the user a Kafka
/// client authenticated as with SASL.
package struct PeerIdentity: Sendable, Hashable, CustomStringConvertible {
    package var uid: UInt32
    package var gid: UInt32
    package var pid: Int32
    /// The primary group and the supplementary groups of `uid` in the group database (not necessarily those the
    /// process holds: the kernel does not report them).
    package var groups: Set<UInt32>
    /// False for a peer whose user could not be found: only rules for everyone (`"users": ["*"]`) name it.
    package var isKnown: Bool
    /// The SASL user a Kafka connection authenticated as. When set, it is the principal: rules name the peer by
    /// `sasl_users` (or `"users": ["*"]`) only, and uid and group rules do not apply to it.
    package var saslUser: String?

    package init(uid: UInt32, gid: UInt32, pid: Int32, groups: Set<UInt32> = [], saslUser: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.groups = groups.union([gid])
        self.isKnown = true
        self.saslUser = saslUser
    }

    /// A peer whose user is not known.
    package static let unknown: PeerIdentity = {
        var peer = PeerIdentity(uid: UInt32.max, gid: UInt32.max, pid: 0)
        peer.groups = []
        peer.isKnown = false
        return peer
    }()

    /// A Kafka client authenticated as `saslUser`, with no uid of its own (`uid`, `gid` and `pid` are -1).
    package init(saslUser: String) {
        self.init(uid: .max, gid: .max, pid: -1, groups: [], saslUser: saslUser)
    }

    package var description: String {
        if let saslUser { return "SASL user \(saslUser)" }
        return isKnown ? "uid \(uid) gid \(gid) pid \(pid)" : "an unknown user"
    }
}

/// Which peers may do what to which topics and consumer groups.
///
/// Rules grant; nothing denies. A request is allowed when some rule names the peer (by uid, user name, gid or
/// group name, the last two matching the primary and supplementary groups; a Kafka client authenticated with SASL
/// by its SASL user name alone) and grants the operation on a pattern the topic matches (for a consumer group: a
/// pattern of its `consumerGroups`). A policy with no rules denies everything; a server with no policy allows
/// everything.
package struct AccessPolicy: Sendable, Equatable {
    package var rules: [AccessRule]

    package init(rules: [AccessRule]) {
        self.rules = rules
    }

    /// Whether `peer` may do `operation` to `topic`; a nil topic asks whether it may do it to some topic.
    package func allows(_ peer: PeerIdentity, _ operation: AccessOperation, topic: String?) -> Bool {
        rules.contains { rule in
            rule.operations.contains(operation) && rule.names(peer)
                && (topic.map { topic in rule.topics.contains { Glob.matches(pattern: $0, topic) } } ?? true)
        }
    }

    /// Whether `peer` may do `operation` to the consumer group `group`.
    package func allows(_ peer: PeerIdentity, _ operation: AccessOperation, group: String) -> Bool {
        rules.contains { rule in
            rule.operations.contains(operation) && rule.names(peer)
                && rule.consumerGroups.contains { Glob.matches(pattern: $0, group) }
        }
    }

    /// Whether `peer` may do `operation` to `resource`.
    package func allows(_ peer: PeerIdentity, _ operation: AccessOperation, _ resource: AccessResource) -> Bool {
        switch resource {
        case .topic(let topic): allows(peer, operation, topic: topic)
        case .group(let group): allows(peer, operation, group: group)
        }
    }

    /// Whether `peer` may see `group` described (its state, members and offsets): any grant on it does, as Kafka's
    /// DESCRIBE is implied by READ and DELETE.
    package func mayDescribe(_ peer: PeerIdentity, group: String) -> Bool {
        allows(peer, .consume, group: group) || allows(peer, .admin, group: group)
    }

    /// Whether `peer` may see that `topic` exists: any grant on it does (Kafka's DESCRIBE, implied by READ, WRITE
    /// and DELETE).
    package func mayDescribe(_ peer: PeerIdentity, topic: String) -> Bool {
        AccessOperation.allCases.contains { allows(peer, $0, topic: topic) }
    }
}

/// One grant of an access policy: who, what, on which topics and consumer groups.
package struct AccessRule: Sendable, Equatable {
    /// Peers matched by uid (user names are resolved to uids when the configuration is read).
    package var uids: Set<UInt32>
    /// Peers matched by any of their groups (group names are resolved when the configuration is read).
    package var gids: Set<UInt32>
    /// Every peer, whoever it is (`"users": ["*"]` in the file).
    package var everyone: Bool
    /// Kafka clients authenticated with SASL as one of these users (`"sasl_users"` in the file).
    package var saslUsers: Set<String> = []
    /// Every Kafka client authenticated with SASL, whatever its user (`"sasl_users": ["*"]`).
    package var everySASLUser = false
    package var operations: Set<AccessOperation>
    /// Topic patterns, `*` matching any run of characters; `["*"]` is every topic.
    package var topics: [String]
    /// Consumer-group patterns (`consumer_groups` in the file), as `topics`; `["*"]` is every group.
    package var consumerGroups: [String]

    package init(
        uids: Set<UInt32> = [], gids: Set<UInt32> = [], everyone: Bool = false,
        operations: Set<AccessOperation>, topics: [String] = ["*"], consumerGroups: [String] = ["*"]
    ) {
        self.uids = uids
        self.gids = gids
        self.everyone = everyone
        self.operations = operations
        self.topics = topics
        self.consumerGroups = consumerGroups
    }

    func names(_ peer: PeerIdentity) -> Bool {
        if everyone { return true }
        if let user = peer.saslUser { return everySASLUser || saslUsers.contains(user) }
        return peer.isKnown && (uids.contains(peer.uid) || !gids.isDisjoint(with: peer.groups))
    }
}

/// Shell-style patterns with `*` only.
enum Glob {
    static func matches(pattern: String, _ text: String) -> Bool {
        if pattern == "*" { return true }
        let p = Array(pattern.utf8)
        let t = Array(text.utf8)
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] != UInt8(ascii: "*") && p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
