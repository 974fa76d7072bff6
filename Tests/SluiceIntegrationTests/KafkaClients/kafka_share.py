#!/usr/bin/env python3
"""confluent-kafka 2.16's ShareConsumer (KIP-932 share groups) against Sluice's Kafka listener.

    kafka_share.py SCENARIO BOOTSTRAP [ARGS...]

Each scenario asserts what it checks and exits non-zero with a message on the first failure; the Swift test
(KafkaShareGroupTests) starts the server and runs one scenario per test. A scenario that hands data back prints one
JSON object on its last line of stdout.
"""

import json
import sys
import threading
import time

from confluent_kafka import AcknowledgeType, Consumer, KafkaException, Producer, ShareConsumer
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def create_topic(bootstrap, name, partitions=1):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(15)


def produce(bootstrap, topic, values, partition=0):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for value in values:
        producer.produce(topic, value=value.encode(), partition=partition)
    check(producer.flush(15) == 0, "produce: records left unsent")


def share_consumer(bootstrap, group, mode="implicit", extra=None):
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "share.acknowledgement.mode": mode,
    }
    config.update(extra or {})
    return ShareConsumer(config)


def poll_records(consumer, timeout=1.0):
    records = []
    for message in consumer.poll(timeout):
        check(message.error() is None, f"poll error: {message.error()}")
        records.append(message)
    return records


def join_and_start(bootstrap, topic, consumers, deadline_s=30):
    """Makes the group start reading: with share.auto.offset.reset at its default (latest) a share group starts at
    the end of the partition when it first reads it, so markers are produced until one consumer receives one.
    Returns the markers received (accepted on the next poll in implicit mode)."""
    deadline = time.time() + deadline_s
    seen = []
    round_ = 0
    while not seen:
        check(time.time() < deadline, "no consumer received a marker record: the share group never started")
        produce(bootstrap, topic, [f"marker-{round_}"])
        round_ += 1
        for consumer in consumers:
            seen += [m for m in poll_records(consumer, 0.5) if m.value().decode().startswith("marker-")]
    return seen


def scenario_implicit(bootstrap, topic, group, count):
    """Implicit acknowledgement: every record arrives once with delivery count 1 and is accepted by the next poll;
    a second consumer of the group afterwards gets none of them."""
    count = int(count)
    create_topic(bootstrap, topic)
    consumer = share_consumer(bootstrap, group)
    consumer.subscribe([topic])
    join_and_start(bootstrap, topic, [consumer])
    values = [f"r-{i}" for i in range(count)]
    produce(bootstrap, topic, values)
    received = {}
    deadline = time.time() + 30
    while len(received) < count:
        check(time.time() < deadline, f"received {len(received)} of {count}")
        for message in poll_records(consumer):
            value = message.value().decode()
            if value.startswith("marker-"):
                continue
            check(value not in received, f"{value} delivered twice")
            check(message.delivery_count() == 1, f"{value}: delivery count {message.delivery_count()}")
            received[value] = message.offset()
    consumer.poll(0.5)  # accepts the last poll's records
    consumer.close()
    check(sorted(received) == sorted(values), "records differ")
    # Everything was accepted: a new member of the group gets nothing.
    again = share_consumer(bootstrap, group)
    again.subscribe([topic])
    end = time.time() + 4
    while time.time() < end:
        late = [m.value().decode() for m in poll_records(again, 0.5)]
        check(not [v for v in late if v.startswith("r-")], f"accepted records delivered again: {late}")
    again.close()
    print(json.dumps({"received": len(received)}))


def scenario_explicit(bootstrap, topic, group):
    """Explicit acknowledgement: release comes back with delivery count 2, reject never comes back, accept is done;
    commit_sync reports each partition's outcome."""
    create_topic(bootstrap, topic)
    consumer = share_consumer(bootstrap, group, "explicit")
    consumer.subscribe([topic])
    for marker in join_and_start(bootstrap, topic, [consumer]):
        consumer.acknowledge(marker, AcknowledgeType.ACCEPT)
    check(all(error is None for error in consumer.commit_sync(15).values()), "marker commit failed")
    produce(bootstrap, topic, ["release-me", "reject-me", "accept-me"])
    first = {}
    deadline = time.time() + 30
    while len(first) < 3:
        check(time.time() < deadline, f"first delivery: got {sorted(first)}")
        for message in poll_records(consumer):
            value = message.value().decode()
            if value.startswith("marker-"):
                consumer.acknowledge(message, AcknowledgeType.ACCEPT)
                continue
            check(message.delivery_count() == 1, f"{value}: first delivery count {message.delivery_count()}")
            first[value] = message
            kind = {"release-me": AcknowledgeType.RELEASE, "reject-me": AcknowledgeType.REJECT}.get(
                value, AcknowledgeType.ACCEPT)
            consumer.acknowledge(message, kind)
    results = consumer.commit_sync(15)
    check(results and all(error is None for error in results.values()), f"commit_sync: {results}")
    # The released record comes back, counted twice; the rejected and accepted ones never do.
    again = None
    deadline = time.time() + 30
    while again is None:
        check(time.time() < deadline, "the released record did not come back")
        for message in poll_records(consumer):
            value = message.value().decode()
            check(value not in ("reject-me", "accept-me"), f"{value} delivered again")
            if value == "release-me":
                again = message
            consumer.acknowledge(message, AcknowledgeType.ACCEPT)
    check(again.delivery_count() == 2, f"redelivered with delivery count {again.delivery_count()}")
    check(again.offset() == first["release-me"].offset(), "redelivered at another offset")
    consumer.commit_sync(15)
    end = time.time() + 3
    while time.time() < end:
        late = [m.value().decode() for m in poll_records(consumer, 0.5)]
        check(not [v for v in late if v in ("release-me", "reject-me", "accept-me")], f"delivered again: {late}")
    consumer.close()
    print(json.dumps({"redelivered": again.offset(), "delivery_count": again.delivery_count()}))


def scenario_two_consumers(bootstrap, topic, group, count):
    """Two ShareConsumers on one partition: together they receive every record, each exactly once."""
    count = int(count)
    create_topic(bootstrap, topic)
    consumers = [share_consumer(bootstrap, group, extra={"max.poll.records": 10}) for _ in range(2)]
    for consumer in consumers:
        consumer.subscribe([topic])
    join_and_start(bootstrap, topic, consumers)
    values = [f"job-{i}" for i in range(count)]
    produce(bootstrap, topic, values)
    lock = threading.Lock()
    seen = {}
    duplicates = []
    per_consumer = [0, 0]

    def work(index):
        consumer = consumers[index]
        deadline = time.time() + 45
        while time.time() < deadline:
            with lock:
                if len(seen) >= count:
                    break
            for message in poll_records(consumer, 0.5):
                value = message.value().decode()
                if not value.startswith("job-"):
                    continue
                with lock:
                    if value in seen:
                        duplicates.append(value)
                    seen[value] = index
                    per_consumer[index] += 1
            time.sleep(0.01)  # a little work per batch, so that both take turns
        consumer.poll(0.5)
        consumer.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check(not duplicates, f"delivered twice: {duplicates[:10]}")
    check(sorted(seen) == sorted(values), f"received {len(seen)} of {count}")
    print(json.dumps({"per_consumer": per_consumer}))


def scenario_redelivery_after_close(bootstrap, topic, group):
    """A consumer that closes without acknowledging (explicit mode, nothing acknowledged) gives its records back:
    close releases them, and the next member gets them with delivery count 2."""
    create_topic(bootstrap, topic)
    first = share_consumer(bootstrap, group, "explicit")
    first.subscribe([topic])
    for marker in join_and_start(bootstrap, topic, [first]):
        first.acknowledge(marker, AcknowledgeType.ACCEPT)
    first.commit_sync(15)
    produce(bootstrap, topic, ["held"])
    held = None
    deadline = time.time() + 30
    while held is None:
        check(time.time() < deadline, "held record not delivered")
        for message in poll_records(first):
            if message.value() == b"held":
                held = message
            else:
                first.acknowledge(message, AcknowledgeType.ACCEPT)
    first.acknowledge(held, AcknowledgeType.RELEASE)
    first.commit_sync(15)
    first.close()
    second = share_consumer(bootstrap, group)
    second.subscribe([topic])
    got = None
    deadline = time.time() + 30
    while got is None:
        check(time.time() < deadline, "released record not delivered to the next member")
        for message in poll_records(second):
            if message.value() == b"held":
                got = message
    check(got.delivery_count() == 2, f"delivery count {got.delivery_count()}")
    second.poll(0.5)
    second.close()
    print(json.dumps({"delivery_count": got.delivery_count()}))


def scenario_group_configs(bootstrap, topic, group):
    """Share-group settings through the AdminClient on GROUP resources, before the group's first member joins:
    share.auto.offset.reset=earliest makes the group start at the log start, so records produced before any
    consumer are delivered; a value out of range is refused and changes nothing."""
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, [f"early-{i}" for i in range(5)])
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ResourceType.GROUP, group)
    described = admin.describe_configs([resource])[resource].result(15)
    check(described["share.auto.offset.reset"].value == "latest", f"default reset: {described}")
    check(described["share.record.lock.duration.ms"].value == "30000", "default lock duration")
    check(described["share.delivery.count.limit"].value == "5", "default delivery count limit")
    alter = ConfigResource(
        ResourceType.GROUP, group,
        incremental_configs=[
            ConfigEntry("share.auto.offset.reset", "earliest", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("share.record.lock.duration.ms", "15000", incremental_operation=AlterConfigOpType.SET),
        ])
    admin.incremental_alter_configs([alter])[alter].result(15)
    bad = ConfigResource(
        ResourceType.GROUP, group,
        incremental_configs=[
            ConfigEntry("share.delivery.count.limit", "0", incremental_operation=AlterConfigOpType.SET),
        ])
    try:
        admin.incremental_alter_configs([bad])[bad].result(15)
        fail("a delivery count limit of 0 was accepted")
    except KafkaException as error:
        check(error.args[0].code() == 40, f"refusal: {error}")  # INVALID_CONFIG
    described = admin.describe_configs([resource])[resource].result(15)
    check(described["share.auto.offset.reset"].value == "earliest", f"reset after alter: {described}")
    check(described["share.record.lock.duration.ms"].value == "15000", "lock duration after alter")
    check(described["share.delivery.count.limit"].value == "5", "refused value was stored")
    consumer = share_consumer(bootstrap, group)
    consumer.subscribe([topic])
    got = set()
    deadline = time.time() + 30
    while len(got) < 5:
        check(time.time() < deadline, f"earliest: got {sorted(got)}")
        got |= {m.value().decode() for m in poll_records(consumer)}
    consumer.poll(0.5)
    consumer.close()
    check(got == {f"early-{i}" for i in range(5)}, f"records: {got}")
    print(json.dumps({"received": len(got)}))


def scenario_dead_letters(bootstrap, topic, group):
    """A rejected record and one released until the delivery limit land in the group's dead-letter topic, set
    through the AdminClient, with headers naming where they came from and why; a plain consumer reads them."""
    create_topic(bootstrap, topic)
    dlq = f"{topic}-dlq"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    alter = ConfigResource(
        ResourceType.GROUP, group,
        incremental_configs=[
            ConfigEntry("share.auto.offset.reset", "earliest", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("share.delivery.count.limit", "2", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("errors.deadletterqueue.topic.name", dlq, incremental_operation=AlterConfigOpType.SET),
        ])
    admin.incremental_alter_configs([alter])[alter].result(15)
    produce(bootstrap, topic, ["poison", "flaky", "fine"])
    consumer = share_consumer(bootstrap, group, "explicit")
    consumer.subscribe([topic])
    deliveries = {}
    deadline = time.time() + 45
    while deliveries.get("flaky", 0) < 2 or "poison" not in deliveries or "fine" not in deliveries:
        check(time.time() < deadline, f"deliveries: {deliveries}")
        for message in poll_records(consumer):
            value = message.value().decode()
            deliveries[value] = max(deliveries.get(value, 0), message.delivery_count())
            kind = {"poison": AcknowledgeType.REJECT, "flaky": AcknowledgeType.RELEASE}.get(
                value, AcknowledgeType.ACCEPT)
            consumer.acknowledge(message, kind)
        consumer.commit_sync(15)
    check(deliveries["poison"] == 1, f"rejected record delivered {deliveries['poison']} times")
    end = time.time() + 2
    while time.time() < end:
        late = [m.value().decode() for m in poll_records(consumer, 0.5)]
        check(not late, f"delivered after archiving: {late}")
    consumer.close()
    reader = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"{group}-reader", "auto.offset.reset": "earliest",
    })
    reader.subscribe([dlq])
    letters = {}
    deadline = time.time() + 30
    while len(letters) < 2:
        check(time.time() < deadline, f"dead letters: {letters}")
        message = reader.poll(1.0)
        if message is None or message.error():
            continue
        headers = {k: (v.decode() if v is not None else None) for k, v in (message.headers() or [])}
        letters[message.value().decode()] = headers
    reader.close()
    check(sorted(letters) == ["flaky", "poison"], f"dead letters: {sorted(letters)}")
    check(letters["poison"].get("sluice.dlq.reason") == "rejected", f"poison headers: {letters['poison']}")
    check(letters["flaky"].get("sluice.dlq.reason") == "delivery_limit", f"flaky headers: {letters['flaky']}")
    check(letters["poison"].get("sluice.dlq.topic") == topic, "dead letter names its topic")
    check(letters["flaky"].get("sluice.dlq.delivery.count") == "2", f"flaky count: {letters['flaky']}")
    print(json.dumps({"dead_letters": sorted(letters)}))


SCENARIOS = {
    "implicit": scenario_implicit,
    "explicit": scenario_explicit,
    "two-consumers": scenario_two_consumers,
    "redelivery-after-close": scenario_redelivery_after_close,
    "group-configs": scenario_group_configs,
    "dead-letters": scenario_dead_letters,
}


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        print(f"usage: {sys.argv[0]} {{{','.join(SCENARIOS)}}} BOOTSTRAP [ARGS...]", file=sys.stderr)
        sys.exit(2)
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
