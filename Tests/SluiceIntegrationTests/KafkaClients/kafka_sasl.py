#!/usr/bin/env python3
"""Real Kafka clients (confluent-kafka, kafka-python) authenticating to Sluice's Kafka listener with SASL.

Each scenario asserts what it checks and exits non-zero with a message on the first failure; KafkaSASLTests starts
the server and runs one scenario per test:

    kafka_sasl.py SCENARIO BOOTSTRAP [ARGS...]

CLIENT is confluent or kafka-python; MECHANISM is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
"""

import logging
import os
import socket
import struct
import sys
import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
import kafka
import kafka.errors


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def confluent_config(bootstrap, mechanism, user, password):
    return {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism,
            "sasl.username": user, "sasl.password": password}


def kafka_python_config(bootstrap, mechanism, user, password):
    return {"bootstrap_servers": bootstrap, "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism,
            "sasl_plain_username": user, "sasl_plain_password": password}


def scenario_round_trip(bootstrap, client, mechanism, user, password, topic):
    """Produces three records and reads them back, authenticated."""
    values = [f"{mechanism}-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    if client == "confluent":
        producer = Producer(confluent_config(bootstrap, mechanism, user, password))
        errors = []
        for value in values:
            producer.produce(topic, value=value.encode(), on_delivery=lambda e, m: e and errors.append(e))
        check(producer.flush(30) == 0, "confluent producer did not flush")
        check(not errors, f"delivery failed: {errors}")
        consumer = Consumer({**confluent_config(bootstrap, mechanism, user, password), "group.id": f"g-{uuid.uuid4()}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, 0, 0)])
        seen = []
        deadline = time.time() + 30
        while len(seen) < len(values) and time.time() < deadline:
            message = consumer.poll(1)
            if message is None:
                continue
            check(message.error() is None, f"consume error: {message.error()}")
            seen.append(message.value().decode())
        consumer.close()
    else:
        producer = kafka.KafkaProducer(**kafka_python_config(bootstrap, mechanism, user, password))
        for future in [producer.send(topic, value=value.encode()) for value in values]:
            future.get(timeout=30)
        producer.close()
        consumer = kafka.KafkaConsumer(**kafka_python_config(bootstrap, mechanism, user, password),
                                       auto_offset_reset="earliest", enable_auto_commit=False,
                                       consumer_timeout_ms=10000)
        consumer.assign([kafka.TopicPartition(topic, 0)])
        consumer.seek(kafka.TopicPartition(topic, 0), 0)
        seen = [record.value.decode() for record in consumer][: len(values)]
        consumer.close()
    check(set(values) <= set(seen), f"read back {seen}, expected {values}")


def scenario_wrong_password(bootstrap, client, mechanism, user, password):
    """Authentication with this password fails with an authentication error naming the failure."""
    if client == "confluent":
        errors = []
        producer = Producer({**confluent_config(bootstrap, mechanism, user, password),
                             "error_cb": lambda error: errors.append(error)})
        deadline = time.time() + 30
        while not any(e.code() == KafkaError._AUTHENTICATION for e in errors) and time.time() < deadline:
            producer.poll(0.2)
        authentication = [e for e in errors if e.code() == KafkaError._AUTHENTICATION]
        check(authentication, f"no authentication error, only {errors}")
        check("Authentication failed" in authentication[0].str(), f"unclear error: {authentication[0].str()}")
        print(authentication[0].str())
    else:
        # kafka-python reports a failed bootstrap as a timeout and logs why each connection was lost: the
        # broker's SaslAuthenticationFailedError (error 58) with its message.
        lost = []

        class Collect(logging.Handler):
            def emit(self, record):
                lost.append(record.getMessage())

        logging.getLogger("kafka").addHandler(Collect())
        logging.getLogger("kafka").setLevel(logging.WARNING)
        outcome = []

        def bootstrap_producer():
            # A connection lost before the answer was read is retried: what is checked is the answer.
            while time.time() < deadline:
                try:
                    kafka.KafkaProducer(**kafka_python_config(bootstrap, mechanism, user, password),
                                        max_block_ms=15000, reconnect_backoff_max_ms=1000)
                    outcome.append("authenticated")
                    return
                except kafka.errors.KafkaError:
                    pass

        # The producer keeps retrying until max_block_ms: stop waiting as soon as the refusal is logged.
        deadline = time.time() + 60
        threading.Thread(target=bootstrap_producer, daemon=True).start()
        refused = []
        while not refused and not outcome and time.time() < deadline:
            time.sleep(0.1)
            refused = [m for m in lost if "SaslAuthenticationFailedError" in m and "Authentication failed" in m]
        check("authenticated" not in outcome, "authenticated with a wrong password")
        check(refused, f"no SaslAuthenticationFailedError logged: {lost[-5:]}")
        print(refused[0])
        sys.stdout.flush()
        os._exit(0)


def scenario_produce_refused(bootstrap, client, mechanism, user, password, topic):
    """An authenticated user with no produce grant gets TOPIC_AUTHORIZATION_FAILED."""
    if client == "confluent":
        producer = Producer({**confluent_config(bootstrap, mechanism, user, password), "retries": 0})
        outcome = []
        producer.produce(topic, value=b"refused", on_delivery=lambda e, m: outcome.append(e))
        producer.flush(30)
        check(outcome and outcome[0] is not None, f"produce was not refused: {outcome}")
        check(outcome[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, f"refused with {outcome[0]}")
        print(outcome[0].str())
    else:
        producer = kafka.KafkaProducer(**kafka_python_config(bootstrap, mechanism, user, password), retries=0,
                                       enable_idempotence=False)
        try:
            producer.send(topic, value=b"refused").get(timeout=30)
        except kafka.errors.TopicAuthorizationFailedError as error:
            print(error)
            return
        finally:
            producer.close(timeout=5)
        fail("produce was not refused")


def frame(api_key, version, correlation, body=b""):
    client = b"raw"
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    return struct.pack(">i", len(header) + len(body)) + header + body


def read_frame(sock):
    data = b""
    while len(data) < 4:
        chunk = sock.recv(4 - len(data))
        if not chunk:
            return None
        data += chunk
    size = struct.unpack(">i", data)[0]
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def scenario_unauthenticated(bootstrap):
    """Before authentication ApiVersions is answered and Metadata closes the connection; a client without SASL
    settings gets no metadata."""
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(frame(18, 0, 1))
        answer = read_frame(sock)
        check(answer is not None and struct.unpack(">ih", answer[:6]) == (1, 0), f"ApiVersions answered {answer}")
        sock.sendall(frame(3, 1, 2, struct.pack(">i", -1)))  # Metadata v1, all topics
        check(read_frame(sock) is None, "Metadata was answered before authentication")
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, "error_cb": lambda error: errors.append(error)})
    try:
        producer.list_topics(timeout=5)
        fail("a client without SASL got metadata")
    except KafkaException:
        pass


def scenario_handshake_v0(bootstrap, user, password):
    """SaslHandshake v0 and then the PLAIN token as a raw frame, as clients before Kafka 1.0 do: the server answers
    with a raw empty frame and serves Metadata afterwards; a wrong password closes the connection with no frame."""
    host, port = bootstrap.rsplit(":", 1)
    mechanism = b"PLAIN"
    for secret, accepted in [(password, True), (password + "x", False)]:
        with socket.create_connection((host, int(port)), timeout=15) as sock:
            sock.sendall(frame(17, 0, 1, struct.pack(">h", len(mechanism)) + mechanism))
            answer = read_frame(sock)
            check(answer is not None and struct.unpack(">ih", answer[:6]) == (1, 0), f"SaslHandshake v0: {answer}")
            token = b"\0" + user.encode() + b"\0" + secret.encode()
            sock.sendall(struct.pack(">i", len(token)) + token)
            answer = read_frame(sock)
            if not accepted:
                check(answer is None, f"a wrong password was answered {answer}")
                continue
            check(answer == b"", f"the raw PLAIN answer is {answer}, not an empty frame")
            sock.sendall(frame(3, 1, 2, struct.pack(">i", -1)))
            answer = read_frame(sock)
            check(answer is not None and struct.unpack(">i", answer[:4])[0] == 2, "Metadata after v0 authentication")


SCENARIOS = {
    "handshake-v0": scenario_handshake_v0,
    "round-trip": scenario_round_trip,
    "wrong-password": scenario_wrong_password,
    "produce-refused": scenario_produce_refused,
    "unauthenticated": scenario_unauthenticated,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
