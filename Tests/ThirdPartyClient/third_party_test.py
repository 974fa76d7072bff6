#!/usr/bin/env python3
"""Drives sluice_client.py, the Python client written from docs/PROTOCOL.md alone, against a real server.

    third_party_test.py SCENARIO SOCKET [SLUICE_BINARY]

Each scenario asserts what it checks and exits non-zero with a message on the first failure. The Swift integration
tests (ThirdPartyClientTests) start the server and run one scenario per test.
"""

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sluice_client import (  # noqa: E402
    BACKUP, HEARTBEAT, METADATA, PRODUCE, Connection, Membership, Reader, Record, SluiceError, Writer, decode_backup,
    decode_fetch, decode_membership, decode_produce, encode_frame, encode_record, heartbeat_payload, open_response,
    partition_for, produce_payload)


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def expect_error(name, action):
    """Runs `action` and expects it to raise the top-level error `name`; returns the error."""
    try:
        action()
    except SluiceError as error:
        check(error.name == name, f"expected {name}, got {error}")
        return error
    fail(f"expected {name}, got success")


def eventually(what, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    fail(f"timed out after {timeout} s waiting for {what}")


# ---------------------------------------------------------------------------- the document's examples

def doc_examples():
    """The hex examples of docs/PROTOCOL.md §7, as {first line's comment: bytes}."""
    with open(os.path.join(HERE, "..", "..", "docs", "PROTOCOL.md"), encoding="utf-8") as f:
        doc = f.read()
    section = doc[doc.index("## 7. Examples"):doc.index("## 8. ")]
    examples = {}
    for block in re.findall(r"```\n(.*?)```", section, re.S):
        lines = block.splitlines()
        hexes = []
        for line in lines:
            first = re.split(r"\s{2,}", line.strip())[0]
            if re.fullmatch(r"(?:[0-9a-f]{2})+(?: (?:[0-9a-f]{2})+)*", first):
                hexes.append(first.replace(" ", ""))
        examples[re.split(r"\s{2,}", lines[0].strip(), maxsplit=1)[1]] = bytes.fromhex("".join(hexes))
    return examples


def example(examples, title):
    check(title in examples, f"PROTOCOL.md §7 has no example starting '{title}': {list(examples)}")
    frame = examples[title]
    check(struct.unpack(">I", frame[:4])[0] == len(frame) - 4, f"the frame length of '{title}' is not its size")
    return frame


def scenario_examples(_path=None, _binary=None):
    """This client encodes the document's example requests byte for byte and decodes its example responses."""
    examples = doc_examples()
    produce = produce_payload({("t", 0): [Record(b"k", b"\x00\x01", [("h", None)])]}, acks=1, timeout_ms=1000)
    check(encode_frame(PRODUCE, 0, 42, produce) == example(examples, "frame length: 62 bytes follow"),
          "the produce request differs from the example")
    answered, code, message, r = open_response(example(examples, "frame length: 43 bytes follow")[4:])
    check((answered, code, message) == (42, 0, None), "produce response header")
    check(decode_produce(r) == {("t", 0): (0, None, 5, 1_700_000_000_000)}, "produce response")
    answered, code, _, r = open_response(example(examples, "frame length: 75 bytes follow")[4:])
    part = decode_fetch(r)[("t", 3)]
    check((answered, code, part.error, part.log_start_offset, part.high_watermark) == (7, 0, 0, 0, 11), f"{part}")
    check(part.records == [Record(None, b"", [], 100, 10)], f"fetched record: {part.records}")
    answered, code, _, r = open_response(example(examples, "frame length: 55 bytes follow")[4:])
    check(answered == 3 and decode_membership(r) == Membership("m-1", 2, 3333, {"t": [0, 1]}, {"t": [2]}), "join")
    heartbeat = encode_frame(HEARTBEAT, 1, 5, heartbeat_payload("g", "m-1", 2, {"t": [0]}, 3000))
    check(heartbeat == example(examples, "frame length: 39 bytes follow"), "the heartbeat v1 request differs")
    check(len(encode_frame(HEARTBEAT, 0, 5, heartbeat_payload("g", "m-1", 2, {"t": [0]}))) == 4 + 35, "heartbeat v0")
    backup = encode_frame(BACKUP, 0, 9, Writer().string("/b").bytes())
    check(backup == example(examples, "frame length: 12 bytes follow"), "the backup request differs")
    answered, code, _, r = open_response(example(examples, "frame length: 51 bytes follow")[4:])
    check(answered == 9 and decode_backup(r) == (1_700_000_000_000, 32768, [("t", 1, 11, 8192)]), "backup answer")
    answered, code, message, r = open_response(example(examples, "frame length: 25 bytes follow")[4:])
    check((answered, code, message) == (7, 5, "unknown topic 'x'"), f"error response: {code} {message}")
    r.end()  # no payload after a top-level error


# ---------------------------------------------------------------------------- admin, produce, fetch, offsets

def scenario_protocol(path, _binary=None):
    conn = Connection(path)
    apis, software = conn.api_versions()
    check(all(key in apis for key in range(19)), f"apiVersions lacks an API: {apis}")
    check(apis[6] == (0, 1) and apis[12] == (0, 1), f"produce and heartbeat should be 0-1: {apis}")
    check(software, "no server software")

    conn.create_topic("orders", 3, {"retention.ms": "3600000"})
    count, configs, parts = conn.describe_topic("orders")
    check(count == 3 and [p[0] for p in parts] == [0, 1, 2], f"describeTopic: {count} {parts}")
    check(configs["retention.ms"] == "3600000" and configs["durability"] == "full", f"configs: {configs}")
    check(configs["retention.records"] is None, "retention.records defaults to unlimited (null)")
    conn.alter_topic("orders", configs={"retention.ms": None})
    check(conn.describe_topic("orders")[1]["retention.ms"] is None, "a null value sets a limit to unlimited")
    meta = conn.metadata()
    check(meta["orders"][0] == 0 and len(meta["orders"][2]) == 3, f"metadata of every topic: {meta}")
    check(conn.metadata([]) == {}, "metadata of an empty list is no topic")

    # Keyed records go where the murmur2 partitioner puts them; one record per key so offsets are predictable.
    keys = [f"user-{i}".encode() for i in range(30)]
    produced = {}
    for key in keys:
        base = conn.produce("orders", [Record(key, b"v-" + key, [("src", b"py"), ("nil", None)])], partitions=3)
        (partition, offset), = base.items()
        check(partition == partition_for(key, 3), f"{key} went to {partition}")
        produced[key] = (partition, offset)
    check(len({p for p, _ in produced.values()}) == 3, "30 keys should reach all 3 partitions")
    fetched = conn.fetch([("orders", p, 0) for p in range(3)])
    for (topic, partition), part in fetched.items():
        check(part.error == 0 and part.log_start_offset == 0, f"fetch {partition}: {part}")
        want = sorted(k for k, (p, _) in produced.items() if p == partition)
        check(part.high_watermark == len(want), f"partition {partition} high watermark {part.high_watermark}")
        check([r.offset for r in part.records] == list(range(len(want))), f"offsets of {partition}")
        for rec in part.records:
            check(produced[rec.key] == (partition, rec.offset), f"{rec.key} at {partition}@{rec.offset}")
            check(rec.value == b"v-" + rec.key and rec.headers == [("src", b"py"), ("nil", None)], f"{rec}")
            check(rec.timestamp > 1_600_000_000_000, f"broker-stamped timestamp {rec.timestamp}")

    # Explicit timestamps, a null key, a null value and an empty value; listOffsets earliest, latest, by time.
    conn.create_topic("times", 1)
    conn.produce("times", [Record(None, None, timestamp=1000), Record(b"", b"", timestamp=2000)], partition=0)
    records = conn.fetch([("times", 0, 0)])[("times", 0)].records
    check([(r.key, r.value, r.timestamp) for r in records] == [(None, None, 1000), (b"", b"", 2000)],
          f"null and empty survive: {records}")
    offsets = conn.list_offsets([("times", 0, -2)])[("times", 0)]
    check(offsets == (0, None, 0, -1), f"earliest: {offsets}")
    offsets = conn.list_offsets([("times", 0, -1)])[("times", 0)]
    check(offsets == (0, None, 2, -1), f"latest: {offsets}")
    offsets = conn.list_offsets([("times", 0, 1500)])[("times", 0)]
    check(offsets == (0, None, 1, 2000), f"first record at or after 1500: {offsets}")
    offsets = conn.list_offsets([("times", 0, 1 << 50)])[("times", 0)]
    check(offsets == (0, None, 2, -1), f"no record at or after the time: {offsets}")
    offsets = conn.list_offsets([("times", 0, 0), ("nope", 0, -1)])
    check(offsets[("nope", 0)][0] == 5 and offsets[("nope", 0)][2:] == (-1, -1), f"unknown topic: {offsets}")

    # maxBytes and partitionMaxBytes: records of 100 bytes (null key, no headers) count 100 each.
    conn.create_topic("sized", 2)
    conn.produce("sized", [Record(None, bytes(100)) for _ in range(10)], partition=0)
    conn.produce("sized", [Record(None, bytes(100)) for _ in range(10)], partition=1)
    got = conn.fetch([("sized", 0, 0)], max_bytes=250)
    check(len(got[("sized", 0)].records) == 2, f"maxBytes 250 holds 2 records of 100: {got}")
    got = conn.fetch([("sized", 0, 0), ("sized", 1, 0)], max_bytes=10_000, partition_max_bytes=350)
    check([len(got[("sized", p)].records) for p in (0, 1)] == [3, 3], "partitionMaxBytes 350 holds 3 each")
    got = conn.fetch([("sized", 0, 0), ("sized", 1, 0)], max_bytes=450)
    check([len(got[("sized", p)].records) for p in (0, 1)] == [4, 0], f"the second partition gets none: {got}")
    got = conn.fetch([("sized", 0, 5)], max_bytes=1)
    check([r.offset for r in got[("sized", 0)].records] == [5], "the first record comes even over maxBytes")
    # Empty records still use up 32 bytes of the budget each.
    conn.produce("sized", [Record(None, b"") for _ in range(10)], partition=1)
    got = conn.fetch([("sized", 1, 10)], max_bytes=100)
    check(len(got[("sized", 1)].records) == 3, f"records with no data count 32 bytes: {got}")

    # Idempotent produce (version 1).
    producer_id, epoch = conn.init_producer_id()
    check(producer_id >= 0 and epoch == 0, f"initProducerID: {producer_id} {epoch}")
    check(conn.init_producer_id()[0] != producer_id, "a new id every time")
    batch = [Record(b"k", f"i{i}".encode()) for i in range(3)]
    p = partition_for(b"k", 3)

    def idempotent(records, sequence, pid=producer_id, epoch=epoch):
        results = conn.produce_result(conn.send_produce({("orders", p): (pid, epoch, sequence, records)},
                                                        idempotent=True))
        return results[("orders", p)]

    first = idempotent(batch, 0)
    check(first[0] == 0, f"first idempotent batch: {first}")
    again = idempotent(batch, 0)
    check(again == first, f"a resend answers the original offset and time: {again} vs {first}")
    second = idempotent(batch[:1], 3)
    check(second[0] == 0 and second[2] == first[2] + 3, f"the next batch follows: {second}")
    gap = idempotent(batch[:1], 7)
    check(gap[0] == 27 and gap[2] == -1 and gap[3] == -1, f"a gap is out_of_order_sequence: {gap}")
    stranger = idempotent(batch[:1], 0, pid=producer_id + 1_000_000)
    check(stranger[0] == 31, f"an id never handed out is unknown_producer_id: {stranger}")
    records = conn.fetch([("orders", p, first[2])])[("orders", p)].records
    check([r.value for r in records] == [b"i0", b"i1", b"i2", b"i0"], f"no duplicate stored: {records}")

    # acks = 0 gets no response: the next request's answer is the next frame.
    conn.send_produce({("orders", 2): [Record(None, b"fire-and-forget")]}, acks=0)
    check(conn.describe_topic("orders")[0] == 3, "the connection goes on after acks = 0")
    eventually("the acks = 0 record", lambda: any(
        r.value == b"fire-and-forget" for r in conn.fetch([("orders", 2, 0)])[("orders", 2)].records))

    # A topic named in two consecutive entries is answered in one entry holding both ("times" has one
    # partition: the entry of partition 1 carries unknown_partition).
    w = Writer().int8(1).int32(30000)
    w.array([(0, "a"), (1, "b")], lambda w, v: w.string("times").array([v[0]], lambda w, p: w.int32(p).array(
        [Record(None, v[1].encode())], encode_record)))
    r = conn.call(PRODUCE, w.bytes())
    entries = r.array(lambda r: (r.string(), r.array(lambda r: (r.int32(), *r.error(), r.int64(), r.int64()))))
    check([(t, [p for p, _, _, _, _ in parts]) for t, parts in entries] == [("times", [0, 1])],
          f"consecutive entries of a topic answered as one: {entries}")

    # A partition named twice in one request is refused as a whole.
    w = Writer().int8(1).int32(30000)
    w.array(["a", "b"], lambda w, v: w.string("times").array([0], lambda w, p: w.int32(p).array(
        [Record(None, v.encode())], encode_record)))
    try:
        conn.call(PRODUCE, w.bytes())
        check(False, "a partition named twice in a produce is refused")
    except SluiceError as e:
        check(e.name == "invalid_argument" and "more than once" in e.message, f"refused as named twice: {e}")

    conn.delete_topic("sized")
    check(conn.metadata(["sized"])["sized"][0] == 5, "a deleted topic is unknown_topic")
    conn.close()


def scenario_pipelining(path, _binary=None):
    conn, other = Connection(path), Connection(path)
    conn.create_topic("pipe", 1)
    # A long-polling fetch at the high watermark waits; later requests are answered meanwhile (out of order).
    started = time.monotonic()
    fetch_id = conn.send_fetch([("pipe", 0, 0)], max_wait_ms=30000, min_bytes=1)
    later = [conn.send(METADATA, Writer().nullable_array(["pipe"], Writer.string).bytes()) for _ in range(20)]
    for correlation_id in reversed(later):  # waited for in reverse order: each is found among what arrived
        r = conn.wait(correlation_id)
        r.array(lambda r: (r.string(), *r.error(), r.array(lambda r: (r.int32(), r.int64(), r.int64()))))
        r.end()
    check(fetch_id in conn.pending and fetch_id not in conn.arrived, "the fetch was answered before data came")
    other.produce("pipe", [Record(b"late", b"1")], partition=0)
    records = conn.fetch_result(fetch_id)[("pipe", 0)].records
    elapsed = time.monotonic() - started
    check([r.key for r in records] == [b"late"], f"the long poll returned the new record: {records}")
    check(elapsed < 25, f"the long poll ended with the produce, not its maxWait: {elapsed:.1f} s")

    # A long poll with nothing coming ends at its maxWait, empty.
    started = time.monotonic()
    part = conn.fetch([("pipe", 0, 1)], max_wait_ms=500, min_bytes=1)[("pipe", 0)]
    elapsed = time.monotonic() - started
    check(part.records == [] and part.high_watermark == 1 and elapsed >= 0.4, f"empty long poll: {elapsed:.2f} s")

    # minBytes: a fetch waiting for 300 bytes is not answered by a 100-byte record, but is by the third.
    fetch_id = conn.send_fetch([("pipe", 0, 1)], max_wait_ms=30000, min_bytes=300)
    for _ in range(2):
        other.produce("pipe", [Record(None, bytes(100))], partition=0)
    conn.wait(conn.send(METADATA, Writer().nullable_array([], Writer.string).bytes()))
    check(fetch_id not in conn.arrived, "200 of 300 bytes answered the fetch")
    other.produce("pipe", [Record(None, bytes(100))], partition=0)
    check(len(conn.fetch_result(fetch_id)[("pipe", 0)].records) == 3, "minBytes reached with the third record")

    # Many produces in flight at once: answered, and stored in the order sent.
    ids = [conn.send_produce({("pipe", 0): [Record(None, f"{i}".encode())]}) for i in range(50)]
    bases = [conn.produce_result(i)[("pipe", 0)][2] for i in reversed(ids)][::-1]
    check(bases == sorted(bases) and len(set(bases)) == 50, f"pipelined produces in order: {bases}")
    conn.close()
    other.close()


# ---------------------------------------------------------------------------- errors

def raw_exchange(path, data, reads_until_close=True):
    """Sends raw bytes on a fresh connection; returns the response bodies until the server closes (or 10 s)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(path)
    sock.sendall(data)
    buffer, bodies, closed = b"", [], False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            buffer += chunk
            while len(buffer) >= 4 and len(buffer) >= 4 + struct.unpack(">I", buffer[:4])[0]:
                length = struct.unpack(">I", buffer[:4])[0]
                bodies.append(buffer[4:4 + length])
                buffer = buffer[4 + length:]
            if not reads_until_close and bodies:
                break
    except socket.timeout:
        pass
    sock.close()
    return bodies, closed


def decode_error(body):
    r = Reader(body)
    correlation_id = r.int32()
    return (correlation_id, *r.error())


def scenario_errors(path, _binary=None):
    conn = Connection(path)
    conn.create_topic("e", 2)
    expect_error("topic_already_exists", lambda: conn.create_topic("e", 2))
    expect_error("invalid_topic_name", lambda: conn.create_topic("no spaces", 1))
    expect_error("invalid_argument", lambda: conn.create_topic("zero", 0))
    error = expect_error("invalid_argument", lambda: conn.create_topic("cfg", 1, {"no.such.key": "1"}))
    check("no.such.key" in (error.message or ""), f"the message names the key: {error.message}")
    expect_error("unknown_topic", lambda: conn.describe_topic("nope"))
    expect_error("unknown_topic", lambda: conn.delete_topic("nope"))
    check(conn.metadata(["nope", "e"])["nope"][:1] == (5,) and conn.metadata(["nope"])["nope"][2] == [],
          "metadata lists an unknown topic with unknown_topic and no partitions")
    # Partition errors in multi-partition APIs; the other partitions succeed.
    results = conn.produce_result(conn.send_produce({("nope", 0): [Record(None, b"x")], ("e", 5): [Record(None, b"x")],
                                                     ("e", 1): [Record(None, b"ok")]}))
    check(results[("nope", 0)][0] == 5 and results[("nope", 0)][2:] == (-1, -1), f"produce to nope: {results}")
    check(results[("e", 5)][0] == 6 and results[("e", 1)][0] == 0, f"unknown_partition beside success: {results}")
    fetched = conn.fetch([("e", 1, 5), ("e", 9, 0), ("nope", 0, 0)])
    check(fetched[("e", 1)].error == 12 and fetched[("e", 1)].high_watermark == 1, f"out of range: {fetched}")
    check(fetched[("e", 9)].error == 6 and fetched[("nope", 0)].error == 5, f"fetch errors: {fetched}")
    expect_error("invalid_argument", lambda: conn.fetch([("e", 0, 0), ("e", 0, 0)]))
    big = conn.produce_result(conn.send_produce({("e", 0): [Record(None, bytes(1_048_577))]}))
    check(big[("e", 0)][0] == 10, f"a record over max.message.bytes: {big}")
    # Unknown API key and version: top-level errors, the connection stays open.
    expect_error("unsupported_request", lambda: conn.call(99))
    expect_error("unsupported_version", lambda: conn.call(METADATA, Writer().nullable_array(None, Writer.string)
                                                          .bytes(), version=7))
    check("e" in conn.metadata(), "the connection stays open after top-level errors")
    conn.close()

    # A payload that cannot be decoded: answered under its correlation id, then the connection is closed.
    body = struct.pack(">hhi", METADATA, 0, 77) + struct.pack(">i", -1) + b"\x00"  # a byte left over
    bodies, closed = raw_exchange(path, struct.pack(">I", len(body)) + body)
    check([decode_error(b)[:2] for b in bodies] == [(77, 2)] and closed, f"malformed payload: {bodies} {closed}")
    # A request body shorter than its 8-byte header: a connection-level malformed_request.
    bodies, closed = raw_exchange(path, struct.pack(">I", 3) + b"abc")
    check([decode_error(b)[:2] for b in bodies] == [(-1, 2)] and closed, f"short header: {bodies} {closed}")
    # A frame longer than the server's limit: connection-level frame_too_large, without reading the body.
    bodies, closed = raw_exchange(path, struct.pack(">I", 0x7FFFFFF0) + struct.pack(">hhi", METADATA, 0, 1))
    check([decode_error(b)[:2] for b in bodies] == [(-1, 11)] and closed, f"frame too large: {bodies} {closed}")
    # Through the client: after a malformed request the connection is gone, and the client says so.
    conn = Connection(path)
    expect_error("malformed_request", lambda: conn.list_offsets([("e", 0, -3)]))  # only -2, -1 and >= 0
    expect_error("connection_closed", lambda: conn.metadata())
    conn.close()
    # Through the client: the connection-level error fails every outstanding request.
    conn = Connection(path)
    waiting = conn.send_fetch([("e", 0, 0)], max_wait_ms=30000, min_bytes=1)  # nothing comes: it waits
    conn.sock.sendall(struct.pack(">I", 0x7FFFFFF0))
    error = expect_error("frame_too_large", lambda: conn.wait(waiting))
    check(error.name == "frame_too_large", "the outstanding fetch failed with the connection's error")
    conn.close()


def scenario_not_authorized(path, _binary=None):
    """Against a server whose access policy grants consume and admin, and produce only on topics `open*`."""
    conn = Connection(path)
    conn.create_topic("guarded", 1)
    conn.create_topic("open.1", 1)
    check(conn.produce("open.1", [Record(None, b"ok")], partition=0) == {0: 0}, "produce on open.1 is granted")
    error = expect_error("not_authorized", lambda: conn.produce("guarded", [Record(None, b"x")], partition=0))
    check("guarded" in (error.message or ""), f"the refusal names the topic: {error.message}")
    # A request naming a refused topic is refused as a whole: the granted topic in it gets nothing either.
    expect_error("not_authorized", lambda: conn.produce_result(conn.send_produce(
        {("open.1", 0): [Record(None, b"no")], ("guarded", 0): [Record(None, b"x")]})))
    fetched = conn.fetch([("guarded", 0, 0), ("open.1", 0, 0)])
    check(fetched[("guarded", 0)].records == [] and [r.value for r in fetched[("open.1", 0)].records] == [b"ok"],
          f"consume is granted and nothing of the refused request was stored: {fetched}")
    conn.close()


# ---------------------------------------------------------------------------- consumer groups

def held_answer(conn, held, group, member_id, topics, session_timeout_ms):
    """The answer to a held heartbeat. Sent on another connection than the change it waits for, the heartbeat may
    reach the server after the change: then it is answered `stale_generation` and the member rejoins (§6.12)."""
    try:
        return conn.membership(held)
    except SluiceError as error:
        if error.name != "stale_generation":
            raise
        return conn.join_group(group, topics, member_id=member_id, session_timeout_ms=session_timeout_ms)


def settle(conn, group):
    """Lets a heartbeat just sent on `conn` reach the server and be held before another connection acts."""
    conn.describe_group(group)
    time.sleep(0.2)


def scenario_groups(path, _binary=None):
    a, b, admin = Connection(path), Connection(path), Connection(path)
    admin.create_topic("work", 4)
    admin.produce("work", [Record(f"k{i}".encode(), b"x") for i in range(40)], partitions=4)
    # Committing from outside the group is accepted while it has no members.
    results = admin.commit_offsets("crew", {("work", p): 1 for p in range(4)})
    check(all(code == 0 for code, _ in results.values()), f"outside commit: {results}")
    check(admin.fetch_offsets("crew", {"work": [0, 1, 2, 3]}) == {("work", p): 1 for p in range(4)}, "fetchOffsets")

    ma = a.join_group("crew", ["work"], client_id="alpha", session_timeout_ms=120000)
    check(ma.member_id.startswith("alpha-") and len(ma.member_id) == len("alpha-") + 32, f"id {ma.member_id}")
    check(ma.granted == {"work": [0, 1, 2, 3]} and ma.pending == {}, f"a lone member owns all: {ma}")
    # A held heartbeat with nothing new is held about its maxWait (at most a third of the session timeout).
    started = time.monotonic()
    again = a.heartbeat("crew", ma.member_id, ma.generation, ma.granted, max_wait_ms=1500)
    elapsed = time.monotonic() - started
    check(again == ma and elapsed >= 1.2, f"held heartbeat answered after {elapsed:.2f} s: {again}")
    check(a.heartbeat("crew", ma.member_id, ma.generation, ma.granted) == ma, "heartbeat v0 answered at once")
    outside = admin.commit_offsets("crew", {("work", 0): 2})
    check(outside[("work", 0)][0] == 22, f"an outside commit while the group has members: {outside}")

    # A held heartbeat is answered at once when a second member joins, with the new generation.
    started = time.monotonic()
    held = a.send_heartbeat("crew", ma.member_id, ma.generation, ma.granted, max_wait_ms=40000)
    settle(a, "crew")
    mb = b.join_group("crew", ["work"], client_id="beta", session_timeout_ms=120000)
    ma2 = held_answer(a, held, "crew", ma.member_id, ["work"], 120000)
    check(time.monotonic() - started < 30, "the join answered the held heartbeat, not its 40 s wait")
    check(ma2.generation > ma.generation and mb.generation == ma2.generation, f"generations: {ma2} {mb}")
    revoked = {p for p in ma.granted["work"]} - set(ma2.granted.get("work", [])) - set(ma2.pending.get("work", []))
    check(revoked and set(mb.pending.get("work", [])) == revoked and mb.granted == {},
          f"beta waits for what alpha gives up: {ma2} {mb}")
    desc = admin.describe_group("crew")
    check(desc.state == "rebalancing" and len(desc.members) == 2, f"describe while pending: {desc}")

    # Beta holds a heartbeat; alpha commits its revoked partitions and releases them: beta's answer grants them.
    held = b.send_heartbeat("crew", mb.member_id, mb.generation, {}, max_wait_ms=20000)
    settle(b, "crew")
    kept = {"work": ma2.granted["work"]}
    commit = a.commit_offsets("crew", {("work", p): 3 for p in revoked}, ma.member_id, ma2.generation)
    check(all(code == 0 for code, _ in commit.values()), f"alpha commits what it owns: {commit}")
    stale = a.commit_offsets("crew", {("work", p): 3 for p in revoked}, ma.member_id, ma.generation)
    check(all(code == 23 for code, _ in stale.values()), f"an old generation's commit: {stale}")
    a.heartbeat("crew", ma.member_id, ma2.generation, kept, max_wait_ms=0)
    mb2 = held_answer(b, held, "crew", mb.member_id, ["work"], 120000)
    check(set(mb2.granted.get("work", [])) == revoked and mb2.pending == {}, f"beta granted {mb2}")
    not_owned = b.commit_offsets("crew", {("work", p): 9 for p in kept["work"]}, mb.member_id, mb2.generation)
    check(all(code == 23 for code, _ in not_owned.values()), f"a commit for partitions beta does not own: {not_owned}")

    desc = admin.describe_group("crew")
    owners = {p: desc.partitions[("work", p)][0] for p in range(4)}
    check(desc.state == "stable" and set(owners.values()) == {ma.member_id, mb.member_id}, f"stable: {desc}")
    check(all(desc.partitions[("work", p)][1] == 3 for p in revoked), f"committed offsets: {desc.partitions}")
    for p in range(4):
        owner, committed, end, lag = desc.partitions[("work", p)]
        check(lag == end - committed, f"lag of {p}: {desc.partitions[('work', p)]}")
    listed = {g: (s, n) for g, s, n in admin.list_groups()}
    check(listed.get("crew") == ("stable", 2), f"listGroups: {listed}")
    expect_error("group_not_empty", lambda: admin.delete_group("crew"))
    expect_error("group_not_empty", lambda: admin.reset_offsets("crew", "work", 0))
    expect_error("stale_generation", lambda: a.heartbeat("crew", ma.member_id, ma.generation, kept))

    # Leaving frees the partitions at once; a left member is unknown_member.
    held = b.send_heartbeat("crew", mb.member_id, mb2.generation, mb2.granted, max_wait_ms=20000)
    settle(b, "crew")
    a.leave_group("crew", ma.member_id)
    mb3 = held_answer(b, held, "crew", mb.member_id, ["work"], 120000)
    check(mb3.granted == {"work": [0, 1, 2, 3]}, f"beta owns all after alpha left: {mb3}")
    expect_error("unknown_member", lambda: a.heartbeat("crew", ma.member_id, mb3.generation, kept))
    a.leave_group("crew", ma.member_id)  # leaving a group one is not in is not an error
    b.leave_group("crew", mb.member_id)
    check(admin.describe_group("crew").state == "empty", "empty after both left")
    reset = admin.reset_offsets("crew", "work", 2, 2)
    check(reset == {p: 2 for p in range(4)}, f"resetOffsets to 2: {reset}")
    admin.delete_group("crew")
    expect_error("unknown_group", lambda: admin.describe_group("crew"))
    check(admin.fetch_offsets("crew") == {}, "a deleted group has no committed offsets")
    for conn in (a, b, admin):
        conn.close()


# ---------------------------------------------------------------------------- interoperability with the CLI

def beat(conn, group, me, owned, topics, max_wait_ms=500):
    """One heartbeat (version 1); on stale_generation, rejoins with the same member id (§Consumer groups)."""
    try:
        return conn.heartbeat(group, me.member_id, me.generation, owned, max_wait_ms=max_wait_ms)
    except SluiceError as error:
        if error.name != "stale_generation":
            raise
        return conn.join_group(group, topics, member_id=me.member_id, session_timeout_ms=30000)


def cli(binary, path, *arguments, input=None):
    done = subprocess.run([binary, *arguments, "--socket", path], input=input, capture_output=True, text=True,
                          timeout=60)
    check(done.returncode == 0, f"sluice {' '.join(arguments)}: {done.stderr}")
    return done.stdout


def scenario_interop(path, binary):
    conn = Connection(path)
    conn.create_topic("mixed", 5)
    keys = [f"key-{i}" for i in range(40)]
    # Python writes keyed records; the CLI reads each at the partition the Python partitioner chose.
    placed = {}
    for key in keys:
        placed[key] = conn.produce("mixed", [Record(key.encode(), f"py:{key}".encode(), [("from", b"py")])],
                                   partitions=5)
    seen = cli(binary, path, "consume", "mixed", "--from-beginning", "--max-messages", "40",
               "--format", "%p %o %k %v %h")
    rows = [line.split(" ") for line in seen.splitlines()]
    check(len(rows) == 40, f"the CLI read {len(rows)} of 40")
    for partition, offset, key, value, headers in rows:
        check(placed[key] == {int(partition): int(offset)}, f"{key}: CLI {partition}@{offset}, Python {placed[key]}")
        check(value == f"py:{key}" and headers == "from=py", f"{key}: {value} {headers}")

    # The CLI writes keyed records; Python finds them in the partitions its partitioner gives the same keys.
    lines = "".join(f"{key}:cli:{key}\n" for key in keys)
    cli(binary, path, "produce", "mixed", "--key-separator", ":", "--header", "from=cli", input=lines)
    positions = [("mixed", p, conn.list_offsets([("mixed", p, -2)])[("mixed", p)][2]) for p in range(5)]
    found = {}
    for (_, partition), part in conn.fetch(positions).items():
        for rec in part.records:
            if rec.headers == [("from", b"cli")]:
                found[rec.key.decode()] = partition
                check(rec.value == b"cli:" + rec.key, f"value of {rec.key}: {rec.value}")
    check(sorted(found) == sorted(keys), f"Python found {len(found)} of the CLI's 40 records")
    for key, partition in found.items():
        check(partition == partition_for(key.encode(), 5) == next(iter(placed[key])), f"{key} in {partition}")
    conn.close()


def scenario_group_interop(path, binary):
    """A Python member and a `sluice consume --group` member share a topic's partitions without overlap."""
    conn, admin = Connection(path), Connection(path)
    admin.create_topic("shared", 6)
    check(all(code == 0 for code, _ in admin.commit_offsets("mix", {("shared", p): 0 for p in range(6)}).values()),
          "committing offset 0 before anyone joins")
    out_path = f"{path}.cli-member.out"
    with open(out_path, "w") as out:
        member = subprocess.Popen([binary, "consume", "shared", "--group", "mix", "--format", "%p %o %k",
                                   "--socket", path], stdout=out, stderr=subprocess.STDOUT)
    try:
        eventually("the CLI member", lambda: len(admin.describe_group("mix").members) == 1)
        me = conn.join_group("mix", ["shared"], client_id="python", session_timeout_ms=30000)
        owned = dict(me.granted)

        def settled():
            nonlocal me, owned
            me = beat(conn, "mix", me, owned, ["shared"])
            owned = dict(me.granted)  # nothing consumed yet: whatever was revoked is released at once
            desc = admin.describe_group("mix")
            return desc.state == "stable" and len(desc.members) == 2 and not me.pending and desc

        desc = eventually("a stable group of two", settled, timeout=45)
        mine = set(me.granted.get("shared", []))
        theirs = {p for m in desc.members if m.member_id != me.member_id for p in m.owned.get("shared", [])}
        check(mine and theirs and not mine & theirs and mine | theirs == set(range(6)), f"{mine} / {theirs}")

        keys = [f"m{i}".encode() for i in range(60)]
        admin.produce("shared", [Record(k, b"v") for k in keys], partitions=6)
        got = []  # a granted partition is consumed from its committed offset
        positions = {p: offset for (_, p), offset in conn.fetch_offsets("mix", {"shared": sorted(mine)}).items()}
        check(positions == {p: 0 for p in mine}, f"committed offsets of the granted partitions: {positions}")
        deadline = time.monotonic() + 45
        while len(got) < sum(1 for k in keys if partition_for(k, 6) in mine) and time.monotonic() < deadline:
            fetched = conn.fetch([("shared", p, o) for p, o in sorted(positions.items())], max_wait_ms=500,
                                 min_bytes=1)
            for (_, p), part in fetched.items():
                got += [(p, r.offset, r.key.decode()) for r in part.records]
                if part.records:
                    positions[p] = part.records[-1].offset + 1
            check(beat(conn, "mix", me, owned, ["shared"], max_wait_ms=0) == me, "the assignment moved")
        results = conn.commit_offsets("mix", {("shared", p): o for p, o in positions.items()}, me.member_id,
                                      me.generation)
        check(all(code == 0 for code, _ in results.values()), f"python commits: {results}")

        def cli_rows():
            with open(out_path) as f:
                return [tuple(line.split(" ")) for line in f.read().splitlines()]

        expected_cli = sum(1 for k in keys if partition_for(k, 6) in theirs)
        eventually("the CLI member's records", lambda: len(cli_rows()) >= expected_cli, timeout=45)
    finally:
        member.send_signal(signal.SIGINT)
        member.wait(30)
    cli_got = [(int(p), int(o), k) for p, o, k in cli_rows()]
    check({p for p, _, _ in got} <= mine and {p for p, _, _ in cli_got} <= theirs, "each read only its partitions")
    everything = sorted(got + cli_got)
    check(len(everything) == len(set(everything)) == 60, f"60 records read once between the two: {len(everything)}")
    check(all(partition_for(k.encode(), 6) == p for p, _, k in everything), "keys in their murmur2 partitions")
    # The CLI member committed on exit and left: the Python member is alone and takes every partition.
    committed = admin.fetch_offsets("mix", {"shared": list(range(6))})
    ends = {p: admin.metadata(["shared"])["shared"][2][p][2] for p in range(6)}
    check(committed == {("shared", p): ends[p] for p in range(6)}, f"committed {committed}, ends {ends}")
    def alone():
        nonlocal me, owned
        me = beat(conn, "mix", me, owned, ["shared"])
        owned = dict(me.granted)
        return set(owned.get("shared", [])) == set(range(6))

    eventually("the partitions of the member that left", alone)
    conn.leave_group("mix", me.member_id)
    os.unlink(out_path)
    conn.close()
    admin.close()


SCENARIOS = {
    "examples": scenario_examples,
    "protocol": scenario_protocol,
    "pipelining": scenario_pipelining,
    "errors": scenario_errors,
    "not-authorized": scenario_not_authorized,
    "groups": scenario_groups,
    "interop": scenario_interop,
    "group-interop": scenario_group_interop,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        fail(f"usage: {sys.argv[0]} {{{','.join(SCENARIOS)}}} SOCKET [SLUICE_BINARY]")
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
    print(f"{sys.argv[1]}: passed")
