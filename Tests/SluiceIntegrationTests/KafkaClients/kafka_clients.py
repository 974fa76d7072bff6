#!/usr/bin/env python3
"""Real Kafka clients (confluent-kafka, kafka-python) against Sluice's Kafka listener.

Each scenario asserts what it checks and exits non-zero with a message on the first failure; the Swift
integration tests (KafkaClientTests) start the server and run one scenario per test:

    kafka_clients.py SCENARIO BOOTSTRAP [ARGS...]

Scenarios print one JSON object on their last line of stdout when the caller needs data back.
"""

import json
import os
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
import kafka
from kafka.admin import NewTopic as KPNewTopic
import kafka.errors


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def headers_dict(headers):
    return {k: (v.decode() if v is not None else None) for k, v in (headers or [])}


# ---------------------------------------------------------------------------- admin and metadata

def ck_admin(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap})


def ck_create(bootstrap, name, partitions):
    admin = ck_admin(bootstrap)  # kept alive until the answer arrives: a dropped client cancels its requests
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(15)


def scenario_admin_confluent(bootstrap):
    admin = ck_admin(bootstrap)
    futures = admin.create_topics([NewTopic("ck-demo", 3, 1), NewTopic("ck-dflt")])
    for name, future in futures.items():
        future.result(15)
    topics = admin.list_topics(timeout=15).topics
    check("ck-demo" in topics and len(topics["ck-demo"].partitions) == 3, f"ck-demo missing or wrong: {topics}")
    check("ck-dflt" in topics and len(topics["ck-dflt"].partitions) >= 1, "ck-dflt (default partitions) missing")
    # A second create of the same name is refused with TOPIC_ALREADY_EXISTS.
    try:
        admin.create_topics([NewTopic("ck-demo", 3, 1)])["ck-demo"].result(15)
        fail("duplicate create succeeded")
    except KafkaException as error:
        check(error.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, f"duplicate create: {error}")
    admin.delete_topics(["ck-dflt"])["ck-dflt"].result(15)
    deadline = time.time() + 10
    while "ck-dflt" in admin.list_topics(timeout=15).topics:
        check(time.time() < deadline, "ck-dflt still listed after delete")
        time.sleep(0.1)
    cluster = admin.list_topics(timeout=15)
    check(list(cluster.brokers.keys()) == [1], f"brokers: {cluster.brokers}")
    check(cluster.controller_id == 1, f"controller id {cluster.controller_id}")


def scenario_admin_kafka_python(bootstrap):
    admin = kafka.KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([KPNewTopic("kp-demo", 2, 1)])
    check("kp-demo" in admin.list_topics(), "kp-demo not listed")
    try:
        admin.create_topics([KPNewTopic("kp-demo", 2, 1)])
        fail("duplicate create succeeded")
    except kafka.errors.TopicAlreadyExistsError:
        pass
    admin.delete_topics(["kp-demo"])
    deadline = time.time() + 10
    while "kp-demo" in admin.list_topics():
        check(time.time() < deadline, "kp-demo still listed after delete")
        time.sleep(0.1)
    admin.close()


# ---------------------------------------------------------------------------- produce

def records(prefix, count):
    """count keyed records with two headers each; the key repeats so partitions get several records."""
    return [(f"key-{i % 7}".encode(), f"{prefix}-{i}".encode(), [("src", prefix.encode()), ("i", str(i).encode())])
            for i in range(count)]


def produce_confluent(bootstrap, topic, batch, idempotent, compression="none"):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": idempotent, "linger.ms": 5,
                         "compression.type": compression})
    delivered = []

    def on_delivery(error, message):
        check(error is None, f"delivery failed: {error}")
        delivered.append((message.partition(), message.offset(), message.value().decode()))

    for key, value, headers in batch:
        producer.produce(topic, value=value, key=key, headers=headers, on_delivery=on_delivery)
    check(producer.flush(30) == 0, "confluent producer did not flush")
    return delivered


def produce_kafka_python(bootstrap, topic, batch):
    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap)
    # The default producer is idempotent (KIP-679) and needs a broker it believes is at least 0.11.
    check(producer.config["enable_idempotence"], "kafka-python producer is not idempotent by default")
    check(tuple(producer.config["api_version"]) >= (0, 11), f"inferred version {producer.config['api_version']}")
    futures = [producer.send(topic, value=value, key=key, headers=headers) for key, value, headers in batch]
    producer.flush(30)
    delivered = []
    for future, (_, value, _) in zip(futures, batch):
        metadata = future.get(timeout=30)
        delivered.append((metadata.partition, metadata.offset, value.decode()))
    producer.close()
    return delivered


def scenario_produce(bootstrap, client, topic, prefix, count):
    batch = records(prefix, int(count))
    if client == "confluent":
        delivered = produce_confluent(bootstrap, topic, batch, idempotent=False)
    elif client == "confluent-idempotent":
        delivered = produce_confluent(bootstrap, topic, batch, idempotent=True)
    elif client == "kafka-python":
        delivered = produce_kafka_python(bootstrap, topic, batch)
    elif client in ("confluent-gzip", "confluent-snappy", "confluent-lz4", "confluent-zstd"):
        delivered = produce_confluent(bootstrap, topic, batch, idempotent=True, compression=client.split("-")[1])
    else:
        fail(f"unknown client {client}")
    check(len(delivered) == len(batch), f"{len(delivered)} of {len(batch)} delivered")
    print(json.dumps({"delivered": [{"partition": p, "offset": o, "value": v} for p, o, v in delivered]}))


def scenario_produce_through_restart(bootstrap, topic, count, seconds):
    """An idempotent confluent-kafka producer sends `count` records spread over `seconds` while the caller kills and
    restarts the server; it keeps retrying until every record is acknowledged or fails for good."""
    count, seconds = int(count), float(seconds)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 2,
                         "message.timeout.ms": 60000, "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    delivered, failed = [], []

    def on_delivery(error, message):
        (failed if error else delivered).append(message.value().decode())

    start = time.time()
    for i in range(count):
        producer.produce(topic, value=f"r-{i}".encode(), key=f"k{i % 5}".encode(), on_delivery=on_delivery)
        producer.poll(0)
        pause = start + seconds * (i + 1) / count - time.time()
        if pause > 0:
            time.sleep(pause)
    producer.flush(90)
    print(json.dumps({"delivered": delivered, "failed": len(failed)}))


# ---------------------------------------------------------------------------- consume

def consume_confluent(bootstrap, topic, partitions, expected):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = []
    deadline = time.time() + 30
    while len(out) < expected and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        check(message.error() is None, f"consume error: {message.error()}")
        out.append({"partition": message.partition(), "offset": message.offset(),
                    "key": message.key().decode() if message.key() is not None else None,
                    "value": message.value().decode() if message.value() is not None else None,
                    "headers": headers_dict(message.headers()), "timestamp": message.timestamp()[1]})
    consumer.close()
    return out


def consume_kafka_python(bootstrap, topic, partitions, expected):
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                   auto_offset_reset="earliest")
    consumer.assign([kafka.TopicPartition(topic, p) for p in range(partitions)])
    consumer.seek_to_beginning()
    out = []
    deadline = time.time() + 30
    while len(out) < expected and time.time() < deadline:
        for tp, batch in consumer.poll(timeout_ms=500).items():
            for message in batch:
                out.append({"partition": tp.partition, "offset": message.offset,
                            "key": message.key.decode() if message.key is not None else None,
                            "value": message.value.decode() if message.value is not None else None,
                            "headers": headers_dict(message.headers), "timestamp": message.timestamp})
    consumer.close()
    return out


def scenario_consume(bootstrap, client, topic, partitions, expected):
    partitions, expected = int(partitions), int(expected)
    if client == "confluent":
        out = consume_confluent(bootstrap, topic, partitions, expected)
    elif client == "kafka-python":
        out = consume_kafka_python(bootstrap, topic, partitions, expected)
    else:
        fail(f"unknown client {client}")
    check(len(out) == expected, f"consumed {len(out)} of {expected}")
    # Offsets are contiguous from 0 in every partition.
    by_partition = {}
    for message in out:
        by_partition.setdefault(message["partition"], []).append(message["offset"])
    for partition, offsets in by_partition.items():
        check(offsets == list(range(len(offsets))), f"partition {partition} offsets {offsets[:20]}...")
    print(json.dumps({"records": out}))


def scenario_large_record(bootstrap, topic, size):
    """Partition 0 holds a record of `size` value bytes, then one of value `after`: both clients fetch them with
    fetch and partition limits of 1 KiB, since the first batch of a fetch is returned whatever its size (KIP-74)."""
    size = int(size)
    kp = kafka.KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                             fetch_max_bytes=1024, max_partition_fetch_bytes=1024)
    kp.assign([kafka.TopicPartition(topic, 0)])
    kp.seek_to_beginning()
    got = []
    deadline = time.time() + 30
    while len(got) < 2 and time.time() < deadline:
        for _, batch in kp.poll(timeout_ms=500).items():
            got += [message.value for message in batch]
    kp.close()
    check([len(v) for v in got] == [size, 5] and got[1] == b"after", f"kafka-python got {[len(v) for v in got]}")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "large", "enable.auto.commit": False,
                         "fetch.max.bytes": 1024, "message.max.bytes": 1024, "max.partition.fetch.bytes": 1024})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 30
    while len(got) < 2 and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        check(message.error() is None, f"consume error: {message.error()}")
        got.append(message.value())
    consumer.close()
    check([len(v) for v in got] == [size, 5], f"confluent got {[len(v) for v in got]}")


# ---------------------------------------------------------------------------- offsets

def scenario_offsets_for_times(bootstrap, topic):
    """Produces 3 records with timestamps 1000 ms apart into partition 0 and looks each up by time."""
    base = int(time.time() * 1000) - 60_000
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(3):
        producer.produce(topic, value=f"t{i}".encode(), partition=0, timestamp=base + i * 1000)
    check(producer.flush(30) == 0, "flush")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "times"})
    found = consumer.offsets_for_times([TopicPartition(topic, 0, base + 500)], timeout=15)
    check(found[0].offset == 1, f"confluent offsets_for_times(base+500) = {found[0].offset}, want 1")
    found = consumer.offsets_for_times([TopicPartition(topic, 0, base + 10_000)], timeout=15)
    check(found[0].offset == -1, f"offsets_for_times past the end = {found[0].offset}, want -1 (none)")
    consumer.close()
    kp = kafka.KafkaConsumer(bootstrap_servers=bootstrap)
    answer = kp.offsets_for_times({kafka.TopicPartition(topic, 0): base + 1500})
    check(answer[kafka.TopicPartition(topic, 0)].offset == 2, f"kafka-python offsets_for_times = {answer}")
    check(kp.beginning_offsets([kafka.TopicPartition(topic, 0)])[kafka.TopicPartition(topic, 0)] == 0, "beginning")
    check(kp.end_offsets([kafka.TopicPartition(topic, 0)])[kafka.TopicPartition(topic, 0)] == 3, "end")
    kp.close()


def scenario_out_of_range(bootstrap, topic):
    """A committed offset far past the end is reset by each client's auto.offset.reset policy."""
    for policy, want in (("earliest", "first"), ("latest", None)):
        group = f"oor-{policy}"
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                             "auto.offset.reset": policy, "enable.auto.commit": False})
        consumer.commit(offsets=[TopicPartition(topic, 0, 1000)], asynchronous=False)
        consumer.assign([TopicPartition(topic, 0, 1000)])
        message = None
        deadline = time.time() + 10
        while time.time() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                break
            if want is None and time.time() > deadline - 7:
                break
        if want == "first":
            check(message is not None and not message.error() and message.offset() == 0,
                  f"earliest reset gave {message and (message.error() or message.offset())}")
        else:
            check(message is None or message.error(), f"latest reset returned offset {message and message.offset()}")
        consumer.close()
    kp = kafka.KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    tp = kafka.TopicPartition(topic, 0)
    kp.assign([tp])
    kp.seek(tp, 1000)
    got = []
    deadline = time.time() + 15
    while not got and time.time() < deadline:
        got = kp.poll(timeout_ms=500).get(tp, [])
    check(got and got[0].offset == 0, f"kafka-python reset gave {[m.offset for m in got]}")
    kp.close()


# ---------------------------------------------------------------------------- groups

def scenario_member(bootstrap, client, topic, group, outfile):
    """A group member that records what it is assigned and every message it processes, committing each one.

    Lines in outfile: `assign P,P,...` after each assignment and `msg PARTITION OFFSET VALUE` per message.
    SIGTERM closes the consumer cleanly (LeaveGroup); SIGKILL does not.
    """
    out = open(outfile, "a", buffering=1)
    stopping = []
    # A parent may have started us with SIGTERM blocked (the mask is inherited): take it back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    if client == "confluent":
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False, "session.timeout.ms": 6000,
                             "heartbeat.interval.ms": 500})
        consumer.subscribe([topic],
                           on_assign=lambda c, ps: out.write("assign " + ",".join(str(p.partition) for p in ps) + "\n"))
        while not stopping:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            out.write(f"msg {message.partition()} {message.offset()} {message.value().decode()}\n")
            consumer.commit(message=message, asynchronous=False)
        consumer.close()
    else:
        class Listener(kafka.ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                pass

            def on_partitions_assigned(self, assigned):
                out.write("assign " + ",".join(str(tp.partition) for tp in assigned) + "\n")

        consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                       enable_auto_commit=False, session_timeout_ms=6000,
                                       heartbeat_interval_ms=500)
        consumer.subscribe([topic], listener=Listener())
        while not stopping:
            for tp, batch in consumer.poll(timeout_ms=200).items():
                for message in batch:
                    out.write(f"msg {tp.partition} {message.offset} {message.value.decode()}\n")
                    consumer.commit({tp: kafka.OffsetAndMetadata(message.offset + 1, None, -1)})
        consumer.close()
    out.close()


class Member:
    def __init__(self, bootstrap, client, topic, group, directory, name):
        self.path = os.path.join(directory, name)
        open(self.path, "w").close()
        self.process = subprocess.Popen([sys.executable, __file__, "member", bootstrap, client, topic, group, self.path])
        self.name = name

    def lines(self):
        with open(self.path) as f:
            return [line.rstrip("\n") for line in f]

    def assignment(self):
        assigns = [line for line in self.lines() if line.startswith("assign")]
        if not assigns:
            return None
        text = assigns[-1][len("assign "):]
        return sorted(int(p) for p in text.split(",") if p)

    def values(self):
        return [line.split(" ", 3)[3] for line in self.lines() if line.startswith("msg ")]


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    fail(f"timed out after {seconds}s waiting for {what}")


def scenario_group_rebalance(bootstrap, directory):
    topic, group, partitions = "grp", "mixed", 4
    ck_create(bootstrap, topic, partitions)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    sent = []

    def produce(count):
        for _ in range(count):
            value = f"m{len(sent)}"
            producer.produce(topic, value=value.encode(), key=value.encode())
            sent.append(value)
        check(producer.flush(30) == 0, "flush")

    members = []

    def processed():
        return set(v for m in members for v in m.values())

    def all_processed():
        return set(sent) <= processed()

    def split_between(live):
        assignments = [m.assignment() for m in live]
        if any(a is None or not a for a in assignments):
            return False
        union = sorted(p for a in assignments for p in a)
        return union == list(range(partitions))

    a = Member(bootstrap, "confluent", topic, group, directory, "a")
    members.append(a)
    produce(100)
    wait_until(all_processed, 40, "member a to process the first 100")
    b = Member(bootstrap, "kafka-python", topic, group, directory, "b")
    members.append(b)
    wait_until(lambda: split_between([a, b]), 40, f"a and b to split the partitions: a={a.assignment()} b={b.assignment()}")
    produce(100)
    wait_until(all_processed, 40, "a and b to process the next 100")
    # b leaves cleanly: a takes every partition.
    b.process.send_signal(signal.SIGTERM)
    b.process.wait(30)
    wait_until(lambda: a.assignment() == list(range(partitions)), 30, f"a to take over after b left: {a.assignment()}")
    produce(100)
    wait_until(all_processed, 40, "a to process after b left")
    # c joins and is killed: after its session times out a takes every partition again.
    c = Member(bootstrap, "confluent", topic, group, directory, "c")
    members.append(c)
    wait_until(lambda: split_between([a, c]), 40, f"a and c to split the partitions: a={a.assignment()} c={c.assignment()}")
    c.process.kill()
    c.process.wait(10)
    produce(100)
    wait_until(lambda: a.assignment() == list(range(partitions)), 40, f"a to take over after c was killed: {a.assignment()}")
    wait_until(all_processed, 40, "everything to be processed after c was killed")
    a.process.send_signal(signal.SIGTERM)
    a.process.wait(30)
    # Committed offsets are the ends of the log: a new member resumes after them.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    committed = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=15)
    ends = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in range(partitions)]
    consumer.close()
    check([tp.offset for tp in committed] == ends, f"committed {[tp.offset for tp in committed]} != ends {ends}")
    d = Member(bootstrap, "kafka-python", topic, group, directory, "d")
    members.append(d)
    wait_until(lambda: d.assignment() == list(range(partitions)), 40, "d to be assigned")
    before = len(sent)
    produce(20)
    wait_until(lambda: set(sent[before:]) <= set(d.values()), 40, "d to process the last 20")
    check(set(d.values()) == set(sent[before:]), f"d re-processed committed messages: {len(d.values())} values")
    d.process.send_signal(signal.SIGTERM)
    d.process.wait(30)
    print(json.dumps({"sent": len(sent), "processed": len(processed())}))


# ---------------------------------------------------------------------------- access policy

def scenario_access(bootstrap):
    """Run under a policy that grants this uid produce and consume on `allowed.*` (groups `allowed.*` too), admin
    on `allowed.*` topics only and produce on `inbox.*`; `allowed.t`, `secret.t` and `inbox.t` exist, and groups
    `allowed.g` and `secret.g` have committed offsets on the first two."""
    # Produce: the permitted topic is written, the other refused with TOPIC_AUTHORIZATION_FAILED.
    reports = {}
    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 15000})
    for topic in ("allowed.t", "secret.t"):
        producer.produce(topic, b"v", on_delivery=lambda err, msg, t=topic: reports.__setitem__(t, err))
    producer.flush(20)
    check(reports.get("allowed.t") is None and "allowed.t" in reports, f"produce to allowed.t: {reports}")
    err = reports.get("secret.t")
    check(err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, f"produce to secret.t: {err}")

    # Metadata for every topic leaves the refused one out; creating a topic needs admin on it.
    admin = ck_admin(bootstrap)
    topics = admin.list_topics(timeout=15).topics
    check("allowed.t" in topics and "secret.t" not in topics, f"listed topics: {sorted(topics)}")
    futures = admin.create_topics([NewTopic("secret.new", 1, 1), NewTopic("allowed.new", 1, 1)])
    futures["allowed.new"].result(15)
    try:
        futures["secret.new"].result(15)
        fail("secret.new was created")
    except KafkaException as e:
        check(e.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, f"create secret.new: {e}")

    # A group the policy does not grant: GROUP_AUTHORIZATION_FAILED; a granted one consumes.
    def first_event(group, topic, seconds=20):
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False})
        consumer.subscribe([topic])
        deadline = time.time() + seconds
        try:
            while time.time() < deadline:
                msg = consumer.poll(1)
                if msg is not None:
                    return msg
            return None
        finally:
            consumer.close()

    msg = first_event("secret.g", "allowed.t")
    check(msg is not None and msg.error() is not None
          and msg.error().code() == KafkaError.GROUP_AUTHORIZATION_FAILED, f"secret.g: {msg and msg.error()}")
    msg = first_event("allowed.g", "allowed.t")
    check(msg is not None and msg.error() is None, f"allowed.g: {msg and msg.error()}")

    # kafka-python: a group's offsets leave out the topics this uid may not consume; a refused group's
    # coordinator is refused with GROUP_AUTHORIZATION_FAILED; fetching a refused topic raises.
    kadmin = kafka.KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    offsets = kadmin.list_group_offsets("allowed.g")["allowed.g"]
    named = sorted({tp.topic for tp in offsets})
    check(named == ["allowed.t"], f"allowed.g offsets: {offsets}")
    try:
        listed = kadmin.list_group_offsets("secret.g")
        fail(f"secret.g offsets were listed: {listed}")
    except kafka.errors.GroupAuthorizationFailedError:
        pass
    kadmin.close()
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                   request_timeout_ms=15000)
    consumer.assign([kafka.TopicPartition("inbox.t", 0)])
    raised = None
    deadline = time.time() + 20
    while raised is None and time.time() < deadline:
        try:
            records = consumer.poll(timeout_ms=1000)
            check(not records, f"records read from inbox.t: {records}")
        except kafka.errors.TopicAuthorizationFailedError as e:
            raised = e
    consumer.close()
    check(raised is not None, "reading inbox.t raised no TopicAuthorizationFailedError")
    print(json.dumps({"ok": True}))


def scenario_init_producer_id_refused(bootstrap, topic):
    """Run under a policy that grants this uid no produce anywhere: an idempotent producer cannot get an id
    (CLUSTER_AUTHORIZATION_FAILED)."""
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "message.timeout.ms": 10000,
                         "error_cb": lambda e: errors.append(e)})
    delivered = []
    producer.produce(topic, b"v", on_delivery=lambda err, msg: delivered.append(err))
    raised = []
    try:
        producer.flush(15)
    except Exception as e:  # the fatal error may surface from flush itself
        raised += [repr(e), repr(e.__cause__)]
    seen = [str(e) for e in errors] + [str(e) for e in delivered if e is not None] + raised
    check(any("CLUSTER_AUTHORIZATION_FAILED" in text or "Cluster authorization failed" in text for text in seen),
          f"no cluster authorization failure: {seen}")
    print(json.dumps({"errors": seen}))


def raw_call(bootstrap, api_key, version, body, correlation_id=7):
    """One Kafka request on a connection of its own (request header v1), returning the response body after the
    correlation id: for the APIs clients send only as members of a group."""
    import socket
    import struct
    host, port = bootstrap.rsplit(":", 1)
    client = b"sluice-test"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client)) + client
    with socket.create_connection((host, int(port)), timeout=15) as conn:
        frame = header + body
        conn.sendall(struct.pack(">i", len(frame)) + frame)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = conn.recv(65536)
            check(chunk, "the server closed the connection")
            data += chunk
    check(struct.unpack(">i", data[4:8])[0] == correlation_id, "wrong correlation id")
    return data[8:]


def kafka_string(text):
    import struct
    return struct.pack(">h", len(text)) + text.encode()


def scenario_group_refused(bootstrap, refused, allowed):
    """Heartbeat and LeaveGroup (v0) for a member id that is not in the group: the group the policy does not grant
    is answered GROUP_AUTHORIZATION_FAILED (30) before the coordinator sees it; the granted one reaches the
    coordinator, which answers UNKNOWN_MEMBER_ID (25)."""
    import struct
    for group, expected in ((refused, 30), (allowed, 25)):
        heartbeat = raw_call(bootstrap, 12, 0, kafka_string(group) + struct.pack(">i", 1) + kafka_string("m-1"))
        check(struct.unpack(">h", heartbeat[:2])[0] == expected, f"heartbeat on {group}: {heartbeat!r}")
        leave = raw_call(bootstrap, 13, 0, kafka_string(group) + kafka_string("m-1"))
        check(struct.unpack(">h", leave[:2])[0] == expected, f"leave on {group}: {leave!r}")
    print(json.dumps({"ok": True}))


SCENARIOS = {
    "admin-confluent": scenario_admin_confluent,
    "admin-kafka-python": scenario_admin_kafka_python,
    "produce": scenario_produce,
    "consume": scenario_consume,
    "large-record": scenario_large_record,
    "produce-through-restart": scenario_produce_through_restart,
    "offsets-for-times": scenario_offsets_for_times,
    "out-of-range": scenario_out_of_range,
    "member": scenario_member,
    "group-rebalance": scenario_group_rebalance,
    "access": scenario_access,
    "init-producer-id-refused": scenario_init_producer_id_refused,
    "group-refused": scenario_group_refused,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
