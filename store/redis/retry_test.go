package redis

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// The tests of this file lose the reply of a write script for real: a
// proxy between go-redis and redis-server forwards the script, reads
// Redis's reply (so the script has run), throws the reply away and closes
// the connection. go-redis sees EOF and sends the same command again on a
// new connection (Options.MaxRetries), so the script runs a second time
// with the same arguments, and the Store method makes a single call.

// lossyProxy forwards RESP connections between go-redis and redis-server,
// one request and its reply at a time, and loses the reply of an armed
// script once.
type lossyProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	armed  string // SHA1 of the script whose next reply to lose; "" for none
	runs   int    // runs of the armed script since arming (error replies excluded)
	lost   int    // replies lost since arming
	conns  map[net.Conn]struct{}
	closed bool
}

// startProxy starts a lossyProxy to the Redis at target, closed when t ends.
func startProxy(t *testing.T, target string) *lossyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &lossyProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *lossyProxy) addr() string { return p.ln.Addr().String() }

// loseNext arms the proxy: the reply of the next run of the script with
// this SHA1 (EVALSHA of it, or EVAL of its body) is lost.
func (p *lossyProxy) loseNext(sha string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed, p.runs, p.lost = sha, 0, 0
}

// counts returns how often the armed script ran and how many of its
// replies were lost since loseNext.
func (p *lossyProxy) counts() (runs, lost int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs, p.lost
}

func (p *lossyProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
}

// track records c so that close closes it; it reports false once the
// proxy is closed.
func (p *lossyProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *lossyProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client) || !p.track(server) {
			client.Close()
			server.Close()
			return
		}
		// scripts carries, for each request in order, the SHA1 of its
		// script ("" for any other command) to the reply side.
		scripts := make(chan string, 64)
		go p.requests(client, server, scripts)
		go p.replies(client, server, scripts)
	}
}

// requests forwards each request from client to server, after telling the
// reply side which script it runs.
func (p *lossyProxy) requests(client, server net.Conn, scripts chan<- string) {
	defer close(scripts)
	r := bufio.NewReader(client)
	for {
		var raw bytes.Buffer
		args, err := readRequest(r, &raw)
		if err != nil {
			server.Close()
			return
		}
		scripts <- scriptOf(args)
		if _, err := server.Write(raw.Bytes()); err != nil {
			return
		}
	}
}

// replies forwards each reply from server to client, except the one that
// answers the armed script's next run: then it closes both connections.
func (p *lossyProxy) replies(client, server net.Conn, scripts <-chan string) {
	r := bufio.NewReader(server)
	for {
		var raw bytes.Buffer
		if err := readReply(r, &raw); err != nil {
			client.Close()
			return
		}
		sha, ok := <-scripts
		if !ok {
			return
		}
		if p.lose(sha, raw.Bytes()[0] == '-') {
			client.Close()
			server.Close()
			return
		}
		if _, err := client.Write(raw.Bytes()); err != nil {
			return
		}
	}
}

// lose counts a run of the armed script and reports whether its reply is
// to be lost. An error reply (NOSCRIPT) is no run.
func (p *lossyProxy) lose(sha string, isErr bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sha == "" || sha != p.armed || isErr {
		return false
	}
	p.runs++
	if p.lost > 0 {
		return false
	}
	p.lost++
	return true
}

// scriptOf returns the SHA1 of the script a request runs, or "".
func scriptOf(args []string) string {
	if len(args) < 2 {
		return ""
	}
	switch strings.ToLower(args[0]) {
	case "evalsha":
		return strings.ToLower(args[1])
	case "eval":
		sum := sha1.Sum([]byte(args[1]))
		return hex.EncodeToString(sum[:])
	}
	return ""
}

// readRequest reads one request (an array of bulk strings, the only form
// go-redis sends) into raw and returns its arguments.
func readRequest(r *bufio.Reader, raw *bytes.Buffer) ([]string, error) {
	line, err := readLine(r, raw)
	if err != nil {
		return nil, err
	}
	if line[0] != '*' {
		return nil, fmt.Errorf("request starts with %q", line[0])
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return nil, err
	}
	args := make([]string, 0, n)
	for range n {
		line, err := readLine(r, raw)
		if err != nil {
			return nil, err
		}
		if line[0] != '$' {
			return nil, fmt.Errorf("argument starts with %q", line[0])
		}
		arg, err := readBulk(r, raw, line)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}

// readReply reads one RESP2 or RESP3 reply into raw.
func readReply(r *bufio.Reader, raw *bytes.Buffer) error {
	line, err := readLine(r, raw)
	if err != nil {
		return err
	}
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '!', '=':
		_, err := readBulk(r, raw, line)
		return err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return err // a nil array (-1) has no elements
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		if line[0] == '|' {
			n++ // an attribute precedes the reply it annotates
		}
		for range n {
			if err := readReply(r, raw); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("reply starts with %q", line[0])
}

// readLine reads one CRLF-terminated line into raw and returns it without
// the CRLF; an empty line is an error.
func readLine(r *bufio.Reader, raw *bytes.Buffer) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	raw.WriteString(line)
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty line")
	}
	return line, nil
}

// readBulk reads the body of a bulk string whose header is line.
func readBulk(r *bufio.Reader, raw *bytes.Buffer, line string) (string, error) {
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return "", err // a nil bulk string (-1) has no body
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return "", err
	}
	raw.Write(body)
	return string(body[:n]), nil
}

// newLossyStore returns a Store on the shared single node through a
// lossyProxy, with the test clock c.
func newLossyStore(t *testing.T, c *clock, opts Options) (*Store, *lossyProxy) {
	t.Helper()
	p := startProxy(t, singleClient(t).Options().Addr)
	client := goredis.NewClient(&goredis.Options{Addr: p.addr()})
	t.Cleanup(func() { client.Close() })
	s := newStoreOn(t, client, opts)
	s.now = c.now
	return s, p
}

// assertRetried checks that the armed script ran twice and its first
// reply was lost: the call under test was retried, not answered at once.
func assertRetried(t *testing.T, p *lossyProxy) {
	t.Helper()
	runs, lost := p.counts()
	assert.Equal(t, 1, lost, "replies lost")
	assert.Equal(t, 2, runs, "runs of the script")
}

// TestRetriedRotationIsNotReuse loses the reply of each rotation of one
// grant, the first refresh token's installation included: each call
// succeeds with the grant as it was before it, as an unretried call
// would, and leaves the grant rotated once. A second call with the same
// arguments, which a client's own retry with the grace period's
// deterministic successor makes, is still a reuse.
func TestRetriedRotationIsNotReuse(t *testing.T) {
	c := newClock(epoch)
	s, p := newLossyStore(t, c, Options{})
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	for i, step := range []struct{ old, next string }{{"", "r1"}, {"r1", "r2"}, {"r2", "r3"}} {
		c.advance(time.Second)
		want, err := s.Grant(ctx, "g")
		require.NoError(t, err)
		next := refresh(step.next, c)
		p.loseNext(s.scripts.rotate.Hash())
		got, err := s.RotateRefreshToken(ctx, "g", step.old, next)
		require.NoError(t, err, "rotation %d", i)
		assertRetried(t, p)
		assertSame(t, want, got, "the grant as it was before rotation %d", i)

		now, err := s.Grant(ctx, "g")
		require.NoError(t, err)
		assert.Equal(t, step.next, now.RefreshHash)
		assert.True(t, now.RefreshIssuedAt.Equal(next.IssuedAt))
		assert.True(t, now.RefreshExpiresAt.Equal(next.ExpiresAt))
		if step.old == "" {
			assert.Equal(t, want.RefreshCount, now.RefreshCount, "installing the first token is no rotation")
			assert.Equal(t, want.PreviousRefreshHash, now.PreviousRefreshHash)
		} else {
			assert.Equal(t, want.RefreshCount+1, now.RefreshCount, "rotated once")
			assert.Equal(t, step.old, now.PreviousRefreshHash)
			assert.True(t, now.RotatedAt.Equal(next.IssuedAt))
		}

		again, err := s.RotateRefreshToken(ctx, "g", step.old, next)
		require.ErrorIs(t, err, store.ErrReused, "a second call of rotation %d", i)
		assertSame(t, now, again)
	}
}

// TestRetriedConsumeCodeSucceeds loses the reply of a code's consumption:
// the call gets the code, and the code is consumed once.
func TestRetriedConsumeCodeSucceeds(t *testing.T) {
	s, p := newLossyStore(t, newClock(epoch), Options{})
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	code := testCode("code", "g")
	require.NoError(t, s.SaveCode(ctx, code))

	p.loseNext(s.scripts.code.Hash())
	got, err := s.ConsumeCode(ctx, "g", "code")
	require.NoError(t, err)
	assertRetried(t, p)
	assertSame(t, code, got)

	got, err = s.Code(ctx, "g", "code")
	assert.ErrorIs(t, err, store.ErrReused, "the code is consumed")
	assertSame(t, code, got)
	got, err = s.ConsumeCode(ctx, "g", "code")
	assert.ErrorIs(t, err, store.ErrReused, "a second caller")
	assertSame(t, code, got)
}

// TestRetriedUseOnceSucceeds loses the reply of UseOnce: the call gets
// nil, a second caller ErrReused until the key's expiry, and the key is
// free from then on.
func TestRetriedUseOnceSucceeds(t *testing.T) {
	c := newClock(epoch)
	s, p := newLossyStore(t, c, Options{})
	ctx := t.Context()
	exp := epoch.Add(time.Minute)

	p.loseNext(s.scripts.put.Hash())
	require.NoError(t, s.UseOnce(ctx, "dpop:jti", exp))
	assertRetried(t, p)

	assert.ErrorIs(t, s.UseOnce(ctx, "dpop:jti", exp), store.ErrReused, "a second caller")
	assert.Equal(t, unixMillis(exp), strconv.FormatInt(expiresAtMillis(t, s, s.onceKey("dpop:jti")), 10), "the key expires with its record")
	c.set(exp)
	assert.NoError(t, s.UseOnce(ctx, "dpop:jti", exp.Add(time.Minute)), "free from its expiry on")
}

// TestRetriedTakeSucceeds loses the reply of ConsumeAuthRequest: the call
// gets the request, which nobody can read or take afterwards. The taken
// request's key keeps its expiry, and saving the ID again replaces it.
func TestRetriedTakeSucceeds(t *testing.T) {
	s, p := newLossyStore(t, newClock(epoch), Options{})
	ctx := t.Context()
	req := store.AuthRequest{
		ID: "req", ClientID: "client", RedirectURI: "https://app.example/cb", Scopes: []string{"openid"},
		State: "xyz", CreatedAt: epoch, ExpiresAt: epoch.Add(10 * time.Minute),
	}
	require.NoError(t, s.SaveAuthRequest(ctx, req))
	key := s.requestKey("req")
	ttl := expiresAtMillis(t, s, key)

	p.loseNext(s.scripts.get.Hash())
	got, err := s.ConsumeAuthRequest(ctx, "req")
	require.NoError(t, err)
	assertRetried(t, p)
	assertSame(t, req, got)

	_, err = s.AuthRequest(ctx, "req")
	assert.ErrorIs(t, err, store.ErrNotFound, "a taken request is gone for readers")
	_, err = s.ConsumeAuthRequest(ctx, "req")
	assert.ErrorIs(t, err, store.ErrNotFound, "a second caller")
	assert.Equal(t, ttl, expiresAtMillis(t, s, key), "the mark lives only as long as the request would")

	req.State = "again"
	require.NoError(t, s.SaveAuthRequest(ctx, req))
	got, err = s.ConsumeAuthRequest(ctx, "req")
	require.NoError(t, err, "a request saved again under the ID")
	assertSame(t, req, got)
}

// TestRetriedSavesSucceed loses the reply of each save that refuses a
// taken key: the call succeeds, and a second save of the same record,
// another caller's, is still refused. With Sharded an access token is
// saved by a second script after its grant's check.
func TestRetriedSavesSucceed(t *testing.T) {
	for _, sharded := range []bool{false, true} {
		t.Run(fmt.Sprintf("Sharded=%v", sharded), func(t *testing.T) {
			s, p := newLossyStore(t, newClock(epoch), Options{Sharded: sharded})
			ctx := t.Context()
			g := testGrant("g", "r1")
			code := testCode("code", "g")
			at := testAccess("at", "g")
			for _, tc := range []struct {
				name   string
				script *goredis.Script
				save   func() error
			}{
				{"grant", s.scripts.saveGrant, func() error { return s.SaveGrant(ctx, g) }},
				{"code", s.scripts.saveCode, func() error { return s.SaveCode(ctx, code) }},
				{"access token", s.scripts.accessPut, func() error { return s.SaveAccessToken(ctx, at) }},
			} {
				p.loseNext(tc.script.Hash())
				require.NoError(t, tc.save(), tc.name)
				assertRetried(t, p)
				assert.ErrorIs(t, tc.save(), store.ErrAlreadyExists, "a second save of the %s", tc.name)
			}
			gotGrant, err := s.Grant(ctx, "g")
			require.NoError(t, err)
			assertSame(t, g, gotGrant)
			gotCode, err := s.ConsumeCode(ctx, "g", "code")
			require.NoError(t, err, "the saved code is unconsumed")
			assertSame(t, code, gotCode)
			gotAccess, err := s.AccessToken(ctx, "at")
			require.NoError(t, err, "the token is bound to the grant's generation")
			assertSame(t, at, gotAccess)
		})
	}
}

// gate forwards TCP connections unchanged, and can hold back what the
// target sends, so that a replica behind it stays connected but receives,
// and so acknowledges, nothing new.
type gate struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	held   bool
	closed bool
	conns  []net.Conn
}

// startGate starts a gate to target, closed when t ends.
func startGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := &gate{ln: ln, target: target}
	g.cond = sync.NewCond(&g.mu)
	go g.accept()
	t.Cleanup(g.close)
	return g
}

func (g *gate) port() string { return strconv.Itoa(g.ln.Addr().(*net.TCPAddr).Port) }

// hold stops forwarding from the target until release.
func (g *gate) hold() { g.set(true) }

func (g *gate) release() { g.set(false) }

func (g *gate) set(held bool) {
	g.mu.Lock()
	g.held = held
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed, g.held = true, false
	for _, c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	g.cond.Broadcast()
	g.ln.Close()
}

func (g *gate) accept() {
	for {
		in, err := g.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", g.target)
		if err != nil {
			in.Close()
			continue
		}
		g.mu.Lock()
		closed := g.closed
		g.conns = append(g.conns, in, out)
		g.mu.Unlock()
		if closed {
			in.Close()
			out.Close()
			return
		}
		go func() { _, _ = io.Copy(out, in); out.Close() }()
		go g.forward(in, out)
	}
}

// forward copies from the target's side to the caller's, waiting while
// the gate is held.
func (g *gate) forward(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		g.mu.Lock()
		for g.held {
			g.cond.Wait()
		}
		g.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestRetriedWriteWaitsForReplica loses the reply of a rotation that waits
// for a replica (Options.WaitReplicas). The retry comes on a new
// connection, and WAIT waits for the offset its own connection last wrote
// at, so the second run, which finds its rotation done, writes its token
// again: its WAIT then covers the first run's write. With the replica
// connected but held back, the retried call reports ErrNotReplicated
// instead of a success that no replica has. (Redis 6.2 to 7.0 set the
// offset after every command, so there the rewrite changes nothing; from
// 7.2 on, without it, the retry's WAIT would succeed at once.)
func TestRetriedWriteWaitsForReplica(t *testing.T) {
	needRedis(t)
	dir := t.TempDir()
	primary, err := startFree(dir, false)
	require.NoError(t, err)
	t.Cleanup(primary.kill)
	link := startGate(t, primary.addr())
	replica, err := startFree(dir, false, "--replicaof", "127.0.0.1", link.port())
	require.NoError(t, err)
	t.Cleanup(replica.kill)
	replicaClient := goredis.NewClient(&goredis.Options{Addr: replica.addr()})
	t.Cleanup(func() { replicaClient.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := replicaClient.Info(t.Context(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			break
		}
		require.True(t, time.Now().Before(deadline), "replica not in sync within 30s: %v\n%s", err, info)
		time.Sleep(10 * time.Millisecond)
	}

	p := startProxy(t, primary.addr())
	client := goredis.NewClient(&goredis.Options{Addr: p.addr()})
	t.Cleanup(func() { client.Close() })
	patient := newStoreOn(t, client, Options{WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	patient.now = newClock(epoch).now
	hasty := newStoreOn(t, client, Options{KeyPrefix: patient.prefix, WaitReplicas: 1, WaitTimeout: 20 * time.Millisecond})
	hasty.now = patient.now
	ctx := t.Context()
	require.NoError(t, patient.SaveGrant(ctx, testGrant("g", "r1")), "the replica acknowledges")

	link.hold()
	p.loseNext(hasty.scripts.rotate.Hash())
	_, err = hasty.RotateRefreshToken(ctx, "g", "r1", store.RefreshState{Hash: "r2", IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
	assert.ErrorIs(t, err, ErrNotReplicated, "the retried call waits for the first run's write")
	assertRetried(t, p)
	link.release()

	require.NoError(t, patient.UseOnce(ctx, "k", epoch.Add(time.Minute)), "the replica has caught up")
	refreshHash, err := replicaClient.HGet(ctx, patient.grantKey("g"), "r").Result()
	require.NoError(t, err)
	assert.Equal(t, "r2", refreshHash, "the rotation reached the replica")
}
