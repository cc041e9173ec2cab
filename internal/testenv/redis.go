package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	redisOnce   sync.Once
	redisShared string
	redisErr    error
)

// RedisEnv is one test's slice of a Redis server: a client and a key
// prefix no other test uses.
type RedisEnv struct {
	// Addr is host:port of the server.
	Addr string
	// Client is connected to Addr and closed when the test ends.
	Client *redis.Client
	// Prefix begins every key this test may use; keys under it are
	// deleted when the test ends.
	Prefix string
}

// Redis returns a client on the shared test Redis server and a fresh key
// prefix.
func Redis(t testing.TB) *RedisEnv {
	t.Helper()
	redisOnce.Do(func() {
		if addr := os.Getenv("TEST_REDIS_ADDR"); addr != "" {
			redisShared = addr
			return
		}
		var s *RedisServer
		s, redisErr = startRedis()
		if redisErr == nil {
			redisShared = s.Addr
			onStop(s.stop)
		}
	})
	if redisErr != nil {
		t.Fatalf("testenv: redis: %v", redisErr)
	}
	client := redis.NewClient(&redis.Options{Addr: redisShared})
	prefix := "t" + randomHex(6) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		client.Close()
	})
	return &RedisEnv{Addr: redisShared, Client: client, Prefix: prefix}
}

// RedisServer is a redis-server process owned by one test, for tests that
// stop and restart Redis.
type RedisServer struct {
	// Addr is 127.0.0.1:port; it stays the same across restarts.
	Addr string
	port int
	dir  string
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// StartRedis starts a private redis-server (no persistence) for this
// test, stopped when the test ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	s, err := startRedis()
	if err != nil {
		t.Fatalf("testenv: start redis: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// Stop kills the server; everything it held is lost, as after a crash.
func (s *RedisServer) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart starts the server again on the same port, empty.
func (s *RedisServer) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("testenv: restart redis: %v", err)
	}
}

func startRedis() (*RedisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "evalroom-redis-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	s := &RedisServer{Addr: "127.0.0.1:" + strconv.Itoa(port), port: port, dir: dir}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *RedisServer) start() error {
	bin, err := findBinary("redis-server")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	client := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer client.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer: %w", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *RedisServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
