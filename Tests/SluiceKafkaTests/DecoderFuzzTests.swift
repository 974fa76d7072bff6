import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

/// Seeded random and mutated input for every request decoder and the batch decoder: nothing may trap, and what
/// decodes re-encodes to no more bytes than it came from (so no decoder builds more than its input holds).
@Suite struct DecoderFuzzTests {
    static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        switch rng.next() % 4 {
        case 0 where !bytes.isEmpty:
            for _ in 0...(rng.next() % 4) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 1:
            bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
        case 2 where bytes.count >= 4:
            // A huge or negative length somewhere.
            let at = Int(rng.next() % UInt64(bytes.count - 3))
            bytes[at..<(at + 4)] =
                [
                    [0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFE], [0xFF, 0xFF, 0xFF, 0xFF],
                    [0x00, 0x00, 0x7F, 0xFF],
                ][Int(rng.next() % 4)][...]
        default:
            bytes += (0..<(rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return bytes
    }

    @Test func requestDecodersNeverTrap() throws {
        var rng = SplitMix64(seed: 0x5EED)
        var decodedCount = 0
        for sample in RequestSamples.all {
            let range = try #require(KafkaAPIVersions.range(of: sample.apiKey.rawValue))
            for version in range.minVersion...range.maxVersion {
                let valid = Array(RequestSamples.frame(sample, version: version).readableBytesView)
                let headerSize =
                    RequestSamples.frame(.leaveGroup(KafkaLeaveGroupRequest(groupId: "", memberId: "")), version: 0)
                    .readableBytes - 4
                for round in 0..<400 {
                    var input: [UInt8]
                    if round % 4 == 0 {
                        input =
                            Array(valid.prefix(headerSize))
                            + (0..<(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    } else {
                        input = Self.mutate(valid, &rng)
                    }
                    guard input.count >= 4 else { continue }
                    input[0...3] = valid[0...3]  // keep the key and version so the body decoder runs
                    guard let (_, request) = try? KafkaRequest.decode(frame: ByteBuffer(bytes: input)), let request
                    else { continue }
                    decodedCount += 1
                    var reencoded = ByteBuffer()
                    request.encodeBody(version: version, into: &reencoded)
                    #expect(reencoded.readableBytes <= input.count)
                }
            }
        }
        #expect(decodedCount > 0)
    }

    @Test func batchDecoderNeverTraps() {
        var rng = SplitMix64(seed: 0xBA7C4)
        let fixtures = [
            RecordBatchFixtures.uncompressed, RecordBatchFixtures.gzip, RecordBatchFixtures.zstd,
            RecordBatchFixtures.idempotent,
        ]
        .map(RecordBatchFixtures.bytes)
        let decoder = KafkaRecordBatchDecoder(maxBatchBytes: 100_000, maxDecompressedBytes: 100_000)
        var outcomes: [Int16: Int] = [:]
        for round in 0..<4000 {
            var input = Self.mutate(fixtures[round % fixtures.count], &rng)
            if round % 2 == 0, input.count >= 61 {
                var length = 0
                for k in 8..<12 { length = length << 8 | Int(input[k]) }
                if length >= 49, length + 12 <= input.count { RecordBatchTests.fixCRC(&input) }
            }
            do {
                let batches = try decoder.decodePayload(ByteBuffer(bytes: input))
                let payload = batches.flatMap(\.records).reduce(0) { $0 + $1.sizeInBytes }
                #expect(payload <= 100_000)
                outcomes[0, default: 0] += 1
            } catch {
                #expect([2, 10, 76, 87].contains(error.code.rawValue))
                outcomes[error.code.rawValue, default: 0] += 1
            }
        }
        // Both validation paths were reached: some passed, some failed past the CRC.
        #expect(outcomes[0, default: 0] > 0 && outcomes[87, default: 0] + outcomes[76, default: 0] > 0)
    }

    /// Magic 0/1 message sets (as Produce v0-v2 carries them), mutated, half of them with their CRCs made right again
    /// so that the checks past the CRC run.
    @Test func legacyMessageSetDecoderNeverTraps() throws {
        var rng = SplitMix64(seed: 0x01D)
        let fixtures: [[UInt8]] = [
            MessageSetTests.message(magic: 0, key: [1], value: [2, 3])
                + MessageSetTests.message(magic: 0, key: nil, value: nil),
            MessageSetTests.message(magic: 1, key: [1], value: [2])
                + MessageSetTests.message(magic: 1, attributes: 8, key: nil, value: [4]),
        ]
        var decoder = KafkaRecordBatchDecoder(maxBatchBytes: 100_000, maxDecompressedBytes: 100_000)
        decoder.acceptsLegacyMessages = true
        var outcomes: [Int16: Int] = [:]
        for round in 0..<4000 {
            var input = Self.mutate(fixtures[round % fixtures.count], &rng)
            if round % 2 == 0 { Self.fixLegacyCRCs(&input) }
            do {
                let batch = try decoder.decodePayload(ByteBuffer(bytes: input))
                #expect(batch.count == 1 && !batch[0].records.isEmpty)
                outcomes[0, default: 0] += 1
            } catch {
                #expect([2, 10, 76, 87].contains(error.code.rawValue))
                outcomes[error.code.rawValue, default: 0] += 1
            }
        }
        #expect(outcomes[0, default: 0] > 0 && outcomes[2, default: 0] > 0)
    }

    /// Recomputes the CRC of each message whose size field still frames it.
    static func fixLegacyCRCs(_ input: inout [UInt8]) {
        var at = 0
        while at + 16 <= input.count {
            let size = input[(at + 8)..<(at + 12)].reduce(0) { $0 << 8 | Int($1) }
            guard size >= 5, at + 12 + size <= input.count else { return }
            let crc = CRC32.checksum(input[(at + 16)..<(at + 12 + size)])
            for k in 0..<4 { input[at + 12 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
            at += 12 + size
        }
    }

    @Test func randomBytesIntoThePrimitives() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let bytes = (0..<(rng.next() % 24)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var a = ByteBuffer(bytes: bytes)
            _ = try? a.readKafkaCompactString()
            var b = ByteBuffer(bytes: bytes)
            _ = try? b.skipKafkaTaggedFields()
            var c = ByteBuffer(bytes: bytes)
            _ = try? KafkaRecordBatchDecoder.decodeRecord(&c, baseTimestamp: Int64.max, expectedDelta: nil)
            _ = try? KafkaConsumerProtocol.subscriptionTopics(bytes)
            _ = try? KafkaConsumerProtocol.assignedPartitions(bytes)
        }
        #expect(Bool(true))
    }
}
