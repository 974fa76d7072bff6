// A Kafka client written with segmentio/kafka-go (Debian's golang-github-segmentio-kafka-go-dev, 0.2.1), driven by
// KafkaGoClientTests: each mode checks what it is about, prints one JSON object (or, for "member", one line per
// record) on stdout, and exits non-zero with a message on stderr on the first failure.
//
// kafka-go 0.2.1 speaks fixed, old versions: Metadata v1, CreateTopics v0, DeleteTopics v1, Produce v2 with
// magic-1 message sets (no headers), Fetch v2, ListOffsets v1, FindCoordinator v0, JoinGroup v1, SyncGroup v0,
// Heartbeat v0, OffsetFetch v1, OffsetCommit v2, LeaveGroup v0.
//
//	kafka_go_client admin   ADDR TOPIC
//	kafka_go_client produce ADDR TOPIC COUNT CODEC PREFIX   (CODEC: none, gzip, snappy, lz4)
//	kafka_go_client consume ADDR TOPIC PARTITION COUNT
//	kafka_go_client member  ADDR TOPIC GROUP NAME SECONDS
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func printJSON(value interface{}) {
	bytes, err := json.Marshal(value)
	if err != nil {
		fail("json: %v", err)
	}
	fmt.Println(string(bytes))
}

// admin creates a topic of three partitions, reads its partitions, creates it again (which changes nothing),
// deletes it and checks it is gone.
func admin(addr, topic string) {
	conn, err := kafka.Dial("tcp", addr)
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}); err != nil {
		fail("create topics: %v", err)
	}
	partitions, err := conn.ReadPartitions(topic)
	if err != nil {
		fail("read partitions: %v", err)
	}
	if len(partitions) != 3 {
		fail("read partitions: %d, expected 3", len(partitions))
	}
	// kafka-go's CreateTopics is idempotent: it takes the broker's TOPIC_ALREADY_EXISTS for success.
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 5, ReplicationFactor: 1}); err != nil {
		fail("creating the topic again: %v", err)
	}
	if again, err := conn.ReadPartitions(topic); err != nil || len(again) != 3 {
		fail("after creating it again the topic has %d partitions (%v), expected 3", len(again), err)
	}
	if err := conn.DeleteTopics(topic); err != nil {
		fail("delete topics: %v", err)
	}
	after, err := conn.ReadPartitions(topic)
	if err == nil && len(after) > 0 {
		fail("the deleted topic still has %d partitions", len(after))
	}
	printJSON(map[string]interface{}{"partitions": len(partitions), "deleted": true})
}

func codec(name string) kafka.CompressionCodec {
	switch name {
	case "none":
		return nil
	case "gzip":
		return gzip.NewCompressionCodec()
	case "snappy":
		return snappy.NewCompressionCodec()
	case "lz4":
		return lz4.NewCompressionCodec()
	}
	fail("unknown codec %s", name)
	return nil
}

// produce writes COUNT keyed records (keys PREFIX0..PREFIXn, values "CODEC-0"...), hashed to partitions by key.
func produce(addr, topic string, count int, codecName, prefix string) {
	writer := kafka.NewWriter(kafka.WriterConfig{
		Brokers: []string{addr}, Topic: topic, Balancer: &kafka.Hash{}, BatchSize: count,
		BatchTimeout: 50 * time.Millisecond, CompressionCodec: codec(codecName), RequiredAcks: -1,
	})
	messages := make([]kafka.Message, count)
	for i := range messages {
		messages[i] = kafka.Message{Key: []byte(prefix + strconv.Itoa(i)), Value: []byte(codecName + "-" + strconv.Itoa(i))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := writer.WriteMessages(ctx, messages...); err != nil {
		fail("write messages: %v", err)
	}
	if err := writer.Close(); err != nil {
		fail("close writer: %v", err)
	}
	stats := writer.Stats()
	printJSON(map[string]interface{}{"written": count, "errors": stats.Errors})
}

type record struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

// consume reads COUNT records of one partition from its first offset.
func consume(addr, topic string, partition, count int) {
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{addr}, Topic: topic, Partition: partition, MinBytes: 1, MaxBytes: 10 << 20,
		MaxWait: 200 * time.Millisecond,
	})
	defer reader.Close()
	if err := reader.SetOffset(kafka.FirstOffset); err != nil {
		fail("set offset: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	records := []record{}
	for len(records) < count {
		message, err := reader.ReadMessage(ctx)
		if err != nil {
			fail("read message %d: %v", len(records), err)
		}
		records = append(records, record{message.Partition, message.Offset, string(message.Key), string(message.Value)})
	}
	printJSON(map[string]interface{}{"records": records})
}

// member joins GROUP and prints "NAME PARTITION OFFSET KEY" for each record it fetches, committing each before
// the next; after SECONDS it leaves the group (LeaveGroup) and exits.
func member(addr, topic, group, name string, seconds int) {
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{addr}, Topic: topic, GroupID: group, MinBytes: 1, MaxBytes: 10 << 20,
		MaxWait: 200 * time.Millisecond, SessionTimeout: 6 * time.Second, HeartbeatInterval: time.Second,
		RebalanceTimeout: 10 * time.Second,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()
	out := bufio.NewWriter(os.Stdout)
	for {
		message, err := reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fail("fetch message: %v", err)
		}
		// A commit that meets a rebalance fails (the record goes to the partition's next owner); the member goes on.
		if err := reader.CommitMessages(context.Background(), message); err != nil {
			fmt.Fprintf(os.Stderr, "%s: commit of %d@%d: %v\n", name, message.Partition, message.Offset, err)
		}
		fmt.Fprintf(out, "%s %d %d %s\n", name, message.Partition, message.Offset, message.Key)
		out.Flush()
	}
	if err := reader.Close(); err != nil {
		fail("close reader: %v", err)
	}
}

func main() {
	args := os.Args[1:]
	number := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			fail("not a number: %s", s)
		}
		return n
	}
	switch {
	case len(args) == 3 && args[0] == "admin":
		admin(args[1], args[2])
	case len(args) == 6 && args[0] == "produce":
		produce(args[1], args[2], number(args[3]), args[4], args[5])
	case len(args) == 5 && args[0] == "consume":
		consume(args[1], args[2], number(args[3]), number(args[4]))
	case len(args) == 6 && args[0] == "member":
		member(args[1], args[2], args[3], args[4], number(args[5]))
	default:
		fail("usage: kafka_go_client admin|produce|consume|member ...")
	}
}
