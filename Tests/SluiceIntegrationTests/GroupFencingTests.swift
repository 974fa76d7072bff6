import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

/// A removed member is fenced through the real server: after its session expired, the server restarted or it
/// left, a new member joining under the same client id gets another id, and the old one's heartbeats and commits
/// are refused `unknown_member`.
@Suite(.serialized) struct GroupFencingTests {
    func join(_ connection: RawConnection, sessionTimeoutMs: Int32 = 5000) throws -> MemberAssignment {
        guard
            case .joinGroup(let answer) = try connection.call(
                .joinGroup(
                    JoinGroupRequest(
                        group: "g", clientID: "worker", sessionTimeoutMs: sessionTimeoutMs, topics: ["t"])))
        else { throw SluiceError(.unknown, "bad response") }
        return answer
    }

    /// The top-level error of a heartbeat, `nil` when it succeeded.
    func heartbeat(_ connection: RawConnection, _ member: MemberAssignment) -> ErrorCode? {
        do {
            _ = try connection.call(
                .heartbeat(
                    HeartbeatRequest(
                        group: "g", memberID: member.memberID, generation: member.generation, owned: member.granted)))
            return nil
        } catch let error as SluiceError {
            return error.code
        } catch {
            return .unknown
        }
    }

    /// The partition error of a commit of offset 0 on partition 0, `nil` when it was stored.
    func commit(_ connection: RawConnection, _ member: MemberAssignment) throws -> ErrorCode? {
        guard
            case .commitOffsets(let answer) = try connection.call(
                .commitOffsets(
                    CommitOffsetsRequest(
                        group: "g", generation: member.generation, memberID: member.memberID,
                        topics: [.init(name: "t", partitions: [.init(partition: 0, offset: 0)])])))
        else { throw SluiceError(.unknown, "bad response") }
        return answer.topics[0].partitions[0].error?.code
    }

    func expectFenced(_ old: MemberAssignment, by new: MemberAssignment, on connection: RawConnection) throws {
        #expect(new.memberID != old.memberID)
        #expect(new.memberID.hasPrefix("worker-"))
        #expect(heartbeat(connection, old) == .unknownMember)
        #expect(try commit(connection, old) == .unknownMember)
        #expect(heartbeat(connection, new) == nil)
        #expect(try commit(connection, new) == nil)
    }

    @Test func afterSessionExpiry() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("t", partitions: 2)
        let old = try join(connection, sessionTimeoutMs: 1000)
        Thread.sleep(forTimeInterval: 1.5)
        let new = try join(connection)
        #expect(new.generation == old.generation)
        try expectFenced(old, by: new, on: connection)
    }

    @Test func afterLeave() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("t", partitions: 2)
        let old = try join(connection)
        _ = try connection.call(.leaveGroup(LeaveGroupRequest(group: "g", memberID: old.memberID)))
        let new = try join(connection)
        try expectFenced(old, by: new, on: connection)
    }

    @Test func afterServerRestart() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        var connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("t", partitions: 2)
        let old = try join(connection)
        server.stop()
        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        connection = try RawConnection(path: restarted.socketPath)
        let new = try join(connection)
        #expect(new.generation == old.generation)
        try expectFenced(old, by: new, on: connection)
    }

    /// The client side: a consumer the server forgot drops its partitions without committing, then joins anew.
    @Test func aForgottenConsumerDropsItsPartitionsAndRejoins() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("t", partitions: 2)
        var configuration = ConsumerConfiguration(group: "g", autoOffsetReset: .earliest)
        configuration.clientID = "worker"
        configuration.sessionTimeoutMs = 3000
        configuration.autoCommitIntervalMs = nil
        let events = Mutex<[RebalanceEvent]>([])
        let consumer = try await client.makeConsumer(configuration)
        try await consumer.subscribe(["t"]) { event in events.withLock { $0.append(event) } }
        let polling = Task { while !Task.isCancelled { _ = try? await consumer.poll(maxWaitMs: 50) } }
        defer { polling.cancel() }
        let first = try #require(await consumer.memberID)
        #expect(await consumer.assignment.count == 2)

        server.stop()
        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let id = await consumer.memberID, id != first, await consumer.assignment.count == 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let second = try #require(await consumer.memberID)
        #expect(second != first && second.hasPrefix("worker-"))
        #expect(await consumer.assignment.count == 2)
        let seen = events.withLock { $0 }
        let all = [TopicPartition(topic: "t", partition: 0), TopicPartition(topic: "t", partition: 1)]
        #expect(seen == [.assigned(all), .revoked(all), .assigned(all)])
        // Nothing was committed for the dropped partitions.
        #expect(try await client.committedOffsets(group: "g", topics: ["t"]).isEmpty)
        polling.cancel()
        await consumer.close()
    }
}
