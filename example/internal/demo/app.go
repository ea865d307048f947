package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/internal/throttle"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// Config configures New.
type Config struct {
	// Issuer is the authorization server's issuer identifier (RFC 8414 §2)
	// and the app's base URL, such as "http://127.0.0.1:8080". An http
	// issuer must be a loopback address. Required.
	Issuer string
	// Data holds the clients and users; nil means DefaultData(Issuer).
	Data *Data
	// HTTPClient fetches the server's own JWKS for /api/jwt/me. Nil means
	// the middleware's default client (10 second timeout).
	HTTPClient *http.Client
	// Logger receives the app's and the server's logs. Nil discards them.
	Logger *slog.Logger
	// Compat switches the authorization server's compatibility behaviours
	// (authserver.Compat); the zero value keeps the server's defaults.
	Compat authserver.Compat
	// PairwiseKey is the secret pairwise subjects are derived with
	// (authserver.OpenID.PairwiseKey, OpenID Connect Core §8.1), at least
	// 32 bytes. Nil draws a fresh one, so a pairwise client's sub values
	// change at every restart, as the memory store forgets everything
	// else then too.
	PairwiseKey []byte
}

// App is the demo: an authorization server, the host pages around it and
// a protected API, as one http.Handler. Call Close when done with it.
type App struct {
	issuer   string
	secure   bool
	log      *slog.Logger
	data     Data
	users    map[string]User
	store    *store.Memory
	server   *authserver.Server
	sessions *sessions
	logins   *throttle.Failures // failed sign-ins per username and address
	macKey   []byte             // keys the login cookie's HMAC and the CSRF tokens
	pages    *template.Template
	mux      *http.ServeMux
}

// New builds the app: a memory store, an authorization server with fresh
// ES256 and RS256 signing keys (development keys, lost on restart; ES256
// signs JWT access tokens, RS256 the ID Tokens of OpenID Connect), the demo
// clients registered, and the routes listed in the package documentation.
func New(ctx context.Context, cfg Config) (*App, error) {
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("demo: issuer %q is not an absolute http(s) URL", cfg.Issuer)
	}
	data := DefaultData(issuer)
	if cfg.Data != nil {
		data = *cfg.Data
	}
	if err := data.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	key, err := authserver.GenerateSigningKey(jose.ES256)
	if err != nil {
		return nil, fmt.Errorf("demo: signing key: %w", err)
	}
	// OpenID Connect Core §15.1 makes RS256 the algorithm every relying
	// party can verify, so the server needs one for ID Tokens.
	rsaKey, err := authserver.GenerateSigningKey(jose.RS256)
	if err != nil {
		return nil, fmt.Errorf("demo: signing key: %w", err)
	}
	a := &App{
		issuer:   issuer,
		secure:   u.Scheme == "https",
		log:      log,
		data:     data,
		users:    make(map[string]User, len(data.Users)),
		sessions: newSessions(time.Now),
		logins:   throttle.NewFailures(loginFailureLimit, loginFailureWindow, time.Now),
		macKey:   make([]byte, 32),
		pages:    pages,
	}
	rand.Read(a.macKey)
	pairwiseKey := cfg.PairwiseKey
	if pairwiseKey == nil {
		pairwiseKey = make([]byte, 32)
		rand.Read(pairwiseKey)
	}
	for _, user := range data.Users {
		a.users[user.Username] = user
	}

	a.store = store.NewMemory()
	a.server, err = authserver.New(authserver.Config{
		Issuer:        issuer,
		Scopes:        Scopes(),
		DefaultScopes: []string{"basic_info"},
		// The demo shows every grant, the legacy ones included.
		Grants: []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken,
			authserver.GrantClientCredentials, authserver.GrantPassword, authserver.GrantImplicit},
		CheckPassword: func(_ context.Context, username, password string) (string, bool, error) {
			user, ok := a.checkPassword(username, password)
			return user.Username, ok, nil
		},
		Browser: authserver.Browser{Session: a.currentSession, LoginURL: "/login"},
		JWT: authserver.JWT{
			SigningKeys: []jose.JSONWebKey{key, rsaKey},
			Resources:   []string{APIResource(issuer)},
		},
		OpenID: authserver.OpenID{Enabled: true, Claims: a.userClaims,
			EndSession: a.endSession, PairwiseKey: pairwiseKey,
			// The hybrid flow (OpenID Connect Core §3.3) for clients
			// that register its response types, as nuid-web does.
			ResponseTypes: []authserver.ResponseType{authserver.ResponseCodeIDToken,
				authserver.ResponseCodeToken, authserver.ResponseCodeIDTokenToken}},
		// DPoP (RFC 9449) for clients that ask for it with a proof, and
		// required of those with dpop_bound_access_tokens.
		DPoP:        authserver.DPoP{Enabled: true},
		Compat:      cfg.Compat,
		Development: authserver.Development{AllowHTTPIssuer: u.Scheme == "http"},
		Logger:      log,
	}, a.store)
	if err != nil {
		a.store.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	var errs []error
	for _, c := range data.Clients {
		errs = append(errs, a.server.RegisterClient(ctx, c.Client()))
	}
	if err := errors.Join(errs...); err != nil {
		a.store.Close()
		return nil, fmt.Errorf("demo: registering clients: %w", err)
	}
	jwtVerifier, err := middleware.NewJWTVerifier(middleware.JWTConfig{
		Issuer:     issuer,
		Audience:   APIResource(issuer),
		JWKSURL:    issuer + "/oauth/jwks",
		HTTPClient: cfg.HTTPClient,
		Logger:     log,
	})
	if err != nil {
		a.store.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	if a.mux, err = a.routes(jwtVerifier); err != nil {
		a.store.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	return a, nil
}

// userClaims is authserver.Config.OpenID.Claims: the named claims of the
// user subject that it has values for (OpenID Connect Core §5.3.2). An
// unknown subject, a user removed since the token was issued, has none.
func (a *App) userClaims(_ context.Context, subject string, names []string) (map[string]any, error) {
	claims := map[string]any{}
	user, ok := a.users[subject]
	if !ok {
		return claims, nil
	}
	for _, name := range names {
		if v, ok := user.claim(name); ok {
			claims[name] = v
		}
	}
	return claims, nil
}

// routes builds the app's mux.
func (a *App) routes(jwtVerifier middleware.Verifier) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	// The authorization server answers on its own paths and 404s on others.
	mux.Handle("/oauth/", a.server)
	mux.Handle("/consent-sso", a.server)
	mux.Handle("/.well-known/", a.server)

	// Browsers send Sec-Fetch-Site and Origin; cross-origin form posts to
	// the login and logout endpoints are refused before the handlers run.
	cop := http.NewCrossOriginProtection()
	mux.HandleFunc("GET /login", a.serveLoginForm)
	mux.Handle("POST /login", cop.Handler(http.HandlerFunc(a.serveLogin)))
	mux.Handle("POST /logout", cop.Handler(http.HandlerFunc(a.serveLogout)))

	basicInfo, err := middleware.RequireScope("basic_info")
	if err != nil {
		return nil, err
	}
	// /api/me takes DPoP-bound tokens with a proof whose htu is the
	// app's external URL (RFC 9449 §7.1), and bearer tokens of other
	// clients.
	authLocal, err := middleware.Authenticate(a.server, middleware.Options{Logger: a.log,
		DPoP: &middleware.DPoPOptions{ExternalURL: a.issuer, Replay: a.store}})
	if err != nil {
		return nil, err
	}
	authJWT, err := middleware.Authenticate(jwtVerifier, middleware.Options{Logger: a.log})
	if err != nil {
		return nil, err
	}
	me := http.HandlerFunc(a.serveMe)
	mux.Handle("GET /api/me", authLocal(basicInfo(me)))
	mux.Handle("GET /api/jwt/me", authJWT(basicInfo(me)))

	mux.HandleFunc("GET /{$}", a.serveHome)
	callback := a.serveCallback("Callback",
		"This is the demo clients' redirect URI. A real client would now exchange the code at /oauth/token.")
	mux.Handle("GET /callback", callback)
	mux.Handle("POST /callback", callback) // response_mode=form_post
	mux.Handle("GET /signed-out", a.serveCallback("Signed out",
		"This is the demo clients' post_logout_redirect_uri: the end_session_endpoint signed you out."))
	mux.Handle("GET /partner/login", a.serveCallback("Partner login page",
		"This is the Prakerja partner's login_uri: the user abandoned sign-in at /consent-sso."))
	return mux, nil
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Issuer returns the issuer identifier the server uses.
func (a *App) Issuer() string { return a.issuer }

// Data returns the clients and users the app serves.
func (a *App) Data() Data { return a.data }

// Server returns the embedded authorization server.
func (a *App) Server() *authserver.Server { return a.server }

// Close stops the memory store's janitor.
func (a *App) Close() error { return a.store.Close() }
