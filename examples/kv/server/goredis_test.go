package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// client returns a go-redis client of srv, closed when the test ends.
// Its defaults stay as they are, so the connection handshake is the one
// every user of the library gets: HELLO 3 and CLIENT SETINFO, which this
// server refuses as unknown, so that the client falls back to RESP2.
func client(t *testing.T, srv *Server, poolSize int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:        srv.Addr().String(),
		PoolSize:    poolSize,
		ReadTimeout: 10 * time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGoRedisCommands(t *testing.T) {
	srv := start(t, Config{Loops: 1})
	c := client(t, srv, 1)
	ctx := context.Background()

	check := func(what string, got, want any, err error) {
		t.Helper()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
		}
	}
	pong, err := c.Ping(ctx).Result()
	check("PING", pong, "PONG", err)
	echo, err := c.Echo(ctx, "héllo\r\nworld").Result()
	check("ECHO", echo, "héllo\r\nworld", err)
	ok, err := c.Set(ctx, "greeting", "hello", 0).Result()
	check("SET", ok, "OK", err)
	val, err := c.Get(ctx, "greeting").Result()
	check("GET", val, "hello", err)
	if _, err := c.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET missing: %v, want redis.Nil", err)
	}
	binary := string([]byte{0, 1, 2, '\r', '\n', 255})
	check("SET binary", c.Set(ctx, "bin", binary, 0).Val(), "OK", nil)
	got, err := c.Get(ctx, "bin").Result()
	check("GET binary", []byte(got), []byte(binary), err)
	check("SET empty", c.Set(ctx, "empty", "", 0).Val(), "OK", nil)
	got, err = c.Get(ctx, "empty").Result()
	check("GET empty", got, "", err)

	for i := 1; i <= 3; i++ {
		n, err := c.Incr(ctx, "counter").Result()
		check("INCR", n, i, err)
	}
	if err := c.Incr(ctx, "greeting").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("INCR of a string: %v", err)
	}
	c.Set(ctx, "max", strconv.FormatInt(1<<63-1, 10), 0)
	if err := c.Incr(ctx, "max").Err(); err == nil || err.Error() != "ERR increment or decrement would overflow" {
		t.Fatalf("INCR past int64: %v", err)
	}

	vals, err := c.MGet(ctx, "greeting", "missing", "counter").Result()
	check("MGET", vals, []any{"hello", nil, "3"}, err)
	n, err := c.Del(ctx, "greeting", "missing", "counter").Result()
	check("DEL", n, 2, err)
	vals, err = c.MGet(ctx, "greeting", "counter").Result()
	check("MGET after DEL", vals, []any{nil, nil}, err)

	if err := c.Do(ctx, "FLUSHALL").Err(); err == nil || err.Error() != "ERR unknown command 'FLUSHALL', with args beginning with: " {
		t.Fatalf("unknown command: %v", err)
	}
	if err := c.Do(ctx, "get").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("GET without a key: %v", err)
	}
	if err := c.Set(ctx, "k", "v", time.Minute).Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Fatalf("SET with expiry: %v", err)
	}
	// The connection is still good after every error above.
	pong, err = c.Ping(ctx).Result()
	check("PING after errors", pong, "PONG", err)
}

// A pipeline goes out in one write; the replies must come back complete
// and in order, an error in its place without disturbing the rest.
func TestGoRedisPipeline(t *testing.T) {
	srv := start(t, Config{Loops: 1})
	c := client(t, srv, 1)
	ctx := context.Background()

	const n = 500
	pipe := c.Pipeline()
	sets := make([]*redis.StatusCmd, n)
	incrs := make([]*redis.IntCmd, n)
	for i := range n {
		sets[i] = pipe.Set(ctx, "key:"+strconv.Itoa(i), strconv.Itoa(i), 0)
		incrs[i] = pipe.Incr(ctx, "count")
	}
	gets := make([]*redis.StringCmd, n)
	for i := range n {
		gets[i] = pipe.Get(ctx, "key:"+strconv.Itoa(i))
	}
	mget := pipe.MGet(ctx, "key:1", "nope", "key:499")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if sets[i].Val() != "OK" || incrs[i].Val() != int64(i+1) || gets[i].Val() != strconv.Itoa(i) {
			t.Fatalf("reply %d: SET %q, INCR %d, GET %q", i, sets[i].Val(), incrs[i].Val(), gets[i].Val())
		}
	}
	if got := fmt.Sprint(mget.Val()); got != "[1 <nil> 499]" {
		t.Fatalf("MGET in the pipeline: %s", got)
	}

	pipe = c.Pipeline()
	pipe.Set(ctx, "word", "abc", 0)
	failing := pipe.Incr(ctx, "word")
	after := pipe.Get(ctx, "word")
	if _, err := pipe.Exec(ctx); err == nil {
		t.Fatal("a failing INCR did not fail the pipeline")
	}
	if failing.Err() == nil || after.Val() != "abc" {
		t.Fatalf("INCR of a word: %v; GET after it: %q", failing.Err(), after.Val())
	}
}

// Concurrent clients on two loops share the store: increments from all
// of them add up, and each sees its own keys.
func TestGoRedisConcurrentClients(t *testing.T) {
	srv := start(t, Config{Loops: 2})
	c := client(t, srv, 8)
	ctx := context.Background()

	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "worker:" + strconv.Itoa(w)
			for i := range rounds {
				if err := c.Incr(ctx, "shared").Err(); err != nil {
					t.Error(err)
					return
				}
				if err := c.Set(ctx, key, i, 0).Err(); err != nil {
					t.Error(err)
					return
				}
				if got, err := c.Get(ctx, key).Int(); err != nil || got != i {
					t.Errorf("%s: GET %d, %v; want %d", key, got, err, i)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, err := c.Get(ctx, "shared").Int(); err != nil || got != workers*rounds {
		t.Fatalf("shared counter %d, %v; want %d", got, err, workers*rounds)
	}
	if st := srv.Stats(); st.Keys != workers+1 || st.Commands < 3*workers*rounds {
		t.Fatalf("stats %+v: want %d keys and at least %d commands", st, workers+1, 3*workers*rounds)
	}
}
