#!/usr/bin/env python3
"""The admin calls of confluent-kafka's and kafka-python's admin clients against Sluice's Kafka listener: groups,
configs, partitions, records, the cluster and its log directory.

    kafka_admin.py SCENARIO BOOTSTRAP [ARGS...]

Each scenario asserts what it checks and exits non-zero with a message on the first failure
(KafkaAdminToolsTests runs them against a real server).
"""

import socket
import struct
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
    NewTopic, OffsetSpec, ResourceType,
)
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, KafkaError
import kafka
import kafka.errors
from kafka.admin import ConfigResource as KPConfigResource, ConfigResourceType as KPConfigResourceType
from kafka.admin import NewTopic as KPNewTopic


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while not condition():
        check(time.time() < deadline, f"timed out waiting for {what}")
        time.sleep(0.2)


def produce(bootstrap, topic, partition, count):
    producer = Producer({"bootstrap.servers": bootstrap})
    for index in range(count):
        producer.produce(topic, value=f"v{index}".encode(), key=f"k{index}".encode(), partition=partition)
    check(producer.flush(30) == 0, "records left unsent")


def commit_standalone(bootstrap, group, offsets):
    """Commits offsets for a group from outside it (no subscription), as tools do."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    consumer.commit(offsets=offsets, asynchronous=False)
    consumer.close()


def raw_call(bootstrap, api_key, version, body, flexible):
    """One request on a fresh connection; returns the response body after the correlation id (and, for a flexible
    version, the response header's tagged fields, which must be empty)."""
    host, port = bootstrap.rsplit(":", 1)
    client_id = b"admin-test"
    header = struct.pack(">hhih", api_key, version, 9, len(client_id)) + client_id
    if flexible:
        header += b"\x00"
    payload = header + body
    with socket.create_connection((host, int(port)), timeout=15) as connection:
        connection.sendall(struct.pack(">i", len(payload)) + payload)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = connection.recv(65536)
            check(chunk, "connection closed before the answer")
            data += chunk
    size, correlation = struct.unpack(">ii", data[:8])
    check(correlation == 9, f"correlation id {correlation}")
    rest = data[8:4 + size]
    if flexible:
        check(rest[:1] == b"\x00", "response header v1 has tagged fields")
        rest = rest[1:]
    return rest


# ---------------------------------------------------------------------------- confluent-kafka

def scenario_confluent(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("ck-admin", 2, 1)])["ck-admin"].result(15)
    produce(bootstrap, "ck-admin", 0, 10)
    commit_standalone(bootstrap, "ck-offsets", [TopicPartition("ck-admin", 0, 4)])

    # Groups: listed with their state, described, their offsets read, altered and deleted.
    listed = admin.list_consumer_groups(request_timeout=15).result(15)
    names = {group.group_id: group for group in listed.valid}
    check("ck-offsets" in names, f"group not listed: {names}")
    check(names["ck-offsets"].state == ConsumerGroupState.EMPTY, f"state {names['ck-offsets'].state}")
    empty = admin.list_consumer_groups(states={ConsumerGroupState.STABLE}, request_timeout=15).result(15)
    check("ck-offsets" not in {group.group_id for group in empty.valid}, "Empty group listed as Stable")
    described = admin.describe_consumer_groups(["ck-offsets"], request_timeout=15)["ck-offsets"].result(15)
    check(described.state == ConsumerGroupState.EMPTY and not described.members, f"described {described}")
    offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("ck-offsets")])["ck-offsets"]
    check([(tp.partition, tp.offset) for tp in offsets.result(15).topic_partitions] == [(0, 4)], "offsets")
    admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions("ck-offsets", [TopicPartition("ck-admin", 0, 6)])])["ck-offsets"].result(15)
    offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("ck-offsets")])["ck-offsets"]
    check([tp.offset for tp in offsets.result(15).topic_partitions] == [6], "altered offset")

    # A live group: Stable, its member and assignment shown, and it cannot be deleted.
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": "ck-live", "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
    })
    consumer.subscribe(["ck-admin"])
    deadline = time.time() + 40
    while not consumer.assignment():
        check(time.time() < deadline, "live consumer got no assignment")
        consumer.poll(0.2)
    live = admin.describe_consumer_groups(["ck-live"], request_timeout=15)["ck-live"].result(15)
    check(live.state == ConsumerGroupState.STABLE, f"live state {live.state}")
    check(len(live.members) == 1, f"members {live.members}")
    assigned = sorted(tp.partition for tp in live.members[0].assignment.topic_partitions)
    check(assigned == [0, 1], f"assignment {assigned}")
    try:
        admin.delete_consumer_groups(["ck-live"], request_timeout=15)["ck-live"].result(15)
        fail("a group with members was deleted")
    except KafkaException as error:
        check(error.args[0].code() == KafkaError.NON_EMPTY_GROUP, f"delete live group: {error}")
    consumer.close()
    admin.delete_consumer_groups(["ck-offsets"], request_timeout=15)["ck-offsets"].result(15)
    listed = admin.list_consumer_groups(request_timeout=15).result(15)
    check("ck-offsets" not in {group.group_id for group in listed.valid}, "deleted group still listed")

    # Configs: Kafka's names, -1 for unlimited, changed incrementally and as a whole.
    topic = ConfigResource(ResourceType.TOPIC, "ck-admin")
    configs = admin.describe_configs([topic])[topic].result(15)
    check(configs["retention.ms"].value == "604800000", f"retention.ms {configs['retention.ms'].value}")
    check(configs["sluice.durability"].value == "full", "sluice.durability")
    check(configs["sluice.durability"].is_default, "durability should be the default")
    change = ConfigResource(
        ResourceType.TOPIC, "ck-admin", incremental_configs=[
            ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("retention.bytes", "-1", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND),
            ConfigEntry("sluice.durability", "normal", incremental_operation=AlterConfigOpType.SET),
        ])
    admin.incremental_alter_configs([change])[change].result(15)
    configs = admin.describe_configs([topic])[topic].result(15)
    check(configs["retention.ms"].value == "3600000", f"altered retention.ms {configs['retention.ms'].value}")
    check(configs["retention.bytes"].value == "-1", f"unlimited retention.bytes {configs['retention.bytes'].value}")
    check(set(configs["cleanup.policy"].value.split(",")) == {"compact", "delete"}, "appended cleanup.policy")
    check(not configs["retention.ms"].is_default, "altered retention.ms reported as default")
    bad = ConfigResource(
        ResourceType.TOPIC, "ck-admin", incremental_configs=[
            ConfigEntry("segment.bytes", "1", incremental_operation=AlterConfigOpType.SET)])
    try:
        admin.incremental_alter_configs([bad])[bad].result(15)
        fail("an unknown config was accepted")
    except KafkaException as error:
        check(error.args[0].code() == KafkaError.INVALID_CONFIG, f"unknown config: {error}")
    broker = ConfigResource(ResourceType.BROKER, "1")
    settings = admin.describe_configs([broker])[broker].result(15)
    check(settings["broker.id"].value == "1" and settings["broker.id"].is_read_only, "broker.id")
    check("log.dirs" in settings, "log.dirs missing")

    # Partitions added, records deleted.
    admin.create_partitions([NewPartitions("ck-admin", 3)])["ck-admin"].result(15)
    wait_until(lambda: len(admin.list_topics(timeout=15).topics["ck-admin"].partitions) == 3, 15, "3 partitions")
    try:
        admin.create_partitions([NewPartitions("ck-admin", 2)])["ck-admin"].result(15)
        fail("partitions shrank")
    except KafkaException as error:
        check(error.args[0].code() == KafkaError.INVALID_PARTITIONS, f"shrink: {error}")
    deleted = admin.delete_records([TopicPartition("ck-admin", 0, 7)])
    low = list(deleted.values())[0].result(15)
    check(low.low_watermark == 7, f"low watermark {low.low_watermark}")
    earliest = admin.list_offsets({TopicPartition("ck-admin", 0): OffsetSpec.earliest()})
    check(list(earliest.values())[0].result(15).offset == 7, "earliest after delete_records")

    cluster = admin.describe_cluster(request_timeout=15).result(15)
    check([node.id for node in cluster.nodes] == [1], f"nodes {cluster.nodes}")
    check(cluster.controller.id == 1 and cluster.cluster_id == "sluice", f"cluster {cluster}")

    # OffsetForLeaderEpoch at its first and its flexible version: epoch 0 ends at the high watermark.
    for version, flexible in ((0, False), (4, True)):
        topic_name = b"ck-admin"
        if flexible:
            body = (struct.pack(">i", -1) + b"\x02" + bytes([len(topic_name) + 1]) + topic_name + b"\x02"
                    + struct.pack(">iii", 0, 0, 0) + b"\x00\x00\x00")
        else:
            body = (struct.pack(">ih", 1, len(topic_name)) + topic_name + struct.pack(">iii", 1, 0, 0))
        answer = raw_call(bootstrap, 23, version, body, flexible)
        end_offset = struct.unpack(">q", answer[-11:-3] if flexible else answer[-8:])[0]
        check(end_offset == 10, f"OffsetForLeaderEpoch v{version} end offset {end_offset}: {answer.hex()}")


# ---------------------------------------------------------------------------- kafka-python

def scenario_kafka_python(bootstrap):
    admin = kafka.KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    admin.create_topics([KPNewTopic("kp-admin", 2, 1)])
    produce(bootstrap, "kp-admin", 1, 8)
    commit_standalone(bootstrap, "kp-offsets", [TopicPartition("kp-admin", 1, 3), TopicPartition("kp-admin", 0, 0)])

    groups = admin.list_groups()
    ids = [group["group_id"] if isinstance(group, dict) else group[0] for group in groups]
    check("kp-offsets" in ids, f"list_groups: {groups}")
    described = admin.describe_groups(["kp-offsets"])
    group = described["kp-offsets"] if isinstance(described, dict) else described[0]
    state = group["group_state"] if isinstance(group, dict) else group.state
    check(state == "Empty", f"describe_groups: {described}")
    offsets = admin.list_group_offsets({"kp-offsets": None})
    print(f"list_group_offsets: {offsets}")
    result = admin.delete_group_offsets("kp-offsets", [kafka.TopicPartition("kp-admin", 0)])
    check(all(error is kafka.errors.NoError for error in result.values()), f"delete_group_offsets: {result}")
    left = admin.list_group_offsets({"kp-offsets": None})["kp-offsets"]
    check({tp.partition for tp in left} == {1}, f"offsets after delete_group_offsets: {left}")
    deleted = admin.delete_groups(["kp-offsets"])
    print(f"delete_groups: {deleted}")
    check("kp-offsets" not in [g["group_id"] if isinstance(g, dict) else g[0] for g in admin.list_groups()],
          "deleted group listed")

    topic = KPConfigResource(KPConfigResourceType.TOPIC, "kp-admin")
    configs = admin.describe_configs([topic], config_filter="all")
    values = configs["topic"]["kp-admin"]
    check(values["max.message.bytes"]["value"] == "1048576", f"describe_configs: {values}")
    admin.alter_configs([KPConfigResource(KPConfigResourceType.TOPIC, "kp-admin", {"max.message.bytes": "2048"})])
    values = admin.describe_configs([topic], config_filter="all")["topic"]["kp-admin"]
    check(values["max.message.bytes"]["value"] == "2048", f"after alter_configs: {values['max.message.bytes']}")
    modified = admin.describe_configs([topic])["topic"]["kp-admin"]
    check(set(modified) == {"max.message.bytes"}, f"modified configs: {set(modified)}")
    # The legacy AlterConfigs replaces the whole set: what it does not name goes back to its default.
    admin.alter_configs(
        [KPConfigResource(KPConfigResourceType.TOPIC, "kp-admin", {"retention.ms": "60000"})], incremental=False,
        raise_on_unknown=False)
    values = admin.describe_configs([topic], config_filter="all")["topic"]["kp-admin"]
    check(values["retention.ms"]["value"] == "60000", "legacy alter_configs")
    check(values["max.message.bytes"]["value"] == "2048", "legacy alter_configs kept the modified key")

    admin.create_partitions({"kp-admin": 4})
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap)
    wait_until(lambda: len(consumer.partitions_for_topic("kp-admin") or []) == 4, 15, "4 partitions")
    consumer.close()
    result = admin.delete_records({kafka.TopicPartition("kp-admin", 1): 5})
    print(f"delete_records: {result}")
    dirs = admin.describe_log_dirs()
    print(f"describe_log_dirs: {dirs}")
    log_dirs = dirs[0]["log_dirs"]
    check(len(log_dirs) == 1, f"log dirs {log_dirs}")
    sizes = {(topic["name"], partition["partition_index"]): partition["partition_size"]
             for topic in log_dirs[0]["topics"] for partition in topic["partitions"]}
    check(sizes.get(("kp-admin", 1), 0) > 0 and sizes.get(("kp-admin", 0)) == 0, f"sizes {sizes}")
    cluster = admin.describe_cluster()
    print(f"describe_cluster: {cluster}")
    check(cluster["cluster_id"] == "sluice" and cluster["controller_id"] == 1, f"describe_cluster {cluster}")
    admin.close()


SCENARIOS = {
    "confluent": scenario_confluent,
    "kafka-python": scenario_kafka_python,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
