package authserver

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/store"
)

// Server is an embeddable OAuth 2.0 authorization server, and with
// Config.OpenID an OpenID Connect Provider. It is an
// [http.Handler] that answers on the paths of Config.Paths (and those of
// Config.Compat) and 404s on every other path, logged at debug level, so it can be mounted on a mux with http.StripPrefix when it
// lives under a prefix.
//
// A Server is safe for concurrent use. Two Servers never share state except
// through a store they are both given.
type Server struct {
	cfg    Config
	store  store.Store
	log    *slog.Logger
	realm  string
	scopes map[string]Scope

	consentTmpl  *template.Template
	errorTmpl    *template.Template
	formPostTmpl *template.Template

	keys            *keySet
	defaultResource string
	metadata        []byte
	userInfo        http.Handler

	limits          limiter
	dummySecretHash string
	refreshKey      []byte
	dpop            *dpop.Verifier

	mux *router

	// logoutTmpl and signedOutTmpl are the logout pages, and logoutKey
	// the key of the logout form's CSRF tokens (logout_form.go).
	logoutTmpl    *template.Template
	signedOutTmpl *template.Template
	logoutKey     []byte
	cors          *corsOrigins
	// clientKeys fetches and caches the jwks_uri of private_key_jwt
	// clients.
	clientKeys *jwksFetcher
}

// New validates config and returns a Server that keeps its state in st.
// It returns an error for any invalid configuration; it never panics on one.
func New(config Config, st store.Store) (*Server, error) {
	if st == nil {
		return nil, errors.New("authserver: store is nil")
	}
	cfg, err := config.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		store:  st,
		log:    cfg.Logger,
		realm:  cfg.Issuer,
		scopes: make(map[string]Scope, len(cfg.Scopes)),
		limits: newLimiter(cfg.Limits, cfg.Lifetimes.AuthRequest),
	}
	for _, sc := range cfg.Scopes {
		s.scopes[sc.Name] = sc
	}
	s.dummySecretHash = hashToken(newToken(""))
	s.refreshKey = slices.Clone(cfg.RefreshRotation.Key)
	if s.refreshKey == nil {
		s.refreshKey = make([]byte, 32)
		rand.Read(s.refreshKey)
	}
	if s.keys, err = newKeySet(cfg.JWT.SigningKeys); err != nil {
		return nil, err
	}
	s.defaultResource = cfg.JWT.DefaultResource
	if s.defaultResource == "" {
		s.defaultResource = cfg.Issuer
	}
	if s.dpop, err = newDPoPVerifier(&s.cfg.DPoP, st); err != nil {
		return nil, fmt.Errorf("authserver: %w", err)
	}
	if s.metadata, err = s.buildMetadata(); err != nil {
		return nil, fmt.Errorf("authserver: metadata: %w", err)
	}
	if s.userInfo, err = s.newUserInfoHandler(); err != nil {
		return nil, fmt.Errorf("authserver: userinfo: %w", err)
	}
	s.consentTmpl, s.errorTmpl = cfg.Browser.ConsentTemplate, cfg.Browser.ErrorTemplate
	if s.consentTmpl == nil || s.errorTmpl == nil {
		consent, errPage, err := defaultTemplates()
		if err != nil {
			return nil, fmt.Errorf("authserver: built-in templates: %w", err)
		}
		if s.consentTmpl == nil {
			s.consentTmpl = consent
		}
		if s.errorTmpl == nil {
			s.errorTmpl = errPage
		}
	}
	if s.formPostTmpl, err = formPostTemplate(); err != nil {
		return nil, fmt.Errorf("authserver: built-in templates: %w", err)
	}
	if s.logoutTmpl, s.signedOutTmpl, err = logoutTemplates(cfg.OpenID); err != nil {
		return nil, fmt.Errorf("authserver: built-in templates: %w", err)
	}
	s.logoutKey = newLogoutKey(s.refreshKey)
	s.cors = newCORSOrigins(cfg.CORS)
	s.clientKeys = newJWKSFetcher(cfg.ClientAssertions, time.Now, s.log)
	s.mux = s.routes()
	return s, nil
}

// routes builds the server's own mux from Config.Paths.
func (s *Server) routes() *router {
	mux := newRouter()
	p := s.cfg.Paths
	mux.Handle(p.Token, s.corsToken(s.TokenHandler()))
	if !s.cfg.Compat.NoRefreshAliases {
		for _, alias := range s.cfg.Compat.RefreshAliases {
			mux.Handle(alias, s.corsToken(s.refreshAliasHandler()))
		}
	}
	mux.Handle(p.Revoke, s.corsToken(s.RevokeHandler()))
	mux.Handle(p.Introspect, s.IntrospectHandler())
	for _, path := range metadataPaths(s.cfg.Issuer) {
		mux.Handle(path, s.corsPublic(s.MetadataHandler()))
	}
	if s.keys != nil {
		mux.Handle(p.JWKS, s.corsPublic(s.JWKSHandler()))
	}
	if s.cfg.OpenID.Enabled {
		mux.Handle(p.UserInfo, s.corsUserInfo(s.UserInfoHandler()))
		mux.Handle(wellKnownOpenID, s.corsPublic(s.MetadataHandler()))
	}
	if s.cfg.endSessionEnabled() {
		mux.Handle(p.EndSession, s.EndSessionHandler())
	}
	// The browser side needs the host to say who is signed in and where
	// users sign in; without both it is not served.
	if s.cfg.browserEnabled() {
		mux.Handle(p.Authorize, s.AuthorizeHandler())
		mux.Handle(p.Consent, s.ConsentHandler())
		mux.Handle(p.PushedAuthorization, s.PushedAuthorizationHandler())
		if !s.cfg.Compat.NoConsentSSO {
			mux.Handle(s.cfg.Compat.ConsentSSOPath, s.consentSSOHandler())
		}
	}
	s.handleNotFound(mux)
	return mux
}

// ServeHTTP dispatches r to the endpoint its path names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Issuer returns the configured issuer identifier.
func (s *Server) Issuer() string { return s.cfg.Issuer }

var _ http.Handler = (*Server)(nil)
