// A Kafka client on sarama (Debian's golang-github-shopify-sarama-dev, 1.22.1), for KafkaSaramaTests.swift.
//
//	sarama_client produce ADDR TOPIC VERSION CODEC COUNT [idempotent]
//	sarama_client consume ADDR TOPIC VERSION PARTITION COUNT
//	sarama_client group ADDR TOPIC GROUP VERSION COUNT
//	sarama_client admin ADDR TOPIC VERSION
//	sarama_client rebalance ADDR TOPIC GROUP VERSION PARTITIONS
//
// VERSION is "default" (sarama's own default, Kafka 0.8.2: Produce v0 with magic 0, Fetch v0) or a Kafka version
// such as 2.1.0. Each mode checks what it does, prints one JSON object on its last line and exits non-zero with a
// message on the first failure.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"log"

	"github.com/Shopify/sarama"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func config(version string) *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "sarama-test"
	if version != "default" {
		v, err := sarama.ParseKafkaVersion(version)
		if err != nil {
			fail("version %s: %v", version, err)
		}
		c.Version = v
	}
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	return c
}

func printJSON(v interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func produce(addr, topic, version, codec string, count int, idempotent bool) {
	c := config(version)
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Compression = codecs[codec]
	c.Producer.Partitioner = sarama.NewManualPartitioner
	if idempotent {
		c.Producer.Idempotent = true
		c.Net.MaxOpenRequests = 1
		c.Producer.Retry.Max = 5
	}
	producer, err := sarama.NewSyncProducer([]string{addr}, c)
	if err != nil {
		fail("producer: %v", err)
	}
	defer producer.Close()
	headers := c.Version.IsAtLeast(sarama.V0_11_0_0)
	var messages []*sarama.ProducerMessage
	for i := 0; i < count; i++ {
		m := &sarama.ProducerMessage{
			Topic: topic, Partition: 0, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)),
			Value: sarama.StringEncoder(fmt.Sprintf("%s-%s-%d", codec, version, i)),
		}
		if headers {
			m.Headers = []sarama.RecordHeader{{Key: []byte("src"), Value: []byte("sarama")}}
		}
		messages = append(messages, m)
	}
	if err := producer.SendMessages(messages); err != nil {
		fail("send: %v", err)
	}
	var offsets []int64
	for _, m := range messages {
		offsets = append(offsets, m.Offset)
	}
	printJSON(map[string]interface{}{"offsets": offsets, "headers": headers})
}

type seen struct {
	Offset  int64  `json:"offset"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	Headers int    `json:"headers"`
}

func consume(addr, topic, version string, partition int32, count int) {
	consumer, err := sarama.NewConsumer([]string{addr}, config(version))
	if err != nil {
		fail("consumer: %v", err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, partition, sarama.OffsetOldest)
	if err != nil {
		fail("consume partition: %v", err)
	}
	defer pc.Close()
	var got []seen
	timeout := time.After(60 * time.Second)
	for len(got) < count {
		select {
		case m := <-pc.Messages():
			got = append(got, seen{m.Offset, string(m.Key), string(m.Value), len(m.Headers)})
		case err := <-pc.Errors():
			fail("consume: %v", err)
		case <-timeout:
			fail("only %d of %d messages within 60 s", len(got), count)
		}
	}
	printJSON(map[string]interface{}{"messages": got})
}

// handler consumes until the group has read `count` messages in all, marking each (committed on close).
type handler struct {
	mu     sync.Mutex
	count  int
	got    []seen
	done   chan struct{}
	closed bool
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		h.got = append(h.got, seen{m.Offset, string(m.Key), string(m.Value), len(m.Headers)})
		if len(h.got) >= h.count && !h.closed {
			h.closed = true
			close(h.done)
		}
		h.mu.Unlock()
	}
	return nil
}

func group(addr, topic, groupID, version string, count int) {
	c := config(version)
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 1 * time.Second
	c.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	c.Consumer.Return.Errors = true
	g, err := sarama.NewConsumerGroup([]string{addr}, groupID, c)
	if err != nil {
		fail("group: %v", err)
	}
	h := &handler{count: count, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
				fail("group consume: %v", err)
			}
		}
	}()
	go func() {
		for err := range g.Errors() {
			fmt.Fprintf(os.Stderr, "group error: %v\n", err)
		}
	}()
	select {
	case <-h.done:
	case <-time.After(90 * time.Second):
		fail("the group read %d of %d messages within 90 s", len(h.got), count)
	}
	// Let the marked offsets be committed, then leave.
	time.Sleep(1 * time.Second)
	cancel()
	if err := g.Close(); err != nil {
		fail("close: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	printJSON(map[string]interface{}{"messages": h.got})
}

// member records each generation's claims (partitions of the topic) as its session starts.
type member struct {
	mu      sync.Mutex
	claims  []int32
	changed chan struct{}
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.claims = append([]int32(nil), s.Claims()[topicOf(s)]...)
	m.mu.Unlock()
	select {
	case m.changed <- struct{}{}:
	default:
	}
	return nil
}
func (m *member) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for range c.Messages() {
	}
	return nil
}

func topicOf(s sarama.ConsumerGroupSession) string {
	for topic := range s.Claims() {
		return topic
	}
	return ""
}

func (m *member) current() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int32(nil), m.claims...)
}

func join(addr, topic, groupID, version string) (sarama.ConsumerGroup, *member, context.CancelFunc) {
	c := config(version)
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	g, err := sarama.NewConsumerGroup([]string{addr}, groupID, c)
	if err != nil {
		fail("group: %v", err)
	}
	m := &member{changed: make(chan struct{}, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, m); err != nil && ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	return g, m, cancel
}

// waitFor waits until `ok` holds of the members' claims, checking at each new session.
func waitFor(what string, ok func() bool, members ...*member) {
	deadline := time.After(90 * time.Second)
	for !ok() {
		select {
		case <-members[0].changed:
		case <-members[len(members)-1].changed:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			var claims [][]int32
			for _, m := range members {
				claims = append(claims, m.current())
			}
			fail("%s: not within 90 s (claims %v)", what, claims)
		}
	}
}

// rebalance: member A takes every partition; B joins and the two split them, disjoint and complete; B leaves and A
// takes them all again.
func rebalance(addr, topic, groupID, version string, partitions int) {
	gA, a, cancelA := join(addr, topic, groupID, version)
	waitFor("A alone holds every partition", func() bool { return len(a.current()) == partitions }, a)
	gB, b, cancelB := join(addr, topic, groupID, version)
	split := func() bool {
		ca, cb := a.current(), b.current()
		seen := map[int32]bool{}
		for _, p := range append(ca, cb...) {
			if seen[p] {
				return false
			}
			seen[p] = true
		}
		return len(ca) > 0 && len(cb) > 0 && len(seen) == partitions
	}
	waitFor("A and B split the partitions", split, a, b)
	both := [][]int32{a.current(), b.current()}
	cancelB()
	if err := gB.Close(); err != nil {
		fail("close B: %v", err)
	}
	waitFor("A holds every partition again", func() bool { return len(a.current()) == partitions }, a)
	cancelA()
	if err := gA.Close(); err != nil {
		fail("close A: %v", err)
	}
	printJSON(map[string]interface{}{"split": both, "after": a.current()})
}

func admin(addr, topic, version string) {
	a, err := sarama.NewClusterAdmin([]string{addr}, config(version))
	if err != nil {
		fail("admin: %v", err)
	}
	defer a.Close()
	if err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false); err != nil {
		fail("create: %v", err)
	}
	err = a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false)
	if topicErr, ok := err.(*sarama.TopicError); !ok || topicErr.Err != sarama.ErrTopicAlreadyExists {
		fail("create again: %v, want TOPIC_ALREADY_EXISTS", err)
	}
	described, err := a.DescribeTopics([]string{topic})
	if err != nil || len(described) != 1 || len(described[0].Partitions) != 3 {
		fail("describe: %v %+v", err, described)
	}
	if err := a.DeleteTopic(topic); err != nil {
		fail("delete: %v", err)
	}
	printJSON(map[string]interface{}{"partitions": len(described[0].Partitions)})
}

func main() {
	if os.Getenv("SARAMA_DEBUG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags)
	}
	if len(os.Args) < 5 {
		fail("usage: sarama_client produce|consume|group|admin ADDR TOPIC ...")
	}
	mode, addr, topic := os.Args[1], os.Args[2], os.Args[3]
	number := func(i int) int {
		n, err := strconv.Atoi(os.Args[i])
		if err != nil {
			fail("argument %d: %v", i, err)
		}
		return n
	}
	switch mode {
	case "produce":
		produce(addr, topic, os.Args[4], os.Args[5], number(6), len(os.Args) > 7 && os.Args[7] == "idempotent")
	case "consume":
		consume(addr, topic, os.Args[4], int32(number(5)), number(6))
	case "group":
		group(addr, topic, os.Args[4], os.Args[5], number(6))
	case "admin":
		admin(addr, topic, os.Args[4])
	case "rebalance":
		rebalance(addr, topic, os.Args[4], os.Args[5], number(6))
	default:
		fail("unknown mode %s", mode)
	}
}
