package redis_test

import (
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store/redis"
)

// ExampleNew is the usage of README.md. It is compiled, not run: it needs
// a Redis server at localhost:6379.
func ExampleNew() {
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: []string{"localhost:6379"}})
	defer client.Close()
	s, err := redis.New(client, redis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// Hand s to the authorization server: authserver.New(cfg, s).
	_ = s
}

// ExampleNew_cluster keeps the store in a Redis Cluster whose primaries
// each have a replica, and makes every write wait until one replica has
// it, so that a failover loses no acknowledged rotation, consumed code or
// revocation.
func ExampleNew_cluster() {
	client := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs: []string{"redis-1:6379", "redis-2:6379", "redis-3:6379"},
	})
	defer client.Close()
	s, err := redis.New(client, redis.Options{
		KeyPrefix:    "auth:",
		WaitReplicas: 1,
		WaitTimeout:  500 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = s
}

// ExampleNewCounter shares the server's throttling between every instance
// that uses the same Redis: failed authentications counted by one block
// the client at all of them, and the cap on pending authorization requests
// is one count for all.
func ExampleNewCounter() {
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: []string{"localhost:6379"}})
	defer client.Close()
	s, err := redis.New(client, redis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	counter, err := redis.NewCounter(client, redis.CounterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := authserver.Config{Issuer: "https://auth.example.com"}
	cfg.Limits.Counter = counter
	srv, err := authserver.New(cfg, s)
	if err != nil {
		log.Fatal(err)
	}
	// Serve srv; every instance built this way throttles together.
	_ = srv
}
