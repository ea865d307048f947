package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/authserver"
)

// maxDataFile bounds the size of a clients file.
const maxDataFile = 1 << 20

// maxDefaultMaxAge bounds default_max_age so that it converts to a
// time.Duration without overflow; authserver refuses anything over 100
// years.
const maxDefaultMaxAge = math.MaxInt64 / int64(time.Second)

// sessionSeconds is the demo's sign-in lifetime in seconds, nuid-web's
// default_max_age.
const sessionSeconds = int64(sessionTTL / time.Second)

// Data is the demo's clients and users: the built-in set from [DefaultData]
// or the JSON object {"clients": [...], "users": [...]} that [LoadData]
// reads.
type Data struct {
	Clients []ClientSpec `json:"clients"`
	Users   []User       `json:"users"`
}

// ClientSpec is a client registration in RFC 7591 §2 client metadata names
// (jwks and jwks_uri among them), the OpenID Connect Dynamic Registration §2
// names (application_type, id_token_signed_response_alg, default_max_age,
// subject_type, token_endpoint_auth_signing_alg), RP-Initiated Logout 1.0
// §3.1's post_logout_redirect_uris, RFC 9126 §6's
// require_pushed_authorization_requests, Prakerja's login_uri and three
// kunci extensions (pkce_optional, resources and sector_identifier).
type ClientSpec struct {
	// ClientID is the client_id (RFC 6749 §2.2). Required.
	ClientID string `json:"client_id"`
	// ClientSecret is the client_secret (RFC 7591 §3.2.1), at least 16
	// characters; absent for a public client.
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientName is the client_name shown on the consent page.
	ClientName string `json:"client_name,omitempty"`
	// RedirectURIs are the redirect_uris (RFC 6749 §3.1.2); required with
	// the authorization_code grant or response type token.
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// GrantTypes are the grant_types (RFC 7591 §2). Required.
	GrantTypes []string `json:"grant_types"`
	// ResponseTypes are the response_types (RFC 7591 §2): "code",
	// "token" (the implicit grant, RFC 6749 §4.2) and the hybrid flow's
	// "code id_token", "code token" and "code id_token token" (OpenID
	// Connect Core §3.3), which need scope openid; all but "code" enable
	// the implicit grant.
	ResponseTypes []string `json:"response_types,omitempty"`
	// Scope is the space-separated list of scopes the client may request
	// (RFC 7591 §2, RFC 6749 §3.3).
	Scope string `json:"scope,omitempty"`
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post,
	// private_key_jwt (RFC 7523 §2.2: no client_secret, and jwks or
	// jwks_uri) or none (RFC 7591 §2); absent means client_secret_basic, so
	// a public client must say none.
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method,omitempty"`
	// ApplicationType is "web" (the default) or "native" (OpenID Connect
	// Registration §2); only native clients may use loopback redirect URIs
	// with any port.
	ApplicationType string `json:"application_type,omitempty"`
	// IDTokenSignedResponseAlg is the id_token_signed_response_alg (OpenID
	// Connect Registration §2): RS256 (the default) or ES256, the
	// algorithms of the demo's signing keys.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg,omitempty"`
	// DefaultMaxAge is the default_max_age in seconds (OpenID Connect
	// Registration §2): an OpenID Connect request without max_age makes a
	// user whose sign-in is older sign in again. Zero means none.
	DefaultMaxAge int64 `json:"default_max_age,omitempty"`
	// LoginURI is Prakerja's login_uri: where a user who abandons sign-in
	// at /consent-sso is sent back to.
	LoginURI string `json:"login_uri,omitempty"`
	// PKCEOptional lets a confidential client skip PKCE (RFC 7636), as
	// Prakerja's consent-sso partners do. A kunci extension.
	PKCEOptional bool `json:"pkce_optional,omitempty"`
	// Resources are the RFC 8707 resource indicators the client may ask
	// for. A kunci extension.
	Resources []string `json:"resources,omitempty"`
	// PostLogoutRedirectURIs are the post_logout_redirect_uris (OpenID
	// Connect RP-Initiated Logout 1.0 §3.1): where the end_session_endpoint
	// may send the browser after signing the user out.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	// SubjectType is the subject_type (OpenID Connect Registration §2,
	// Core §8): "public" (the default) or "pairwise".
	SubjectType string `json:"subject_type,omitempty"`
	// SectorIdentifier is the demo's name for authserver's
	// Client.SectorIdentifier: the host a pairwise sub is derived for
	// (OpenID Connect Core §8.1), such as "example.com"; absent means the
	// host of redirect_uris. It needs subject_type pairwise. A kunci
	// extension: the registration name sector_identifier_uri, a URL the
	// server would fetch, is not supported and is an error.
	SectorIdentifier string `json:"sector_identifier,omitempty"`
	// SectorIdentifierURI is only here to be refused with a clear error:
	// fetching a sector_identifier_uri (OpenID Connect Registration §2)
	// waits for dynamic registration.
	SectorIdentifierURI string `json:"sector_identifier_uri,omitempty"`
	// JWKS is the jwks (RFC 7591 §2): the client's JSON Web Key Set inline,
	// a JSON object whose public keys verify its private_key_jwt
	// assertions. Not with jwks_uri.
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// JWKSURI is the jwks_uri (RFC 7591 §2): where the client publishes
	// its JSON Web Key Set. Not with jwks.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// TokenEndpointAuthSigningAlg is the token_endpoint_auth_signing_alg
	// (OpenID Connect Registration §2): the one algorithm the client's
	// assertions may use, such as ES256. It needs private_key_jwt.
	TokenEndpointAuthSigningAlg string `json:"token_endpoint_auth_signing_alg,omitempty"`
	// RequirePushedAuthorizationRequests is
	// require_pushed_authorization_requests (RFC 9126 §6): the client's
	// authorization requests must come through the pushed authorization
	// request endpoint.
	RequirePushedAuthorizationRequests bool `json:"require_pushed_authorization_requests,omitempty"`
	// RequireAuthTime is require_auth_time (OpenID Connect Registration
	// §2): the client's ID Tokens always carry auth_time.
	RequireAuthTime bool `json:"require_auth_time,omitempty"`
	// LogoURI, ClientURI, PolicyURI and TOSURI are logo_uri, client_uri,
	// policy_uri and tos_uri (RFC 7591 §2): the client's logo, home page,
	// privacy policy and terms of service, absolute http(s) URLs.
	LogoURI   string `json:"logo_uri,omitempty"`
	ClientURI string `json:"client_uri,omitempty"`
	PolicyURI string `json:"policy_uri,omitempty"`
	TOSURI    string `json:"tos_uri,omitempty"`
	// DPoPBoundAccessTokens is dpop_bound_access_tokens (RFC 9449 §5.2):
	// every token request of the client must carry a DPoP proof, so its
	// access tokens are bound to the proof's key.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens,omitempty"`
}

// User is a demo resource owner.
type User struct {
	// Username signs in and is the token subject. Required.
	Username string `json:"username"`
	// Password is compared in constant time. Required.
	Password string `json:"password"`
	// Name and Email are returned by /api/me with scope basic_info, and as
	// the claims name and email (OpenID Connect Core §5.1). Required.
	Name  string `json:"name"`
	Email string `json:"email"`
	// Phone is returned by /api/me with scope phone, and as the claim
	// phone_number.
	Phone string `json:"phone,omitempty"`
	// Claims are the user's other claims (OpenID Connect Core §5.1), such
	// as given_name, family_name, picture, email_verified or address, as
	// UserInfo and ID Tokens return them. They may not name sub, name,
	// email or phone_number, which come from the fields above.
	Claims map[string]any `json:"claims,omitempty"`
}

// reservedClaims are the claim names a user's Claims may not set: the
// subject, and the claims that come from User's own fields.
var reservedClaims = []string{"sub", "name", "email", "phone_number"}

// claim returns the user's value of the claim name (OpenID Connect Core
// §5.1), if it has one.
func (u User) claim(name string) (any, bool) {
	switch name {
	case "name":
		return u.Name, true
	case "email":
		return u.Email, true
	case "phone_number":
		return u.Phone, u.Phone != ""
	}
	v, ok := u.Claims[name]
	return v, ok
}

// LoadData reads and checks a clients file; see [ParseData].
func LoadData(path string) (Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return Data{}, fmt.Errorf("demo: clients file: %w", err)
	}
	defer f.Close()
	d, err := ParseData(f)
	if err != nil {
		return Data{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return d, nil
}

// ParseData decodes the JSON object {"clients": [...], "users": [...]} and
// checks it with [Data.Validate]. Unknown fields, a key repeated in one
// object (RFC 8259 §4 says names SHOULD be unique; encoding/json would
// silently keep the last), trailing data and files over 1 MiB are errors.
func ParseData(r io.Reader) (Data, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDataFile+1))
	if err != nil {
		return Data{}, fmt.Errorf("demo: clients file: %w", err)
	}
	if len(raw) > maxDataFile {
		return Data{}, errors.New("demo: clients file: larger than 1 MiB")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d Data
	if err := dec.Decode(&d); err != nil {
		return Data{}, fmt.Errorf("demo: clients file: %w", err)
	}
	// More reports false at a stray "}" or "]", so ask for the next token:
	// only the end of the input is acceptable.
	if _, err := dec.Token(); err != io.EOF {
		return Data{}, errors.New("demo: clients file: unexpected data after the JSON object")
	}
	if err := checkDuplicateKeys(raw); err != nil {
		return Data{}, err
	}
	if err := d.Validate(); err != nil {
		return Data{}, err
	}
	return d, nil
}

// checkDuplicateKeys walks raw, which already decoded without error, and
// reports the first object member name that appears twice in one object.
// Names are compared case-insensitively, as encoding/json matches them to
// struct fields.
func checkDuplicateKeys(raw []byte) error {
	type frame struct {
		keys    map[string]bool // nil in an array
		wantKey bool            // the next token in this object is a name
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("demo: clients file: %w", err)
		}
		if tok == json.Delim('}') || tok == json.Delim(']') {
			stack = stack[:len(stack)-1]
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil {
			if top.wantKey {
				name := strings.ToLower(tok.(string))
				if top.keys[name] {
					return fmt.Errorf("demo: clients file: duplicate key %q", tok)
				}
				top.keys[name] = true
				top.wantKey = false
				continue
			}
			top.wantKey = true // after this value comes the next name
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
}

// Validate reports every missing required field, duplicate ID and
// inconsistent client at once. authserver checks the rest (secret length,
// URI syntax, known scopes) when the app registers the clients.
func (d Data) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("demo: clients file: "+format, args...))
	}
	if len(d.Clients) == 0 {
		bad("no clients")
	}
	ids := map[string]bool{}
	for i, c := range d.Clients {
		at := fmt.Sprintf("clients[%d]", i)
		if c.ClientID == "" {
			bad("%s: missing client_id", at)
		} else if ids[c.ClientID] {
			bad("%s: duplicate client_id %q", at, c.ClientID)
		}
		ids[c.ClientID] = true
		if len(c.GrantTypes) == 0 && len(c.ResponseTypes) == 0 {
			bad("%s: missing grant_types", at)
		}
		switch m := authserver.AuthMethod(c.TokenEndpointAuthMethod); m {
		case authserver.AuthMethodNone:
		case authserver.AuthMethodPrivateKeyJWT:
			if c.ClientSecret != "" {
				bad("%s: client_secret is not used with token_endpoint_auth_method private_key_jwt", at)
			}
			if len(c.JWKS) == 0 && c.JWKSURI == "" {
				bad("%s: missing jwks or jwks_uri (token_endpoint_auth_method private_key_jwt)", at)
			}
		case "", authserver.AuthMethodBasic, authserver.AuthMethodPost:
			if m == "" {
				m = authserver.AuthMethodBasic
			}
			if c.ClientSecret == "" {
				bad("%s: missing client_secret (token_endpoint_auth_method %s; a public client says none)", at, m)
			}
		default:
			bad("%s: unknown token_endpoint_auth_method %q", at, c.TokenEndpointAuthMethod)
		}
		for _, rt := range c.ResponseTypes {
			switch {
			case !slices.Contains(responseTypes(), rt):
				bad("%s: unsupported response_type %q (code, token, %s)", at, rt, strings.Join(hybridTypes(), ", "))
			case strings.HasPrefix(rt, "code") && !slices.Contains(c.GrantTypes, string(authserver.GrantAuthorizationCode)):
				bad("%s: response_type %s needs grant_type authorization_code", at, rt)
			case rt != "code" && rt != "token" && !slices.Contains(strings.Fields(c.Scope), "openid"):
				bad("%s: response_type %s needs scope openid (OpenID Connect Core §3.3)", at, rt)
			}
		}
		c.checkKeys(bad, at)
		c.checkSubject(bad, at)
		if c.DefaultMaxAge < 0 || c.DefaultMaxAge > maxDefaultMaxAge {
			bad("%s: default_max_age %d is not between 0 and %d seconds", at, c.DefaultMaxAge, int64(maxDefaultMaxAge))
		}
		if g := c.grants(); len(c.RedirectURIs) == 0 &&
			(slices.Contains(g, string(authserver.GrantAuthorizationCode)) || slices.Contains(g, string(authserver.GrantImplicit))) {
			bad("%s: missing redirect_uris", at)
		}
	}
	names := map[string]bool{}
	for i, u := range d.Users {
		at := fmt.Sprintf("users[%d]", i)
		for _, f := range []struct{ name, value string }{
			{"username", u.Username}, {"password", u.Password}, {"name", u.Name}, {"email", u.Email},
		} {
			if f.value == "" {
				bad("%s: missing %s", at, f.name)
			}
		}
		for _, name := range reservedClaims {
			if _, ok := u.Claims[name]; ok {
				bad("%s: claims may not set %s", at, name)
			}
		}
		if u.Username != "" && names[u.Username] {
			bad("%s: duplicate username %q", at, u.Username)
		}
		names[u.Username] = true
	}
	return errors.Join(errs...)
}

// checkKeys reports what is wrong with c's jwks, jwks_uri and
// token_endpoint_auth_signing_alg (RFC 7591 §2, OpenID Connect
// Registration §2). authserver checks the keys themselves.
func (c ClientSpec) checkKeys(bad func(string, ...any), at string) {
	if c.JWKS != nil {
		if first := bytes.TrimLeft(c.JWKS, " \t\r\n"); len(first) == 0 || first[0] != '{' {
			bad("%s: jwks must be a JSON object (a JWK Set, RFC 7517 §5)", at)
		}
		if c.JWKSURI != "" {
			bad("%s: jwks and jwks_uri are both set; RFC 7591 §2 allows one", at)
		}
	}
	pkjwt := authserver.AuthMethod(c.TokenEndpointAuthMethod) == authserver.AuthMethodPrivateKeyJWT
	if !pkjwt && (c.JWKS != nil || c.JWKSURI != "") {
		bad("%s: jwks and jwks_uri need token_endpoint_auth_method private_key_jwt", at)
	}
	if !pkjwt && c.TokenEndpointAuthSigningAlg != "" {
		bad("%s: token_endpoint_auth_signing_alg needs token_endpoint_auth_method private_key_jwt", at)
	}
}

// checkSubject reports what is wrong with c's subject_type and sector
// (OpenID Connect Core §8).
func (c ClientSpec) checkSubject(bad func(string, ...any), at string) {
	switch authserver.SubjectType(c.SubjectType) {
	case "", authserver.SubjectPublic:
		if c.SectorIdentifier != "" {
			bad("%s: sector_identifier needs subject_type pairwise", at)
		}
	case authserver.SubjectPairwise:
	default:
		bad("%s: unknown subject_type %q (public or pairwise)", at, c.SubjectType)
	}
	if c.SectorIdentifierURI != "" {
		bad("%s: sector_identifier_uri is not supported (the server does not fetch it); name the sector's host in sector_identifier", at)
	}
}

// hybridTypes are the response types of OpenID Connect's hybrid flow
// (Core §3.3) that the demo server offers (OpenID.ResponseTypes).
func hybridTypes() []string {
	return []string{string(authserver.ResponseCodeIDToken), string(authserver.ResponseCodeToken),
		string(authserver.ResponseCodeIDTokenToken)}
}

// responseTypes are the response_types a clients file may name, exactly as
// spelled here.
func responseTypes() []string { return append([]string{"code", "token"}, hybridTypes()...) }

// grants returns the grant types with "implicit" added when a response
// type returns a token or an ID Token from the authorization endpoint
// (RFC 7591 §2.1, OpenID Connect Registration §2 pair them).
func (c ClientSpec) grants() []string {
	g := slices.Clone(c.GrantTypes)
	if slices.ContainsFunc(c.ResponseTypes, func(rt string) bool { return rt != "code" }) && !slices.Contains(g, string(authserver.GrantImplicit)) {
		g = append(g, string(authserver.GrantImplicit))
	}
	return g
}

// Client maps the metadata onto an authserver.Client.
func (c ClientSpec) Client() authserver.Client {
	var login []string
	if c.LoginURI != "" {
		login = []string{c.LoginURI}
	}
	var responseTypes []authserver.ResponseType
	for _, rt := range c.ResponseTypes {
		responseTypes = append(responseTypes, authserver.ResponseType(rt))
	}
	var grants []authserver.GrantType
	for _, g := range c.grants() {
		grants = append(grants, authserver.GrantType(g))
	}
	if responseTypes == nil && slices.Contains(grants, authserver.GrantImplicit) {
		responseTypes = []authserver.ResponseType{authserver.ResponseToken}
	}
	if responseTypes != nil && slices.Contains(grants, authserver.GrantAuthorizationCode) &&
		!slices.Contains(responseTypes, authserver.ResponseCode) {
		responseTypes = append(responseTypes, authserver.ResponseCode)
	}
	return authserver.Client{
		ID:              c.ClientID,
		Secret:          c.ClientSecret,
		Name:            c.ClientName,
		ApplicationType: authserver.ApplicationType(c.ApplicationType),
		RedirectURIs:    slices.Clone(c.RedirectURIs),
		LoginURIs:       login,
		GrantTypes:      grants,
		ResponseTypes:   responseTypes,
		Scopes:          strings.Fields(c.Scope),
		AuthMethod:      authserver.AuthMethod(c.TokenEndpointAuthMethod),
		PKCEOptional:    c.PKCEOptional,
		Resources:       slices.Clone(c.Resources),

		IDTokenSignedResponseAlg: jose.SignatureAlgorithm(c.IDTokenSignedResponseAlg),
		DefaultMaxAge:            time.Duration(c.DefaultMaxAge) * time.Second,

		PostLogoutRedirectURIs:             slices.Clone(c.PostLogoutRedirectURIs),
		SubjectType:                        authserver.SubjectType(c.SubjectType),
		SectorIdentifier:                   c.SectorIdentifier,
		JWKS:                               slices.Clone([]byte(c.JWKS)),
		JWKSURI:                            c.JWKSURI,
		AuthSigningAlg:                     jose.SignatureAlgorithm(c.TokenEndpointAuthSigningAlg),
		RequirePushedAuthorizationRequests: c.RequirePushedAuthorizationRequests,
		RequireAuthTime:                    c.RequireAuthTime,
		LogoURI:                            c.LogoURI,
		ClientURI:                          c.ClientURI,
		PolicyURI:                          c.PolicyURI,
		TOSURI:                             c.TOSURI,
		DPoPBoundAccessTokens:              c.DPoPBoundAccessTokens,
	}
}

// Public reports whether the client cannot authenticate (RFC 6749 §2.1):
// it has no secret and does not sign assertions with private_key_jwt.
func (c ClientSpec) Public() bool {
	return c.ClientSecret == "" && authserver.AuthMethod(c.TokenEndpointAuthMethod) != authserver.AuthMethodPrivateKeyJWT
}

// Scopes returns the scopes the demo server knows: NU.ID's, Prakerja's and
// OpenID Connect's profile and address, each with the text the consent page
// shows and the claims it releases at UserInfo (OpenID Connect Core §5.4).
// NU.ID's basic_info releases name and email, phone and Prakerja's notelp
// release phone_number, Prakerja's name releases name; email, phone,
// profile and address release the standard claims of Core §5.4. The
// server adds openid and offline_access itself.
func Scopes() []authserver.Scope {
	id := func(text string) map[string]string { return map[string]string{authserver.LanguageIndonesian: text} }
	return []authserver.Scope{
		// NU.ID's scope table is in Indonesian; those are its texts.
		{Name: "basic_info", Description: "Read your name and email address", Descriptions: id("Mengakses info nama dan alamat email (read-only)"), Claims: []string{"name", "email"}},
		{Name: "phone", Description: "Read your phone number", Descriptions: id("Mengakses nomor telepon (read-only)")},
		{Name: "keys_op", Description: "Add and remove your key pairs", Descriptions: id("Menambahkan/mengurangi pasangan kunci (write-only)"), Claims: []string{}},
		{Name: "update_basic_info", Description: "Change your name and photo", Descriptions: id("Mengubah info dasar pengguna di antaranya: nama dan foto (write-only)"), Claims: []string{}},
		{Name: "name", Description: "Your name", Descriptions: id("Nama Anda"), Claims: []string{"name"}},
		{Name: "email", Description: "Your email address", Descriptions: id("Alamat email Anda")},
		{Name: "prakerjaid", Description: "Your Prakerja ID", Descriptions: id("ID Prakerja Anda"), Claims: []string{}},
		{Name: "notelp", Description: "Your phone number (Prakerja)", Descriptions: id("Nomor telepon Anda (Prakerja)"), Claims: []string{"phone_number"}},
		{Name: "profile", Description: "Read your profile: name, picture and the like", Descriptions: id("Mengakses profil Anda: nama, foto, dan sejenisnya")},
		{Name: "address", Description: "Read your postal address", Descriptions: id("Mengakses alamat pos Anda")},
	}
}

// APIResource returns the RFC 8707 resource indicator of the demo API,
// whose access tokens are JWTs: issuer + "/api".
func APIResource(issuer string) string { return strings.TrimSuffix(issuer, "/") + "/api" }

// DefaultData returns the built-in demo clients and users for a server at
// issuer. Every redirect URI is the app's own /callback page, and nuid-web
// may be signed out to /signed-out. The FAPI-style client, which needs a
// key, is [FAPIClient].
func DefaultData(issuer string) Data {
	base := strings.TrimSuffix(issuer, "/")
	callback := base + "/callback"
	return Data{
		Clients: []ClientSpec{
			{
				ClientID:                "nuid-spa",
				ClientName:              "NU.ID Mobile",
				RedirectURIs:            []string{callback},
				GrantTypes:              []string{"authorization_code", "refresh_token"},
				ResponseTypes:           []string{"code", "token"},
				Scope:                   "basic_info phone",
				TokenEndpointAuthMethod: string(authserver.AuthMethodNone),
			},
			{
				ClientID:                 "nuid-web",
				ClientSecret:             "nuid-web-secret-0123456789",
				ClientName:               "NU.ID Portal",
				RedirectURIs:             []string{callback},
				GrantTypes:               []string{"authorization_code", "refresh_token", "password"},
				ResponseTypes:            []string{"code"},
				Scope:                    "basic_info phone keys_op update_basic_info openid profile email address offline_access",
				TokenEndpointAuthMethod:  string(authserver.AuthMethodBasic),
				Resources:                []string{APIResource(base)},
				IDTokenSignedResponseAlg: string(jose.RS256),
				DefaultMaxAge:            sessionSeconds,
				PostLogoutRedirectURIs:   []string{base + "/signed-out"},
			},
			{
				ClientID:                "report-service",
				ClientSecret:            "report-service-secret-0123",
				ClientName:              "Reporting Service",
				GrantTypes:              []string{"client_credentials"},
				Scope:                   "basic_info keys_op",
				TokenEndpointAuthMethod: string(authserver.AuthMethodBasic),
			},
			{
				ClientID:                "prakerja-partner",
				ClientSecret:            "prakerja-partner-secret-01",
				ClientName:              "Mitra Pelatihan",
				RedirectURIs:            []string{callback},
				GrantTypes:              []string{"authorization_code"},
				ResponseTypes:           []string{"code"},
				Scope:                   "name email prakerjaid notelp",
				TokenEndpointAuthMethod: string(authserver.AuthMethodPost),
				LoginURI:                base + "/partner/login",
				PKCEOptional:            true,
			},
		},
		Users: []User{
			{Username: "budi", Password: "budi-password", Name: "Budi Santoso", Email: "budi@example.id", Phone: "+62 812 0000 0001",
				Claims: map[string]any{
					"given_name": "Budi", "family_name": "Santoso", "email_verified": true,
					"picture": "https://avatars.example.id/budi.png", "locale": "id-ID",
					"address": map[string]any{"locality": "Jakarta", "country": "ID"},
				}},
			{Username: "siti", Password: "siti-password", Name: "Siti Rahayu", Email: "siti@example.id", Phone: "+62 812 0000 0002",
				Claims: map[string]any{
					"given_name": "Siti", "family_name": "Rahayu", "email_verified": false,
					"address": map[string]any{"locality": "Yogyakarta", "country": "ID"},
				}},
		},
	}
}
