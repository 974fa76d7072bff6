#!/usr/bin/env python3
"""Real Kafka clients against Sluice's Kafka listener serving TLS (a build with the TLS trait).

Each scenario asserts what it checks and exits non-zero with a message on the first failure; KafkaTLSTests starts
the server and runs one scenario per step:

    kafka_tls.py round-trip BOOTSTRAP CA_FILE USER PASSWORD TOPIC
    kafka_tls.py plaintext BOOTSTRAP
"""

import socket
import struct
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def scenario_round_trip(bootstrap, ca, user, password, topic):
    """confluent-kafka with SASL_SSL and SCRAM-SHA-256, verifying the server's certificate against CA_FILE:
    produces a record and reads it back."""
    config = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL", "ssl.ca.location": ca,
              "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": user, "sasl.password": password}
    value = f"over-tls-{uuid.uuid4().hex[:8]}"
    producer = Producer(config)
    errors = []
    producer.produce(topic, value=value.encode(), on_delivery=lambda e, m: e and errors.append(e))
    check(producer.flush(30) == 0, "confluent producer did not flush")
    check(not errors, f"delivery failed: {errors}")
    consumer = Consumer({**config, "group.id": f"g-{uuid.uuid4()}", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = []
    deadline = time.time() + 30
    while value not in seen and time.time() < deadline:
        message = consumer.poll(1)
        if message is None:
            continue
        check(message.error() is None, f"consume error: {message.error()}")
        seen.append(message.value().decode())
    consumer.close()
    check(value in seen, f"read back {seen}, expected {value}")
    print(f"read back {value}")


def scenario_plaintext(bootstrap):
    """A Kafka request in plain TCP to the TLS listener gets no Kafka answer: the connection is closed (the server's
    TLS alert, if any, is not a Kafka frame)."""
    host, port = bootstrap.rsplit(":", 1)
    client = b"plain"
    header = struct.pack(">hhih", 18, 0, 1, len(client)) + client  # ApiVersions v0
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(struct.pack(">i", len(header)) + header)
        received = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            fail(f"the connection stayed open after a plaintext request (received {received!r})")
    # An ApiVersions answer would start with a size then correlation id 1; a TLS alert record starts with 0x15.
    check(received[4:8] != struct.pack(">i", 1), f"a plaintext request was answered: {received!r}")
    check(not received or received[0] == 0x15, f"not a TLS alert: {received!r}")
    print(f"closed after {len(received)} bytes")


if __name__ == "__main__":
    scenarios = {"round-trip": scenario_round_trip, "plaintext": scenario_plaintext}
    if len(sys.argv) < 3 or sys.argv[1] not in scenarios:
        fail(f"usage: {sys.argv[0]} {'|'.join(scenarios)} BOOTSTRAP [ARGS...]")
    scenarios[sys.argv[1]](*sys.argv[2:])
