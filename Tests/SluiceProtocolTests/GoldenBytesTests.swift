import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// Frames written out by hand from `docs/PROTOCOL.md`, pinning the spec and the code together.
@Suite struct GoldenBytesTests {
    static let produceRequest = Request.produce(
        ProduceRequest(
            acks: .afterCommit, timeoutMs: 1000,
            topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 0,
                            records: [
                                ProducerRecord(
                                    key: [0x6B], value: [0x00, 0x01], headers: [Header(name: "h", value: nil)])
                            ])
                    ])
            ]))

    static let produceRequestFrame = ByteBuffer(
        hex: """
            0000003e                  # frame length: 62 bytes follow
            0006 0000 0000002a        # api key 6 (produce), version 0, correlation id 42
            01                        # acks 1
            000003e8                  # timeout 1000 ms
            00000001                  # 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
                00000001                  # 1 record
                  ffffffffffffffff          # timestamp -1: broker stamps it
                  00000001 6b               # key "k"
                  00000002 0001             # value 00 01
                  00000001                  # 1 header
                    0001 68                   # name "h"
                    ffffffff                  # value null
            """)

    @Test func produceRequestFrame() throws {
        #expect(
            Self.produceRequest.frame(correlationID: 42) == Self.produceRequestFrame,
            "\(Self.produceRequest.frame(correlationID: 42).hexDump)")

        var body = Self.produceRequestFrame.getSlice(at: 4, length: 62)!
        let header = try RequestHeader.decode(from: &body)
        #expect(header == RequestHeader(apiKey: 6, apiVersion: 0, correlationID: 42))
        #expect(try Request.decode(header: header, payload: &body) == Self.produceRequest)
    }

    static let idempotentProduceRequest = Request.produce(
        ProduceRequest(
            acks: .afterCommit, timeoutMs: 1000,
            topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 0, records: [ProducerRecord(value: [0x61])],
                            sequence: BatchSequence(producerID: 3, epoch: 0, baseSequence: 10))
                    ])
            ]))

    static let idempotentProduceRequestFrame = ByteBuffer(
        hex: """
            00000043                  # frame length: 67 bytes follow
            0006 0001 0000002a        # api key 6 (produce), version 1, correlation id 42
            01                        # acks 1
            000003e8                  # timeout 1000 ms
            00000001                  # 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
                0000000000000003          # producer id 3
                0000                      # epoch 0
                0000000a                  # base sequence 10
                00000001                  # 1 record
                  ffffffffffffffff          # timestamp -1: broker stamps it
                  ffffffff                  # key null
                  00000001 61               # value "a"
                  00000000                  # no headers
            """)

    @Test func idempotentProduceRequestFrameIsVersion1() throws {
        #expect(
            Self.idempotentProduceRequest.frame(correlationID: 42) == Self.idempotentProduceRequestFrame,
            "\(Self.idempotentProduceRequest.frame(correlationID: 42).hexDump)")
        var body = Self.idempotentProduceRequestFrame.getSlice(at: 4, length: 67)!
        let header = try RequestHeader.decode(from: &body)
        #expect(header == RequestHeader(apiKey: 6, apiVersion: 1, correlationID: 42))
        #expect(try Request.decode(header: header, payload: &body) == Self.idempotentProduceRequest)
    }

    /// Version 1 with -1 in the three fields is a partition without sequence numbers.
    @Test func produceVersion1WithoutSequence() throws {
        var body = ByteBuffer(
            hex: """
                0006 0001 00000007 00 00000000 00000001 0001 74 00000001
                  00000002 ffffffffffffffff ffff ffffffff 00000000
                """)
        let header = try RequestHeader.decode(from: &body)
        let request = try Request.decode(header: header, payload: &body)
        #expect(
            request
                == .produce(
                    ProduceRequest(
                        acks: .noResponse, timeoutMs: 0,
                        topics: [
                            .init(name: "t", partitions: [.init(partition: 2, records: [])])
                        ])))
    }

    @Test func initProducerIDFrames() throws {
        #expect(
            Request.initProducerID(InitProducerIDRequest()).frame(correlationID: 42)
                == ByteBuffer(hex: "00000008 0012 0000 0000002a  # api key 18, version 0, correlation 42, no payload"))
        var buffer = ByteBuffer()
        Response.initProducerID(InitProducerIDResponse(producerID: 3, epoch: 0)).encodeFrame(
            correlationID: 42, into: &buffer)
        #expect(
            buffer
                == ByteBuffer(
                    hex: """
                        00000012                  # frame length: 18 bytes follow
                        0000002a 0000 ffff        # correlation id 42, no error
                        0000000000000003 0000     # producer id 3, epoch 0
                        """), "\(buffer.hexDump)")
    }

    /// The backup example of PROTOCOL.md §6.19, byte for byte.
    @Test func backupFrames() throws {
        #expect(
            Request.backup(BackupRequest(directory: "/b")).frame(correlationID: 9)
                == ByteBuffer(
                    hex: """
                        0000000c                  # frame length: 12 bytes follow
                        0014 0000 00000009        # api key 20 (backup), version 0, correlation id 9
                        0002 2f62                 # directory "/b"
                        """))
        var buffer = ByteBuffer()
        Response.backup(
            BackupResponse(
                createdMs: 1_700_000_000_000, catalogBytes: 32_768,
                topics: [
                    .init(name: "t", partitions: 1, records: 11, bytes: 8_192)
                ])
        ).encodeFrame(correlationID: 9, into: &buffer)
        #expect(
            buffer
                == ByteBuffer(
                    hex: """
                        00000033                  # frame length: 51 bytes follow
                        00000009 0000 ffff        # correlation id 9, no error
                        0000018bcfe56800          # created 1700000000000
                        0000000000008000          # catalog 32768 bytes
                        00000001                  # 1 topic
                          0001 74                   # name "t"
                          00000001                  # 1 partition
                          000000000000000b          # 11 records
                          0000000000002000          # 8192 bytes
                        """), "\(buffer.hexDump)")
    }

    static let produceResponse = Response.produce(
        ProduceResponse(topics: [
            .init(name: "t", partitions: [.init(partition: 0, baseOffset: 5, logAppendTime: 1_700_000_000_000)])
        ]))

    static let produceResponseFrame = ByteBuffer(
        hex: """
            0000002b                  # frame length: 43 bytes follow
            0000002a                  # correlation id 42
            0000 ffff                 # error code 0, error message null
            00000001                  # 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
                0000 ffff                 # error code 0, error message null
                0000000000000005          # base offset 5
                0000018bcfe56800          # log append time 1700000000000
            """)

    @Test func produceResponseFrame() throws {
        var buffer = ByteBuffer()
        Self.produceResponse.encodeFrame(correlationID: 42, into: &buffer)
        #expect(buffer == Self.produceResponseFrame, "\(buffer.hexDump)")

        let frame = try ResponseFrame.decode(from: Self.produceResponseFrame.getSlice(at: 4, length: 43)!)
        #expect(frame.correlationID == 42)
        #expect(try frame.response(to: .produce) == Self.produceResponse)
    }

    static let fetchResponseFrame = ByteBuffer(
        hex: """
            0000004b                  # frame length: 75 bytes follow
            00000007                  # correlation id 7
            0000 ffff                 # no error
            00000001                  # 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000003                  # partition 3
                0000 ffff                 # no error
                0000000000000000          # log start offset 0
                000000000000000b          # high watermark 11
                00000001                  # 1 record
                  000000000000000a          # offset 10
                  0000000000000064          # timestamp 100
                  ffffffff                  # key null
                  00000000                  # value empty
                  00000000                  # no headers
            """)

    @Test func fetchResponseFrame() throws {
        let response = Response.fetch(
            FetchResponse(topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 3, logStartOffset: 0, highWatermark: 11,
                            records: [Record(offset: 10, timestamp: 100, key: nil, value: [])])
                    ])
            ]))
        var buffer = ByteBuffer()
        response.encodeFrame(correlationID: 7, into: &buffer)
        #expect(buffer == Self.fetchResponseFrame, "\(buffer.hexDump)")
        let frame = try ResponseFrame.decode(from: Self.fetchResponseFrame.getSlice(at: 4, length: 75)!)
        #expect(try frame.response(to: .fetch) == response)
    }

    static let joinGroupResponseFrame = ByteBuffer(
        hex: """
            00000037                  # frame length: 55 bytes follow
            00000003                  # correlation id 3
            0000 ffff                 # no error
            0003 6d2d31               # member id "m-1"
            00000002                  # generation 2
            00000d05                  # heartbeat interval 3333 ms
            00000001                  # granted: 1 topic
              0001 74                   # name "t"
              00000002                  # 2 partitions
                00000000                  # partition 0
                00000001                  # partition 1
            00000001                  # pending: 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000002                  # partition 2
            """)

    @Test func joinGroupResponseFrame() throws {
        let response = Response.joinGroup(
            MemberAssignment(
                memberID: "m-1", generation: 2, heartbeatIntervalMs: 3333,
                granted: [.init(name: "t", partitions: [0, 1])], pending: [.init(name: "t", partitions: [2])]))
        var buffer = ByteBuffer()
        response.encodeFrame(correlationID: 3, into: &buffer)
        #expect(buffer == Self.joinGroupResponseFrame, "\(buffer.hexDump)")
        let frame = try ResponseFrame.decode(from: Self.joinGroupResponseFrame.getSlice(at: 4, length: 55)!)
        #expect(frame.correlationID == 3)
        #expect(try frame.response(to: .joinGroup) == response)
    }

    static let heartbeatV0Frame = ByteBuffer(
        hex: """
            00000023                  # frame length: 35 bytes follow
            000c 0000 00000005        # api key 12 (heartbeat), version 0, correlation id 5
            0001 67                   # group "g"
            0003 6d2d31               # member id "m-1"
            00000002                  # generation 2
            00000001                  # owned: 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
            """)

    static let heartbeatV1Frame = ByteBuffer(
        hex: """
            00000027                  # frame length: 39 bytes follow
            000c 0001 00000005        # api key 12 (heartbeat), version 1, correlation id 5
            0001 67                   # group "g"
            0003 6d2d31               # member id "m-1"
            00000002                  # generation 2
            00000001                  # owned: 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
            00000bb8                  # max wait 3000 ms
            """)

    @Test func heartbeatFramesAreVersion0WithoutMaxWaitAndVersion1WithIt() throws {
        let v0 = HeartbeatRequest(
            group: "g", memberID: "m-1", generation: 2, owned: [.init(name: "t", partitions: [0])])
        var v1 = v0
        v1.maxWaitMs = 3_000
        for (request, frame) in [(v0, Self.heartbeatV0Frame), (v1, Self.heartbeatV1Frame)] {
            #expect(
                Request.heartbeat(request).frame(correlationID: 5) == frame,
                "\(Request.heartbeat(request).frame(correlationID: 5).hexDump)")
            var body = frame.getSlice(at: 4, length: frame.readableBytes - 4)!
            let header = try RequestHeader.decode(from: &body)
            #expect(try Request.decode(header: header, payload: &body) == .heartbeat(request))
        }
    }

    @Test func heartbeatVersion1WithoutMaxWaitIsMalformed() throws {
        // A version 1 header over a version 0 body: the four bytes of maxWaitMs are missing.
        var body = Self.heartbeatV0Frame.getSlice(at: 4, length: 35)!
        var header = try RequestHeader.decode(from: &body)
        header.apiVersion = 1
        #expect(throws: SluiceError.self) { try Request.decode(header: header, payload: &body) }
    }

    @Test func resetOffsetsRequestFrame() throws {
        let request = Request.resetOffsets(ResetOffsetsRequest(group: "g", topic: "t", mode: .latest))
        let expected = ByteBuffer(
            hex: """
                00000017                  # frame length: 23 bytes follow
                0011 0000 00000005        # api key 17 (reset_offsets), version 0, correlation id 5
                0001 67                   # group "g"
                0001 74                   # topic "t"
                01                        # mode 1: latest
                0000000000000000          # value: ignored, sent as 0
                """)
        #expect(request.frame(correlationID: 5) == expected, "\(request.frame(correlationID: 5).hexDump)")
    }

    @Test func errorResponseFrame() throws {
        var buffer = ByteBuffer()
        Response.encodeErrorFrame(correlationID: 7, error: .unknownTopic("x"), into: &buffer)
        let expected = ByteBuffer(
            hex: """
                00000019                  # frame length: 25 bytes follow
                00000007                  # correlation id 7
                0005                      # error code 5 (unknown_topic)
                0011 756e6b6e6f776e20746f706963202778 27
                                          # message "unknown topic 'x'" (17 bytes), then no payload
                """)
        #expect(buffer == expected, "\(buffer.hexDump)")
    }
}

extension GoldenBytesTests {
    static let shareFetchRequest = Request.shareFetch(
        ShareFetchRequest(
            group: "g", memberID: "m-1", maxWaitMs: 500, maxRecords: 10, maxBytes: 1_048_576,
            topics: [.init(name: "t", partitions: [0])],
            acknowledgements: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 0,
                            batches: [
                                .init(firstOffset: 4, lastOffset: 6, kind: .accept),
                                .init(firstOffset: 7, lastOffset: 7, kind: .release, delayMs: 2_000),
                            ])
                    ])
            ]))

    static let shareFetchRequestFrame = ByteBuffer(
        hex: """
            00000068                  # frame length: 104 bytes follow
            001f 0000 0000000b        # api key 31 (shareFetch), version 0, correlation id 11
            0001 67                   # group "g"
            0003 6d2d31               # member id "m-1"
            000001f4                  # max wait 500 ms
            0000000a                  # at most 10 records
            00100000                  # at most 1048576 bytes
            00000001                  # 1 topic to read
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
            00000001                  # acknowledgements: 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
                00000002                  # 2 batches
                  0000000000000004          # offsets 4
                  0000000000000006          # to 6
                  01                        # accept
                  00000000                  # no delay
                  0000000000000007          # offset 7
                  0000000000000007          # to 7
                  02                        # release
                  000007d0                  # after 2000 ms
            """)

    @Test func shareFetchRequestFrame() throws {
        #expect(
            Self.shareFetchRequest.frame(correlationID: 11) == Self.shareFetchRequestFrame,
            "\(Self.shareFetchRequest.frame(correlationID: 11).hexDump)")
        var body = Self.shareFetchRequestFrame.getSlice(at: 4, length: 104)!
        let header = try RequestHeader.decode(from: &body)
        #expect(try Request.decode(header: header, payload: &body) == Self.shareFetchRequest)
    }

    static let shareFetchResponse = Response.shareFetch(
        ShareFetchResponse(
            topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 0,
                            records: [Record(offset: 8, timestamp: 100, key: nil, value: [])],
                            acquired: [.init(firstOffset: 8, lastOffset: 8, deliveryCount: 2)])
                    ])
            ],
            acknowledgements: [.init(name: "t", partitions: [.init(partition: 0)])]))

    static let shareFetchResponseFrame = ByteBuffer(
        hex: """
            00000064                  # frame length: 100 bytes follow
            0000000b                  # correlation id 11
            0000 ffff                 # no error
            00000001                  # 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
                0000 ffff                 # no error
                00000001                  # 1 record
                  0000000000000008          # offset 8
                  0000000000000064          # timestamp 100
                  ffffffff                  # key null
                  00000000                  # value empty
                  00000000                  # no headers
                00000001                  # 1 acquired range
                  0000000000000008          # offsets 8
                  0000000000000008          # to 8
                  0002                      # delivered for the second time
            00000001                  # acknowledgements: 1 topic
              0001 74                   # name "t"
              00000001                  # 1 partition
                00000000                  # partition 0
                0000 ffff                 # applied
            """)

    @Test func shareFetchResponseFrame() throws {
        var buffer = ByteBuffer()
        Self.shareFetchResponse.encodeFrame(correlationID: 11, into: &buffer)
        #expect(buffer == Self.shareFetchResponseFrame, "\(buffer.hexDump)")
        let frame = try ResponseFrame.decode(from: Self.shareFetchResponseFrame.getSlice(at: 4, length: 100)!)
        #expect(try frame.response(to: .shareFetch) == Self.shareFetchResponse)
    }
}
