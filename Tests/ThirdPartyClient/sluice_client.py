"""A small client for Sluice's native protocol, written from docs/PROTOCOL.md alone (Python 3.10+, stdlib).

It is a reference for third parties, not a product: one blocking connection, requests that can be pipelined, and
responses matched by correlation id (§1), so a long-polling fetch does not hold back other answers.

    with Connection("/run/sluice/sluice.sock") as conn:
        conn.create_topic("orders", 3)
        conn.produce("orders", [Record(b"alice", b"1")])
        print(conn.fetch([("orders", 0, 0)]))
"""

import socket
import struct
from dataclasses import dataclass, field

# API keys (§6).
API_VERSIONS, METADATA, CREATE_TOPIC, DELETE_TOPIC, DESCRIBE_TOPIC, ALTER_TOPIC = 0, 1, 2, 3, 4, 5
PRODUCE, FETCH, LIST_OFFSETS, COMMIT_OFFSETS, FETCH_OFFSETS = 6, 7, 8, 9, 10
JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, DESCRIBE_GROUP, LIST_GROUPS = 11, 12, 13, 14, 15
DELETE_GROUP, RESET_OFFSETS, INIT_PRODUCER_ID, STATS, BACKUP = 16, 17, 18, 19, 20

# Error codes (§4); a code not listed here is treated as `unknown`.
ERROR_NAMES = [
    "none", "unknown", "malformed_request", "unsupported_version", "unsupported_request", "unknown_topic",
    "unknown_partition", "topic_already_exists", "invalid_topic_name", "invalid_argument", "message_too_large",
    "frame_too_large", "offset_out_of_range", "too_many_requests", "storage_error", "disk_full",
    "corrupt_database", "not_authorized", "timeout", "shutting_down", "schema_too_new", "unknown_group",
    "unknown_member", "stale_generation", "rebalance_in_progress", "group_not_empty", "duplicate_sequence",
    "out_of_order_sequence", "connection_closed", "topic_being_deleted", "invalid_producer_epoch",
    "unknown_producer_id",
]
RETRIABLE = {"too_many_requests", "storage_error", "disk_full", "timeout", "shutting_down",
             "rebalance_in_progress", "connection_closed"}

MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # our own limit on response frames (§1)


def error_name(code):
    return ERROR_NAMES[code] if 0 <= code < len(ERROR_NAMES) else "unknown"


class SluiceError(Exception):
    """A top-level or connection-level error (§4), or a partition error a caller chose to raise."""

    def __init__(self, code, message=None):
        self.code, self.name, self.message = code, error_name(code), message
        super().__init__(f"{self.name} ({code}): {message}")

    @property
    def retriable(self):
        return self.name in RETRIABLE


# ---------------------------------------------------------------------------- primitives (§2)

class Writer:
    def __init__(self):
        self.parts = []

    def int8(self, v): self.parts.append(struct.pack(">b", v)); return self
    def int16(self, v): self.parts.append(struct.pack(">h", v)); return self
    def int32(self, v): self.parts.append(struct.pack(">i", v)); return self
    def int64(self, v): self.parts.append(struct.pack(">q", v)); return self

    def string(self, s):
        data = s.encode("utf-8")
        if len(data) > 32767:
            raise ValueError("a string is at most 32 767 bytes of UTF-8")
        return self.int16(len(data)).raw(data)

    def nullable_string(self, s):
        return self.int16(-1) if s is None else self.string(s)

    def nullable_bytes(self, b):
        return self.int32(-1) if b is None else self.int32(len(b)).raw(b)

    def array(self, items, encode):
        self.int32(len(items))
        for item in items:
            encode(self, item)
        return self

    def nullable_array(self, items, encode):
        return self.int32(-1) if items is None else self.array(items, encode)

    def raw(self, b):
        self.parts.append(bytes(b))
        return self

    def bytes(self):
        return b"".join(self.parts)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise SluiceError(2, "response runs past the end of its frame")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int8(self): return struct.unpack(">b", self.take(1))[0]
    def int16(self): return struct.unpack(">h", self.take(2))[0]
    def int32(self): return struct.unpack(">i", self.take(4))[0]
    def int64(self): return struct.unpack(">q", self.take(8))[0]

    def string(self): return self.take(self.int16()).decode("utf-8")

    def nullable_string(self):
        n = self.int16()
        return None if n == -1 else self.take(n).decode("utf-8")

    def nullable_bytes(self):
        n = self.int32()
        return None if n == -1 else self.take(n)

    def array(self, decode):
        return [decode(self) for _ in range(self.int32())]

    def nullable_array(self, decode):
        n = self.int32()
        return None if n == -1 else [decode(self) for _ in range(n)]

    def error(self):
        return self.int16(), self.nullable_string()

    def end(self):
        if self.pos != len(self.data):
            raise SluiceError(2, f"{len(self.data) - self.pos} bytes left over after the response")


# ---------------------------------------------------------------------------- shared structures (§5)

@dataclass
class Record:
    """A record to produce (producerRecord) or a fetched one (storedRecord, with `offset`)."""
    key: bytes | None = None
    value: bytes | None = None
    headers: list = field(default_factory=list)  # [(name, value bytes or None)]
    timestamp: int = -1  # -1: the broker stamps it
    offset: int = -1


def encode_header(w, header):
    w.string(header[0]).nullable_bytes(header[1])


def decode_header(r):
    return (r.string(), r.nullable_bytes())


def encode_record(w, rec):
    w.int64(rec.timestamp).nullable_bytes(rec.key).nullable_bytes(rec.value).array(rec.headers, encode_header)


def decode_stored_record(r):
    offset, timestamp = r.int64(), r.int64()
    key, value = r.nullable_bytes(), r.nullable_bytes()
    return Record(key, value, r.array(decode_header), timestamp, offset)


def encode_configs(w, configs):
    w.array(list(configs.items()), lambda w, kv: w.string(kv[0]).nullable_string(kv[1]))


def encode_assignment(w, assignment):
    """An assignment (§Consumer groups) from {topic: [partitions]}, topics and partitions ascending."""
    w.array(sorted(assignment.items()), lambda w, tp: w.string(tp[0]).array(sorted(tp[1]), Writer.int32))


def decode_assignment(r):
    return dict(r.array(lambda r: (r.string(), r.array(Reader.int32))))


# ---------------------------------------------------------------------------- the partitioner

def murmur2(data):
    """Kafka's murmur2 hash of `data` (a signed 32-bit value), as its default partitioner computes it."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    tail = length - length % 4
    if length % 4 == 3:
        h ^= data[tail + 2] << 16
    if length % 4 >= 2:
        h ^= data[tail + 1] << 8
    if length % 4 >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key, partitions):
    """The partition a keyed record goes to: the positive part of murmur2(key) modulo the partition count."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


# ---------------------------------------------------------------------------- frames, requests, responses

def encode_frame(api_key, version, correlation_id, payload=b""):
    """A request frame (§1, §3): length, then apiKey, apiVersion, correlationId and the payload."""
    body = struct.pack(">hhi", api_key, version, correlation_id) + payload
    return struct.pack(">I", len(body)) + body


def open_response(body):
    """A response body's header (§3): (correlationId, errorCode, errorMessage, a Reader at the payload)."""
    r = Reader(body)
    correlation_id = r.int32()
    return (correlation_id, *r.error(), r)


def by_topic(entries):
    """[(topic, item), ...] grouped as [(topic, [items])], topics in their first order."""
    grouped = {}
    for topic, item in entries:
        grouped.setdefault(topic, []).append(item)
    return list(grouped.items())


def produce_payload(batches, acks=1, timeout_ms=30000, idempotent=False):
    """§6.6. `batches` is {(topic, partition): records} or, `idempotent` (version 1),
    {(topic, partition): (producerId, epoch, baseSequence, records)}."""
    def encode_partition(w, item):
        partition, batch = item
        w.int32(partition)
        if idempotent:
            producer_id, epoch, base_sequence, batch = batch
            w.int64(producer_id).int16(epoch).int32(base_sequence)
        w.array(batch, encode_record)

    entries = by_topic((topic, (partition, batch)) for (topic, partition), batch in batches.items())
    w = Writer().int8(acks).int32(timeout_ms)
    return w.array(entries, lambda w, t: w.string(t[0]).array(t[1], encode_partition)).bytes()


def decode_produce(r):
    """{(topic, partition): (error code, message, baseOffset, logAppendTime)}."""
    out = {}
    for topic, parts in r.array(lambda r: (r.string(), r.array(
            lambda r: (r.int32(), *r.error(), r.int64(), r.int64())))):
        for partition, *rest in parts:
            out[(topic, partition)] = tuple(rest)
    r.end()
    return out


def fetch_payload(positions, max_wait_ms=0, min_bytes=0, max_bytes=1 << 20, partition_max_bytes=1 << 20):
    """§6.7, for `positions` [(topic, partition, offset)]."""
    entries = by_topic((topic, (partition, offset)) for topic, partition, offset in positions)
    w = Writer().int32(max_wait_ms).int32(min_bytes).int32(max_bytes)
    return w.array(entries, lambda w, t: w.string(t[0]).array(
        t[1], lambda w, p: w.int32(p[0]).int64(p[1]).int32(partition_max_bytes))).bytes()


def decode_fetch(r):
    """{(topic, partition): FetchedPartition}."""
    out = {}
    for topic, parts in r.array(lambda r: (r.string(), r.array(lambda r: FetchedPartition(
            r.int32(), *r.error(), r.int64(), r.int64(), r.array(decode_stored_record))))):
        for part in parts:
            out[(topic, part.partition)] = part
    r.end()
    return out


def heartbeat_payload(group, member_id, generation, owned, max_wait_ms=None):
    """§6.12; `owned` {topic: [partitions]}; `max_wait_ms` only at version 1."""
    w = Writer().string(group).string(member_id).int32(generation)
    encode_assignment(w, owned)
    if max_wait_ms is not None:
        w.int32(max_wait_ms)
    return w.bytes()


def decode_membership(r):
    """The answer to a join or heartbeat (§6.11)."""
    out = Membership(r.string(), r.int32(), r.int32(), decode_assignment(r), decode_assignment(r))
    r.end()
    return out


def decode_backup(r):
    """§6.19: (createdMs, catalogBytes, [(name, partitions, records, bytes)])."""
    out = (r.int64(), r.int64(), r.array(lambda r: (r.string(), r.int32(), r.int64(), r.int64())))
    r.end()
    return out


# ---------------------------------------------------------------------------- the connection (§1, §3)

class Connection:
    """One connection to a Sluice server. Not thread-safe; requests may be pipelined with send() and wait()."""

    def __init__(self, path, timeout=60.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = bytearray()
        self.next_id = 0
        self.pending = {}  # correlation id -> api key, for requests not yet answered
        self.arrived = {}  # correlation id -> response body that arrived while we waited for another
        self.broken = None  # the connection-level error, once the server sent one or closed

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    # -- frames

    def send(self, api_key, payload=b"", version=0, expect_response=True):
        """Writes one request frame; returns its correlation id (wait() for the answer)."""
        if self.broken:
            raise self.broken
        correlation_id, self.next_id = self.next_id, (self.next_id + 1) & 0x7FFFFFFF
        try:
            self.sock.sendall(encode_frame(api_key, version, correlation_id, payload))
        except OSError as error:
            self.broken = SluiceError(28, f"sending failed: {error}")
            raise self.broken from error
        if expect_response:
            self.pending[correlation_id] = api_key
        return correlation_id

    def read_frame(self):
        while True:
            if len(self.buffer) >= 4:
                (length,) = struct.unpack(">I", self.buffer[:4])
                if length > MAX_RESPONSE_BYTES:
                    raise SluiceError(11, f"response frame of {length} bytes")
                if len(self.buffer) >= 4 + length:
                    body = bytes(self.buffer[4:4 + length])
                    del self.buffer[:4 + length]
                    return body
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionError:
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def wait(self, correlation_id):
        """Reads frames until the response to `correlation_id` arrives; returns a Reader at its payload.

        Responses to other outstanding requests are kept for their own wait(); a top-level error raises."""
        while correlation_id not in self.arrived:
            if self.broken:
                raise self.broken
            body = self.read_frame()
            if body is None:
                self.broken = SluiceError(28, "the server closed the connection")
                continue
            answered, code, message, _ = open_response(body)
            if answered == -1:  # a connection-level error: every outstanding request fails with it
                self.broken = SluiceError(code, message)
                continue
            if answered in self.pending:
                self.arrived[answered] = body
            # else: a response to nothing we wait for; ignored (§1)
        self.pending.pop(correlation_id)
        _, code, message, r = open_response(self.arrived.pop(correlation_id))
        if code != 0:
            r.end()
            if code == 2:  # the server closes the connection after a malformed request (§4)
                self.broken = SluiceError(28, "the server closed the connection after a malformed request")
            raise SluiceError(code, message)
        return r

    def call(self, api_key, payload=b"", version=0):
        return self.wait(self.send(api_key, payload, version))

    # -- admin (§6.0 - §6.5)

    def api_versions(self, software="sluice-python 0.1"):
        r = self.call(API_VERSIONS, Writer().string(software).bytes())
        apis = {key: (low, high) for key, low, high in r.array(lambda r: (r.int16(), r.int16(), r.int16()))}
        server = r.string()
        r.end()
        return apis, server

    def metadata(self, topics=None):
        """{topic: (error code, message, [(partition, logStartOffset, nextOffset)])}; topics None: every topic."""
        r = self.call(METADATA, Writer().nullable_array(topics, Writer.string).bytes())
        out = {}
        for name, code, message, parts in r.array(lambda r: (r.string(), *r.error(), r.array(
                lambda r: (r.int32(), r.int64(), r.int64())))):
            out[name] = (code, message, parts)
        r.end()
        return out

    def create_topic(self, name, partitions=1, configs=None):
        w = Writer().string(name).int32(partitions)
        encode_configs(w, configs or {})
        self.call(CREATE_TOPIC, w.bytes()).end()

    def delete_topic(self, name):
        self.call(DELETE_TOPIC, Writer().string(name).bytes()).end()

    def describe_topic(self, name):
        """(partition count, {config key: value}, [(partition, logStartOffset, nextOffset, sizeBytes)])."""
        r = self.call(DESCRIBE_TOPIC, Writer().string(name).bytes())
        r.string()
        count = r.int32()
        configs = dict(r.array(lambda r: (r.string(), r.nullable_string())))
        parts = r.array(lambda r: (r.int32(), r.int64(), r.int64(), r.int64()))
        r.end()
        return count, configs, parts

    def alter_topic(self, name, partitions=-1, configs=None):
        w = Writer().string(name).int32(partitions)
        encode_configs(w, configs or {})
        self.call(ALTER_TOPIC, w.bytes()).end()

    # -- produce and fetch (§6.6 - §6.8)

    def send_produce(self, batches, acks=1, timeout_ms=30000, idempotent=False):
        """Sends one produce request (see produce_payload); returns the correlation id, to pass to produce_result
        (there is none to wait for with acks = 0, which gets no response)."""
        payload = produce_payload(batches, acks, timeout_ms, idempotent)
        return self.send(PRODUCE, payload, version=1 if idempotent else 0, expect_response=acks != 0)

    def produce_result(self, correlation_id):
        return decode_produce(self.wait(correlation_id))

    def produce(self, topic, records, partition=None, partitions=None):
        """Produces `records`, each to `partition`, else by key (murmur2) over the topic's `partitions` (looked up
        when not given), else to partition 0; raises the first partition error. Returns {partition: baseOffset}."""
        if partition is None and partitions is None:
            partitions = len(self.metadata([topic])[topic][2]) or 1
        batches = {}
        for rec in records:
            p = partition if partition is not None else (partition_for(rec.key, partitions) if rec.key else 0)
            batches.setdefault((topic, p), []).append(rec)
        out = {}
        for (_, p), (code, message, base, _) in self.produce_result(self.send_produce(batches)).items():
            if code:
                raise SluiceError(code, message)
            out[p] = base
        return out

    def init_producer_id(self):
        r = self.call(INIT_PRODUCER_ID)
        producer_id, epoch = r.int64(), r.int16()
        r.end()
        return producer_id, epoch

    def send_fetch(self, positions, **options):
        """Sends a fetch (see fetch_payload); returns the correlation id, to pass to fetch_result."""
        return self.send(FETCH, fetch_payload(positions, **options))

    def fetch_result(self, correlation_id):
        return decode_fetch(self.wait(correlation_id))

    def fetch(self, positions, **options):
        return self.fetch_result(self.send_fetch(positions, **options))

    def list_offsets(self, queries):
        """queries [(topic, partition, timestamp)], timestamp -2 earliest, -1 latest;
        returns {(topic, partition): (error code, message, offset, timestamp)}."""
        entries = by_topic((topic, (partition, timestamp)) for topic, partition, timestamp in queries)
        w = Writer().array(entries, lambda w, t: w.string(t[0]).array(
            t[1], lambda w, p: w.int32(p[0]).int64(p[1])))
        r = self.call(LIST_OFFSETS, w.bytes())
        out = {}
        for topic, parts in r.array(lambda r: (r.string(), r.array(
                lambda r: (r.int32(), *r.error(), r.int64(), r.int64())))):
            for partition, *rest in parts:
                out[(topic, partition)] = tuple(rest)
        r.end()
        return out

    # -- consumer groups (§6.9 - §6.17)

    def commit_offsets(self, group, offsets, member_id="", generation=-1):
        """offsets {(topic, partition): offset}; returns {(topic, partition): (error code, message)}."""
        entries = by_topic((topic, (partition, offset)) for (topic, partition), offset in offsets.items())
        w = Writer().string(group).int32(generation).string(member_id)
        w.array(entries, lambda w, t: w.string(t[0]).array(
            t[1], lambda w, p: w.int32(p[0]).int64(p[1]).nullable_string(None)))
        r = self.call(COMMIT_OFFSETS, w.bytes())
        out = {}
        for topic, parts in r.array(lambda r: (r.string(), r.array(lambda r: (r.int32(), *r.error())))):
            for partition, code, message in parts:
                out[(topic, partition)] = (code, message)
        r.end()
        return out

    def fetch_offsets(self, group, topics=None):
        """topics {topic: [partitions]} or None (every committed offset); returns {(topic, partition): offset}
        and raises the first partition error."""
        w = Writer().string(group).nullable_array(
            None if topics is None else list(topics.items()),
            lambda w, t: w.string(t[0]).array(t[1], Writer.int32))
        r = self.call(FETCH_OFFSETS, w.bytes())
        out = {}
        for topic, parts in r.array(lambda r: (r.string(), r.array(
                lambda r: (r.int32(), r.int64(), r.nullable_string(), *r.error())))):
            for partition, offset, _, code, message in parts:
                if code:
                    raise SluiceError(code, message)
                out[(topic, partition)] = offset
        r.end()
        return out

    def send_join(self, group, topics, member_id="", client_id="python", session_timeout_ms=10000):
        w = Writer().string(group).string(member_id).string(client_id).int32(session_timeout_ms)
        return self.send(JOIN_GROUP, w.array(topics, Writer.string).bytes())

    def send_heartbeat(self, group, member_id, generation, owned, max_wait_ms=None):
        """`max_wait_ms` given sends version 1: a heartbeat the server may hold (§6.12)."""
        payload = heartbeat_payload(group, member_id, generation, owned, max_wait_ms)
        return self.send(HEARTBEAT, payload, version=0 if max_wait_ms is None else 1)

    def membership(self, correlation_id):
        """The answer to a join or heartbeat sent with send_join or send_heartbeat."""
        return decode_membership(self.wait(correlation_id))

    def join_group(self, group, topics, **options):
        return self.membership(self.send_join(group, topics, **options))

    def heartbeat(self, group, member_id, generation, owned, max_wait_ms=None):
        return self.membership(self.send_heartbeat(group, member_id, generation, owned, max_wait_ms))

    def leave_group(self, group, member_id):
        self.call(LEAVE_GROUP, Writer().string(group).string(member_id).bytes()).end()

    def describe_group(self, group):
        r = self.call(DESCRIBE_GROUP, Writer().string(group).bytes())
        name, state, generation = r.string(), r.string(), r.int32()
        members = r.array(lambda r: GroupMember(
            r.string(), r.string(), r.array(Reader.string), decode_assignment(r), decode_assignment(r)))
        partitions = {}
        for topic, parts in r.array(lambda r: (r.string(), r.array(
                lambda r: (r.int32(), r.nullable_string(), r.int64(), r.int64(), r.int64())))):
            for partition, *rest in parts:
                partitions[(topic, partition)] = tuple(rest)  # (owner, committedOffset, endOffset, lag)
        r.end()
        return GroupDescription(name, state, generation, members, partitions)

    def list_groups(self):
        """[(group, state, memberCount)] by name."""
        r = self.call(LIST_GROUPS)
        groups = r.array(lambda r: (r.string(), r.string(), r.int32()))
        r.end()
        return groups

    def delete_group(self, group):
        self.call(DELETE_GROUP, Writer().string(group).bytes()).end()

    def reset_offsets(self, group, topic, mode, value=0):
        """mode 0 earliest, 1 latest, 2 offset, 3 timestamp; returns {partition: new committed offset}."""
        w = Writer().string(group).string(topic).int8(mode).int64(value)
        r = self.call(RESET_OFFSETS, w.bytes())
        out = dict(r.array(lambda r: (r.int32(), r.int64())))
        r.end()
        return out

    # -- the server (§6)

    def stats(self):
        """The server's metrics, Prometheus text."""
        r = self.call(STATS)
        text = r.nullable_bytes().decode("utf-8")
        r.end()
        return text

    def backup(self, directory):
        """Writes a backup into `directory` (absolute, on the server's host); see decode_backup."""
        return decode_backup(self.call(BACKUP, Writer().string(directory).bytes()))


@dataclass
class FetchedPartition:
    partition: int
    error: int
    message: str | None
    log_start_offset: int
    high_watermark: int
    records: list


@dataclass
class Membership:
    member_id: str
    generation: int
    heartbeat_interval_ms: int
    granted: dict  # {topic: [partitions]}
    pending: dict


@dataclass
class GroupMember:
    member_id: str
    client_id: str
    topics: list
    owned: dict
    pending: dict


@dataclass
class GroupDescription:
    group: str
    state: str
    generation: int
    members: list
    partitions: dict  # {(topic, partition): (owner, committedOffset, endOffset, lag)}
