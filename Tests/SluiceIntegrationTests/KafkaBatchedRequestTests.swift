import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// The batched forms of the group APIs, in raw frames against the real server (real clients send one entry):
/// FindCoordinator v4 with several keys, OffsetFetch v8 with several groups, LeaveGroup v3 with several members,
/// each answered in its own entry; the flexible ones with request header v2 and response header v1.
@Suite struct KafkaBatchedRequestTests {
    /// Compact (flexible) forms, for writing requests: N+1 lengths, as one byte (the strings here are short).
    static func compact(_ string: String?) -> [UInt8] {
        guard let string else { return [0] }
        return [UInt8(string.utf8.count + 1)] + Array(string.utf8)
    }

    /// Sends a flexible request: `send` writes the header up to the client id; its tagged fields open the body.
    static func sendFlexible(_ kafka: RawKafkaConnection, apiKey: Int16, version: Int16, body: [UInt8]) {
        var wire = KafkaWire()
        wire.bytes = [0] + body
        kafka.send(apiKey: apiKey, version: version, correlationID: 3, body: wire)
    }

    @Test func findCoordinatorV4AnswersEachKey() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        for (keyType, expected) in [(UInt8(0), Int16(0)), (1, 15)] {
            Self.sendFlexible(
                kafka, apiKey: 10, version: 4, body: [keyType, 3] + Self.compact("g1") + Self.compact("g2") + [0])
            var reader = KafkaReader(try #require(kafka.readFrame()))
            #expect(reader.int32() == 3)
            reader.skip(1)  // response header v1: tagged fields
            #expect(reader.int32() == 0)  // throttle
            #expect(reader.bytes[reader.at] == 3)  // two coordinators
            reader.skip(1)
            for key in ["g1", "g2"] {
                #expect(Array(reader.bytes[reader.at..<(reader.at + 3)]) == Self.compact(key))
                reader.skip(3)
                let node = reader.int32()
                let hostLength = Int(reader.bytes[reader.at]) - 1
                reader.skip(1 + max(hostLength, 0))
                let port = reader.int32()
                #expect(reader.int16() == expected, "key type \(keyType)")
                if expected == 0 {
                    #expect(node == 1 && port > 0)
                    #expect(reader.bytes[reader.at] == 0)  // no message
                    reader.skip(1)
                } else {
                    #expect(node == -1)
                    reader.skip(Int(reader.bytes[reader.at]))  // the message
                }
                reader.skip(1)  // tagged fields
            }
        }
    }

    @Test func offsetFetchV8AnswersEachGroup() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let native = try RawConnection(path: server.socketPath)
        try native.createTopic("t", partitions: 1)
        _ = try native.produce("t", strings: ["a", "b", "c", "d", "e"])
        _ = try native.commit(group: "ga", "t", offsets: [0: 5])
        #expect(try native.committedOffsets(group: "ga", "t") == [0: 5])
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        let groups: [UInt8] =
            [3] + Self.compact("ga") + [2] + Self.compact("t") + [2, 0, 0, 0, 0, 0, 0] + Self.compact("gb") + [0, 0]
        Self.sendFlexible(kafka, apiKey: 9, version: 8, body: groups + [0, 0])
        var reader = KafkaReader(try #require(kafka.readFrame()))
        #expect(reader.int32() == 3)
        reader.skip(1 + 4)  // header tags, throttle
        #expect(reader.bytes[reader.at] == 3)
        reader.skip(1)
        // "ga": topic t, partition 0 at offset 5, no error.
        #expect(Array(reader.bytes[reader.at..<reader.at + 3]) == Self.compact("ga"))
        reader.skip(3)
        #expect(Array(reader.bytes[reader.at..<reader.at + 4]) == [2] + Self.compact("t") + [2])
        reader.skip(4)
        #expect(reader.int32() == 0)
        #expect(reader.int64() == 5)
        reader.skip(4)  // leader epoch
        reader.skip(Int(reader.bytes[reader.at]))  // metadata (compact: N+1 bytes with its length)
        #expect(reader.int16() == 0)
        reader.skip(2)  // partition and topic tags
        #expect(reader.int16() == 0)
        reader.skip(1)
        // "gb" has committed nothing: no topics, no error.
        #expect(Array(reader.bytes[reader.at..<reader.at + 3]) == Self.compact("gb"))
        reader.skip(3)
        #expect(reader.bytes[reader.at] == 1)
        reader.skip(1)
        #expect(reader.int16() == 0)
        reader.skip(2)  // group and body tags
        #expect(reader.at == reader.bytes.count)
    }

    @Test func leaveGroupV3AnswersEachMember() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        var body = KafkaWire()
        body.string("nobody")
        body.int32(2)
        for member in ["m1", "m2"] {
            body.string(member)
            body.int16(-1)  // no group instance id
        }
        kafka.send(apiKey: 13, version: 3, correlationID: 4, body: body)
        var reader = KafkaReader(try #require(kafka.readFrame()))
        #expect(reader.int32() == 4)
        #expect(reader.int32() == 0)  // throttle
        #expect(reader.int16() == 0)  // the group's error: none
        #expect(reader.int32() == 2)
        for member in ["m1", "m2"] {
            #expect(reader.string() == member)
            #expect(reader.int16() == -1)
            #expect(reader.int16() == 25)  // UNKNOWN_MEMBER_ID
        }
    }
}
