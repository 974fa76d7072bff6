#!/usr/bin/env python3
"""Kafka's consumer protocol (KIP-848, confluent-kafka with group.protocol=consumer) and the internal
`__consumer_offsets` topic, against Sluice's Kafka listener.

    kafka_consumer_protocol.py SCENARIO BOOTSTRAP [ARGS...]

Each scenario asserts what it checks and exits non-zero with a message on the first failure; its last line of
stdout is one JSON object with what it measured.
"""

import json
import os
import signal
import struct
import subprocess
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
import kafka


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    fail(f"timed out after {seconds}s waiting for {what}")


def create(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    futures[name].result(30)


# ---------------------------------------------------------------------------- KIP-848 group

def scenario_member(bootstrap, topic, group, outfile):
    """A consumer-protocol member recording its partitions (`assign P,P,...`, the whole set after each change) and
    every message (`msg PARTITION OFFSET VALUE`), committing each one. SIGTERM closes it (leaves the group)."""
    out = open(outfile, "a", buffering=1)
    stopping = []
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    owned = set()

    def write():
        out.write("assign " + ",".join(str(p) for p in sorted(owned)) + "\n")

    def on_assign(consumer, partitions):
        owned.update(p.partition for p in partitions)
        write()

    def on_revoke(consumer, partitions):
        owned.difference_update(p.partition for p in partitions)
        write()

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
    while not stopping:
        message = consumer.poll(0.1)
        if message is None or message.error():
            continue
        out.write(f"msg {message.partition()} {message.offset()} {message.value().decode()}\n")
        try:
            consumer.commit(message=message, asynchronous=False)
        except KafkaException as error:
            # A commit racing a revocation is refused; the next owner reads the message again (at least once).
            out.write(f"commit-refused {error}\n")
    consumer.close()
    out.close()


class Member:
    def __init__(self, bootstrap, topic, group, directory, name):
        self.path = os.path.join(directory, name)
        open(self.path, "w").close()
        self.process = subprocess.Popen([sys.executable, __file__, "member", bootstrap, topic, group, self.path])
        self.started = time.time()

    def lines(self):
        with open(self.path) as f:
            return [line.rstrip("\n") for line in f]

    def assignment(self):
        assigns = [line for line in self.lines() if line.startswith("assign")]
        if not assigns:
            return None
        return sorted(int(p) for p in assigns[-1][len("assign "):].split(",") if p)

    def values(self):
        return [line.split(" ", 3)[3] for line in self.lines() if line.startswith("msg ")]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def scenario_group(bootstrap, directory, sluice, socket):
    topic, group, partitions = "kip848", "kip848-group", 4
    create(bootstrap, topic, partitions)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    sent = []
    members = []
    times = {}

    def produce(count):
        for _ in range(count):
            value = f"m{len(sent)}"
            producer.produce(topic, value=value.encode(), key=value.encode())
            sent.append(value)
        check(producer.flush(30) == 0, "flush")

    def all_processed():
        return set(sent) <= set(v for m in members for v in m.values())

    def split_between(live):
        assignments = [m.assignment() for m in live]
        if any(not a for a in assignments):
            return False
        union = sorted(p for a in assignments for p in a)
        return union == list(range(partitions))

    a = Member(bootstrap, topic, group, directory, "a")
    members.append(a)
    wait_until(lambda: a.assignment() == list(range(partitions)), 60, f"a to get every partition: {a.assignment()}")
    times["first_assignment_s"] = time.time() - a.started
    produce(100)
    wait_until(all_processed, 40, "a to process the first 100")

    b = Member(bootstrap, topic, group, directory, "b")
    members.append(b)
    wait_until(lambda: split_between([a, b]), 60, f"a and b to split: a={a.assignment()} b={b.assignment()}")
    times["second_member_s"] = time.time() - b.started
    produce(100)
    wait_until(all_processed, 40, "a and b to process the next 100")

    c = Member(bootstrap, topic, group, directory, "c")
    members.append(c)
    wait_until(lambda: split_between([a, b, c]), 60,
               f"a, b and c to split: a={a.assignment()} b={b.assignment()} c={c.assignment()}")
    times["third_member_s"] = time.time() - c.started
    # The same group as Sluice's own tools see it: three members, each partition owned by one of them.
    described = json.loads(subprocess.run([sluice, "groups", "describe", group, "--json", "--socket", socket],
                                          check=True, capture_output=True, text=True).stdout)
    check(len(described["members"]) == 3, f"sluice groups describe shows {len(described['members'])} members")
    owners = {p["partition"]: p["owner"] for p in described["partitions"]}
    ids = set(m["member_id"] for m in described["members"])
    check(sorted(owners) == list(range(partitions)) and all(owners[p] in ids for p in owners),
          f"owners {owners} are not the members {ids}")
    listed = subprocess.run([sluice, "groups", "list", "--socket", socket], check=True, capture_output=True,
                            text=True).stdout.split()
    check(group in listed, f"sluice groups list does not show {group}: {listed}")
    produce(100)
    wait_until(all_processed, 40, "a, b and c to process the next 100")

    left = time.time()
    c.stop()
    wait_until(lambda: split_between([a, b]), 60, f"a and b to take c's partitions: a={a.assignment()} b={b.assignment()}")
    times["after_leave_s"] = time.time() - left
    produce(100)
    wait_until(all_processed, 40, "a and b to process after c left")
    a.stop()
    b.stop()

    # Committed offsets are the ends of the log: a new member resumes after them.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    committed = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=15)
    ends = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in range(partitions)]
    consumer.close()
    check([tp.offset for tp in committed] == ends, f"committed {[tp.offset for tp in committed]} != ends {ends}")
    d = Member(bootstrap, topic, group, directory, "d")
    members.append(d)
    wait_until(lambda: d.assignment() == list(range(partitions)), 60, f"d to be assigned: {d.assignment()}")
    before = len(sent)
    produce(20)
    wait_until(lambda: set(sent[before:]) <= set(d.values()), 40, "d to process the last 20")
    check(set(d.values()) == set(sent[before:]), f"d re-processed committed messages: {len(d.values())} values")
    d.stop()
    times["sent"] = len(sent)
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in times.items()}))


# ---------------------------------------------------------------------------- __consumer_offsets

def read_string(data, at):
    (length,) = struct.unpack_from(">h", data, at)
    at += 2
    if length < 0:
        return None, at
    return data[at:at + length].decode(), at + length


def decode_commit(key, value):
    """An OffsetCommitKey and OffsetCommitValue as Kafka's tools read them (GroupMetadataManager's formatter):
    key versions 0 and 1 are offset commits (2 is group metadata); value versions 0 to 3."""
    (key_version,) = struct.unpack_from(">h", key, 0)
    if key_version not in (0, 1):
        return None
    group, at = read_string(key, 2)
    topic, at = read_string(key, at)
    (partition,) = struct.unpack_from(">i", key, at)
    if value is None:
        return (group, topic, partition), None
    (value_version,) = struct.unpack_from(">h", value, 0)
    (offset,) = struct.unpack_from(">q", value, 2)
    at = 10
    if value_version >= 3:
        at += 4  # leader epoch
    metadata, at = read_string(value, at)
    (commit_timestamp,) = struct.unpack_from(">q", value, at)
    return (group, topic, partition), {"offset": offset, "metadata": metadata, "timestamp": commit_timestamp,
                                       "version": value_version}


def read_commits(bootstrap, start=None):
    """Every record of __consumer_offsets from `start` (the beginning when None) to its end, as a lag checker reads
    it: (log offset, key, commit) in log order."""
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000)
    tp = kafka.TopicPartition("__consumer_offsets", 0)
    consumer.assign([tp])
    end = consumer.end_offsets([tp])[tp]
    if start is None:
        consumer.seek_to_beginning(tp)
    else:
        consumer.seek(tp, start)
    found = []
    while consumer.position(tp) < end:
        for _, batch in consumer.poll(timeout_ms=2000).items():
            for message in batch:
                decoded = decode_commit(message.key, message.value)
                check(decoded is not None, f"record at {message.offset} is not an offset commit")
                found.append((message.offset, decoded[0], decoded[1]))
    consumer.close()
    return found, end


def scenario_consumer_offsets(bootstrap):
    topic, group = "lagged", "lag-target"
    create(bootstrap, topic, 2)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    for partition in range(2):
        for n in range(50):
            producer.produce(topic, value=f"v{n}".encode(), partition=partition)
    check(producer.flush(30) == 0, "flush")

    # A kafka-python group and a confluent-kafka one commit.
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    consumer.assign([kafka.TopicPartition(topic, 0), kafka.TopicPartition(topic, 1)])
    consumer.commit({kafka.TopicPartition(topic, 0): kafka.OffsetAndMetadata(30, "kp", -1),
                     kafka.TopicPartition(topic, 1): kafka.OffsetAndMetadata(10, "", -1)})
    ck = Consumer({"bootstrap.servers": bootstrap, "group.id": "other-group"})
    ck.commit(offsets=[TopicPartition(topic, 1, 25)], asynchronous=False)
    ck.close()

    # Metadata lists it, internal, with one partition.
    admin = AdminClient({"bootstrap.servers": bootstrap})
    metadata = admin.list_topics(timeout=15)
    internal = metadata.topics.get("__consumer_offsets")
    check(internal is not None and len(internal.partitions) == 1, f"metadata: {sorted(metadata.topics)}")
    named = admin.list_topics(topic="__consumer_offsets", timeout=15)
    check("__consumer_offsets" in named.topics and named.topics["__consumer_offsets"].error is None,
          "metadata of __consumer_offsets by name")

    commits, end = read_commits(bootstrap)
    latest = {key: commit for _, key, commit in commits}
    check(latest.get((group, topic, 0), {}).get("offset") == 30, f"commits read: {latest}")
    check(latest[(group, topic, 0)]["metadata"] == "kp" and latest[(group, topic, 0)]["version"] == 3,
          f"value of {group}: {latest[(group, topic, 0)]}")
    check(latest.get((group, topic, 1), {}).get("offset") == 10, f"commits read: {latest}")
    check(latest.get(("other-group", topic, 1), {}).get("offset") == 25, f"commits read: {latest}")
    offsets = [offset for offset, _, _ in commits]
    check(offsets == sorted(offsets) and len(set(offsets)) == len(offsets), f"log offsets {offsets}")

    # Lag as a lag checker computes it: the log's end minus the committed offset.
    ends = consumer.end_offsets([kafka.TopicPartition(topic, 0), kafka.TopicPartition(topic, 1)])
    lag = {p: ends[kafka.TopicPartition(topic, p)] - latest[(group, topic, p)]["offset"] for p in range(2)}
    check(lag == {0: 20, 1: 40}, f"lag {lag}")

    # A new commit comes after the end read before, at a higher offset: the log only grows.
    consumer.commit({kafka.TopicPartition(topic, 0): kafka.OffsetAndMetadata(45, "", -1)})
    consumer.close()
    newer, new_end = read_commits(bootstrap, start=end)
    check([(key, commit["offset"]) for _, key, commit in newer] == [((group, topic, 0), 45)],
          f"after the second commit: {newer}")
    check(newer[0][0] >= end and new_end > end, f"offset {newer[0][0]} after {end}")
    # Compacted: the replaced commit is gone, read from the beginning.
    again, _ = read_commits(bootstrap)
    check(sum(1 for _, key, _ in again if key == (group, topic, 0)) == 1, f"replaced commit still there: {again}")

    # Read-only: produce is refused, and it cannot be created.
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 5000})
    p.produce("__consumer_offsets", value=b"x", on_delivery=lambda error, message: errors.append(error))
    p.flush(15)
    check(len(errors) == 1 and errors[0] is not None, f"produce to __consumer_offsets: {errors}")
    futures = admin.create_topics([NewTopic("__consumer_offsets", num_partitions=1, replication_factor=1)])
    try:
        futures["__consumer_offsets"].result(15)
        fail("creating __consumer_offsets succeeded")
    except KafkaException as error:
        check("TOPIC_ALREADY_EXISTS" in str(error) or error.args[0].code() == 36, f"create: {error}")
    print(json.dumps({"commits": len(again), "end": new_end, "lag": lag}))


SCENARIOS = {
    "member": scenario_member,
    "group": scenario_group,
    "consumer-offsets": scenario_consumer_offsets,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        fail(f"usage: {sys.argv[0]} {{{','.join(SCENARIOS)}}} BOOTSTRAP [ARGS...]")
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
