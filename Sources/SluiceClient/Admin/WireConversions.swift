import SluiceCore
import SluiceProtocol

// The client's result types built from the wire's answers, and its arguments turned into the wire's.

extension TopicDescription {
    init(_ response: DescribeTopicResponse) {
        self.init(
            name: response.name, partitionCount: response.partitionCount, configs: response.configs,
            partitions: response.partitions.map {
                Partition(
                    partition: $0.partition, logStartOffset: $0.logStartOffset, nextOffset: $0.nextOffset,
                    sizeBytes: $0.sizeBytes)
            })
    }
}

extension TopicMetadata {
    init(_ topic: MetadataResponse.Topic) {
        self.init(name: topic.name, error: topic.error, partitions: topic.partitions)
    }
}

extension GroupDescription {
    init(_ response: DescribeGroupResponse) {
        func partitions(_ topics: [SluiceProtocol.TopicPartitions<Int32>]) -> [TopicPartitions] {
            topics.map { TopicPartitions(name: $0.name, partitions: $0.partitions) }
        }
        self.init(
            group: response.group, state: State(response.state), generation: response.generation,
            members: response.members.map {
                Member(
                    memberID: $0.memberID, clientID: $0.clientID, topics: $0.topics, owned: partitions($0.owned),
                    pending: partitions($0.pending))
            },
            topics: response.topics.map { topic in
                Topic(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        Partition(
                            partition: $0.partition, owner: $0.owner, committedOffset: $0.committedOffset,
                            endOffset: $0.endOffset, lag: $0.lag)
                    })
            })
    }
}

extension GroupDescription.State {
    init(_ state: GroupState) {
        switch state {
        case .empty: self = .empty
        case .stable: self = .stable
        case .rebalancing: self = .rebalancing
        case .dead: self = .dead
        }
    }
}

extension GroupListing {
    init(_ group: ListGroupsResponse.Group) {
        self.init(
            name: group.name, state: GroupDescription.State(group.state), memberCount: group.memberCount,
            type: GroupType(rawValue: group.type) ?? .consumer)
    }
}

extension OffsetResetTarget {
    var wireMode: ResetOffsetsRequest.Mode {
        switch self {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let offset): .offset(offset)
        case .timestamp(let millis): .timestamp(millis)
        }
    }
}

extension ProducerConfiguration.Acks {
    var wireAcks: ProduceRequest.Acks {
        switch self {
        case .none: .noResponse
        case .afterCommit: .afterCommit
        }
    }
}
