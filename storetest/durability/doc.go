// Package durability is the durability proof (issue 14) that the store
// modules run against their own database: clients rotate refresh tokens
// (RFC 6749 §6) through the real token endpoint while the database server,
// or the app process, is killed with SIGKILL and started again on the same
// data. Afterwards every refresh token a client received in a 200 response
// still works exactly once: none was lost, and none is usable twice.
//
// A request that failed (a 5xx, or no response at all) has an unknown
// outcome: the rotation may have been stored before the response was lost.
// Its client keeps the token it has and retries, as a real client would,
// until it gets an answer. Either the rotation had not happened, and the
// retry rotates, or it had, and the retry presents a rotated token, which
// revokes the grant (RFC 9700 §4.14.2). Once the killed process is gone,
// and nothing it sent can still change a grant, the load reads the grant
// before every retry of a request with an unknown outcome: it must hold
// either the client's token, after exactly the rotations the client saw, or
// that token's successor, after one more. The retry must then be answered
// in the first case and refused in the second.
//
// With a grace period whose key every instance shares ([GraceRotation], the
// rotation the store READMEs recommend), the retry must be answered in both
// cases, in the second with the very successor the grant holds, so no chain
// may be refused; and presenting a token twice within the period must give
// the identical successor: the rotation is idempotent, not a second branch
// of the chain.
//
// The store-specific parts come in through [Case]: how to kill and restart
// the process, how to read a grant, and how to check what the store holds
// of a chain at the end. A typical use, in a store module's tests:
//
//	durability.Run(t, durability.Case{
//		Server: srv, URL: ts.URL, Grant: st.Grant,
//		Kill: db.crash, Restart: func() (string, error) { return ts.URL, db.restart() },
//		CheckHeld: checkHeld, CheckRevoked: checkRevoked, AppSurvives: true,
//	})
//
// For a killed app, the test binary is the app: its TestMain calls
// [ServeApp] when the variable its [Apps] put in the environment is set.
package durability
