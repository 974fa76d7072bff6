import CoreMetrics
import Logging
import SluiceKafka
import Synchronization

/// The access policy as one Kafka request meets it: who sent it, and which of its permissions the policy grants.
///
/// Each refusal is logged as on the Unix socket; a request with any refusal counts once in
/// `sluice_access_denied_total`. Without a policy everything is allowed. Apache Kafka's answers are kept: a topic the
/// peer may not use gets TOPIC_AUTHORIZATION_FAILED (29) in its own entry while the others are served, a group
/// GROUP_AUTHORIZATION_FAILED (30), a producer id CLUSTER_AUTHORIZATION_FAILED (31).
final class KafkaRequestAccess: Sendable {
    let policy: AccessPolicy?
    let peer: PeerIdentity
    let api: String
    private let logger: Logger
    private let denied: Counter?
    private let counted = Atomic<Bool>(false)

    /// Without a policy: every request shares it, so the hot path allocates nothing for access.
    static let unrestricted = KafkaRequestAccess(
        policy: nil, peer: .unknown, api: "", logger: Logger(label: "sluice.server"), denied: nil)

    init(policy: AccessPolicy?, peer: PeerIdentity, api: String, logger: Logger, denied: Counter?) {
        self.policy = policy
        self.peer = peer
        self.api = api
        self.logger = logger
        self.denied = denied
    }

    /// Whether the peer has `need`; a refusal is logged and counted.
    func permits(_ need: RequiredAccess) -> Bool {
        guard let policy else { return true }
        if policy.permits(peer, need, api: api, logger: logger) { return true }
        if !counted.exchange(true, ordering: .relaxed) { denied?.increment() }
        return false
    }

    func permits(_ operation: AccessOperation, topic: String) -> Bool {
        permits(.topic(operation, topic))
    }

    /// Whether the peer may see that `topic` exists (any grant on it): for answers about every topic, which leave
    /// the others out without a refusal.
    func mayDescribe(topic: String) -> Bool {
        policy?.mayDescribe(peer, topic: topic) ?? true
    }

    /// Whether the peer may consume `topic`, without logging: for answers about every topic.
    func mayConsume(topic: String) -> Bool {
        policy?.allows(peer, .consume, topic: topic) ?? true
    }
}

extension KafkaDispatcher {
    /// The access of one request from `peer`.
    func access(_ apiKey: KafkaAPIKey, peer: Peer) -> KafkaRequestAccess {
        guard let access else { return .unrestricted }
        return KafkaRequestAccess(
            policy: access, peer: peer.identity ?? .unknown, api: "kafka \(apiKey)", logger: logger, denied: denied)
    }

    /// The answer to a request refused as a whole (a group, a producer id), or nil when it goes on: refusals of
    /// single topics are made by each API's handler.
    ///
    /// JoinGroup, SyncGroup, Heartbeat, LeaveGroup and OffsetCommit need `consume` on the group; InitProducerId
    /// `produce` on some topic; OffsetDelete `admin` on the group; DescribeLogDirs `admin` on some topic (Kafka's
    /// DESCRIBE on the cluster). FindCoordinator for a group (to describe it) and OffsetFetch (to describe each
    /// group) name several groups from v4 and v8: their handlers refuse each group in its own entry. The other
    /// admin APIs refuse single entries in their handlers (`KafkaDispatcher+AdminGroups.swift`, `+Configs.swift`,
    /// `+AdminTopics.swift`): ListGroups lists the groups the peer may describe; DescribeGroups needs to describe
    /// each group, DeleteGroups `admin` on it; DescribeConfigs any grant on a topic, `admin` on some topic for the
    /// broker; AlterConfigs and IncrementalAlterConfigs `admin` on the topic (the broker is read-only);
    /// CreatePartitions and DeleteRecords `admin` on the topic; OffsetForLeaderEpoch any grant on the topic;
    /// DescribeCluster nothing. ConsumerGroupHeartbeat needs `consume` on the group (ConsumerGroupDescribe checks
    /// describing each group in its own entry). ShareGroupHeartbeat, ShareFetch and ShareAcknowledge need `consume`
    /// on the share group (ShareFetch and ShareAcknowledge `consume` on each topic too, checked per entry);
    /// ShareGroupDescribe to describe each group.
    func refusal(_ request: KafkaRequest, version: Int16, access: KafkaRequestAccess) -> (any KafkaResponse)? {
        guard access.policy != nil else { return nil }
        switch request {
        case .initProducerId:
            if access.permits(.topic(.produce, nil)) { return nil }
            return KafkaInitProducerIdResponse(
                errorCode: .clusterAuthorizationFailed, producerId: -1, producerEpoch: -1)
        case .joinGroup(let join):
            if access.permits(.group(.consume, join.groupId)) { return nil }
            return KafkaJoinGroupResponse(
                errorCode: .groupAuthorizationFailed, generationId: -1, protocolName: nil, leader: "", memberId: "",
                members: [])
        case .syncGroup(let sync):
            if access.permits(.group(.consume, sync.groupId)) { return nil }
            return KafkaSyncGroupResponse(errorCode: .groupAuthorizationFailed, assignment: [])
        case .heartbeat(let heartbeat):
            if access.permits(.group(.consume, heartbeat.groupId)) { return nil }
            return KafkaErrorOnlyResponse(errorCode: .groupAuthorizationFailed)
        case .leaveGroup(let leave):
            if access.permits(.group(.consume, leave.groupId)) { return nil }
            return KafkaLeaveGroupResponse(errorCode: .groupAuthorizationFailed)
        case .offsetCommit(let commit):
            if access.permits(.group(.consume, commit.groupId)) { return nil }
            var topics: [KafkaOffsetCommitResponse.Topic] = []
            for topic in commit.topics {
                for partition in topic.partitions {
                    topics.append(
                        .init(partitionIndex: partition.partitionIndex, errorCode: .groupAuthorizationFailed),
                        topic: topic.name)
                }
            }
            return KafkaOffsetCommitResponse(topics: topics)
        case .shareGroupHeartbeat(let heartbeat):
            if access.permits(.group(.consume, heartbeat.groupId)) { return nil }
            return KafkaShareGroupHeartbeatResponse(
                errorCode: .groupAuthorizationFailed, errorMessage: "not authorized for group '\(heartbeat.groupId)'")
        case .shareFetch(let fetch):
            if access.permits(.group(.consume, fetch.groupId ?? "")) { return nil }
            return KafkaShareFetchResponse(
                errorCode: .groupAuthorizationFailed, errorMessage: "not authorized for group '\(fetch.groupId ?? "")'")
        case .shareAcknowledge(let acknowledge):
            if access.permits(.group(.consume, acknowledge.groupId ?? "")) { return nil }
            return KafkaShareAcknowledgeResponse(
                errorCode: .groupAuthorizationFailed,
                errorMessage: "not authorized for group '\(acknowledge.groupId ?? "")'")
        case .offsetDelete(let delete):
            if access.permits(.group(.admin, delete.groupId)) { return nil }
            return KafkaOffsetDeleteResponse(errorCode: .groupAuthorizationFailed, topics: [])
        case .describeLogDirs:
            if access.permits(.topic(.admin, nil)) { return nil }
            // Before v3 the answer has no error field: Kafka answers an empty list.
            return KafkaDescribeLogDirsResponse(errorCode: .clusterAuthorizationFailed, results: [])
        case .consumerGroupHeartbeat(let heartbeat):
            if access.permits(.group(.consume, heartbeat.groupId)) { return nil }
            return KafkaConsumerGroupHeartbeatResponse(
                errorCode: .groupAuthorizationFailed, errorMessage: "not authorized for group '\(heartbeat.groupId)'")
        default:
            return nil
        }
    }
}
