package redis_test

import (
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

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
