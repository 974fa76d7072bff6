import SluiceCore

/// A Kafka error code the classic group protocol answers with (AK `Errors.java`); `rawValue` goes on the wire.
package enum ClassicGroupError: Int16, Sendable, Hashable, Error {
    case none = 0
    case coordinatorNotAvailable = 15
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupID = 24
    case unknownMemberID = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case memberIDRequired = 79
    /// The group's members would hold more protocol metadata than `ClassicGroupSettings.maxGroupMetadataBytes`.
    case groupMaxSizeReached = 81
    case unknownServerError = -1

    /// The same refusal as a `SluiceError`, for paths shared with native groups (committing offsets).
    package var sluiceError: SluiceError? {
        switch self {
        case .none: nil
        case .illegalGeneration: SluiceError(.staleGeneration, "the commit's generation is not the group's; rejoin")
        case .unknownMemberID: SluiceError(.unknownMember, "the member is not in the group; rejoin")
        case .rebalanceInProgress: SluiceError(.rebalanceInProgress, "the group is rebalancing; rejoin")
        case .coordinatorNotAvailable: SluiceError(.unknown, "the group is being removed")
        case .inconsistentGroupProtocol, .invalidGroupID, .invalidSessionTimeout, .memberIDRequired,
            .groupMaxSizeReached:
            SluiceError(.invalidArgument, "classic group error \(rawValue)")
        case .unknownServerError: SluiceError(.unknown, "unknown server error")
        }
    }
}

/// Limits and delays of the classic group protocol (Apache's defaults; tests shorten them).
package struct ClassicGroupSettings: Sendable, Hashable {
    /// How long a rebalance of an empty group waits for more members (`group.initial.rebalance.delay.ms`).
    package var initialRebalanceDelayMs: Int64
    /// Session timeouts outside these bounds are refused with INVALID_SESSION_TIMEOUT (26).
    package var minSessionTimeoutMs: Int32
    package var maxSessionTimeoutMs: Int32
    /// Protocol metadata all members of one group may hold together; a join that would take the group past it is
    /// refused GROUP_MAX_SIZE_REACHED (81). The group's leader receives all of it in one JoinGroup answer, so this
    /// also bounds that answer (16 MiB, the server's default response limit).
    package var maxGroupMetadataBytes = 16 << 20

    package init(
        initialRebalanceDelayMs: Int64 = 3_000, minSessionTimeoutMs: Int32 = 6_000,
        maxSessionTimeoutMs: Int32 = 1_800_000
    ) {
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.minSessionTimeoutMs = minSessionTimeoutMs
        self.maxSessionTimeoutMs = maxSessionTimeoutMs
    }
}

/// One assignment protocol a member offers ("range", "roundrobin"...), with its opaque metadata.
package struct ClassicProtocol: Sendable, Hashable {
    package var name: String
    package var metadata: [UInt8]
    /// The topics `metadata` subscribes to, as the protocol adapter read them (Kafka's "consumer" protocol), or
    /// `nil` when it could not. Only `describeGroup` shows them; the coordinator never reads `metadata`.
    package var subscribedTopics: [String]?

    package init(name: String, metadata: [UInt8], subscribedTopics: [String]? = nil) {
        self.name = name
        self.metadata = metadata
        self.subscribedTopics = subscribedTopics
    }
}

/// One member's assignment in the leader's SyncGroup: the opaque bytes handed to the member, and the partitions
/// they assign as the protocol adapter read them (empty when it could not), which only `describeGroup` shows.
package struct ClassicAssignment: Sendable, Hashable {
    package var memberID: String
    package var bytes: [UInt8]
    package var partitions: [TopicPartition]

    package init(memberID: String, bytes: [UInt8], partitions: [TopicPartition] = []) {
        self.memberID = memberID
        self.bytes = bytes
        self.partitions = partitions
    }
}

/// A JoinGroup request, in domain terms.
package struct ClassicJoin: Sendable, Hashable {
    package var groupID: String
    /// Empty for a member joining for the first time.
    package var memberID: String
    package var groupInstanceID: String?
    package var clientID: String
    package var clientHost: String
    package var sessionTimeoutMs: Int32
    /// JoinGroup v0 has none: pass the session timeout, as Apache does.
    package var rebalanceTimeoutMs: Int32
    package var protocolType: String
    package var protocols: [ClassicProtocol]
    /// JoinGroup v4+: an empty member id is answered MEMBER_ID_REQUIRED with a fresh id (KIP-394).
    package var requireKnownMemberID: Bool
    /// The connection the join came over (0: none known): when it closes, `connectionClosed` drops the metadata
    /// of the members it joined.
    package var connection: UInt64

    package init(
        groupID: String, memberID: String, groupInstanceID: String? = nil, clientID: String,
        clientHost: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String,
        protocols: [ClassicProtocol], requireKnownMemberID: Bool, connection: UInt64 = 0
    ) {
        self.connection = connection
        self.groupID = groupID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberID = requireKnownMemberID
    }
}

/// A JoinGroup answer. On an error only `error` and `memberID` mean anything (`generation` is -1).
package struct ClassicJoinResult: Sendable, Hashable {
    package struct Member: Sendable, Hashable {
        package var memberID: String
        package var groupInstanceID: String?
        /// The member's metadata for the chosen protocol.
        package var metadata: [UInt8]
    }

    package var error: ClassicGroupError
    package var generation: Int32
    package var protocolType: String?
    package var protocolName: String?
    package var leaderID: String
    package var memberID: String
    /// Every member, for the leader; empty for the others.
    package var members: [Member]

    static func failure(_ error: ClassicGroupError, memberID: String) -> ClassicJoinResult {
        ClassicJoinResult(
            error: error, generation: -1, protocolType: nil, protocolName: nil, leaderID: "",
            memberID: memberID, members: [])
    }
}

/// A SyncGroup answer: the member's own assignment bytes, empty when the leader gave it none (the protocol adapter
/// then answers its protocol's empty assignment).
package struct ClassicSyncResult: Sendable, Hashable {
    package var error: ClassicGroupError
    package var protocolType: String?
    package var protocolName: String?
    package var assignment: [UInt8]

    static func failure(_ error: ClassicGroupError) -> ClassicSyncResult {
        ClassicSyncResult(error: error, protocolType: nil, protocolName: nil, assignment: [])
    }
}

/// A LeaveGroup answer: a top-level error and one per member id asked for (LeaveGroup v3+).
package struct ClassicLeaveResult: Sendable, Hashable {
    package var error: ClassicGroupError
    package var members: [MemberError]

    package struct MemberError: Sendable, Hashable {
        package var memberID: String
        package var error: ClassicGroupError
    }
}

/// A classic group as Kafka's DescribeGroups reports it.
package struct ClassicGroupDescription: Sendable, Hashable {
    package struct Member: Sendable, Hashable {
        package var memberID: String
        package var groupInstanceID: String?
        package var clientID: String
        package var clientHost: String
        /// The member's metadata for the chosen protocol (empty while none is chosen).
        package var metadata: [UInt8]
        /// The bytes the leader assigned (empty before the first SyncGroup).
        package var assignment: [UInt8]
        /// The chosen protocol's `ClassicProtocol.subscribedTopics` (`nil` while none is chosen or unknown).
        package var subscribedTopics: [String]?
        /// The partitions the assignment names, as the protocol adapter read them (`ClassicAssignment`).
        package var assignedPartitions: [TopicPartition]
    }

    package var groupID: String
    /// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
    package var state: String
    package var generation: Int32
    package var protocolType: String
    package var protocolName: String
    package var leaderID: String?
    package var members: [Member]
}

/// One classic group as Kafka's ListGroups reports it.
package struct ClassicGroupListing: Sendable, Hashable {
    package var groupID: String
    package var protocolType: String
    package var state: String
    package var members: Int
}
