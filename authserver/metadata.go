package authserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// wellKnownMetadata is the well-known URI suffix of RFC 8414 §3.
const wellKnownMetadata = "/.well-known/oauth-authorization-server"

// wellKnownOpenID is where an OpenID Provider publishes its configuration,
// appended to the issuer (OpenID Connect Discovery §4): the server answers
// on it relative to where it is mounted, the issuer's path.
const wellKnownOpenID = "/.well-known/openid-configuration"

// metadata is the authorization server metadata document (RFC 8414 §2).
// With OpenID Connect on it is also the OpenID Provider metadata (OpenID
// Connect Discovery §3), which RFC 8414 §2 lets the same document carry:
// one document, served at both well-known paths, cannot disagree with
// itself. The OpenID fields are left out when OpenID Connect is off.
type metadata struct {
	Issuer                                 string   `json:"issuer"`
	AuthorizationEndpoint                  string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                          string   `json:"token_endpoint"`
	UserInfoEndpoint                       string   `json:"userinfo_endpoint,omitempty"`
	JWKSURI                                string   `json:"jwks_uri,omitempty"`
	ScopesSupported                        []string `json:"scopes_supported,omitempty"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	ResponseModesSupported                 []string `json:"response_modes_supported,omitempty"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpoint                     string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpoint                  string   `json:"introspection_endpoint"`
	IntrospectionAuthMethodsSupported      []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported          []string `json:"code_challenge_methods_supported,omitempty"`
	AuthorizationResponseIssSupported      bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
	DPoPSigningAlgValuesSupported          []string `json:"dpop_signing_alg_values_supported,omitempty"`

	SubjectTypesSupported            []string `json:"subject_types_supported,omitempty"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported,omitempty"`
	ClaimsSupported                  []string `json:"claims_supported,omitempty"`
	// Discovery §3 gives request_uri_parameter_supported the default
	// true, so the three switches are sent explicitly: pointers, nil
	// when OpenID Connect is off.
	ClaimsParameterSupported     *bool `json:"claims_parameter_supported,omitempty"`
	RequestParameterSupported    *bool `json:"request_parameter_supported,omitempty"`
	RequestURIParameterSupported *bool `json:"request_uri_parameter_supported,omitempty"`
	// PromptValuesSupported lists the prompt values the authorization
	// endpoint understands (OpenID Connect Core §3.1.2.1).
	PromptValuesSupported []string `json:"prompt_values_supported,omitempty"`
	// ACRValuesSupported lists OpenID.ACRValues (Discovery §3), left
	// out when the host names none.
	ACRValuesSupported []string `json:"acr_values_supported,omitempty"`

	// EndSessionEndpoint is the end_session_endpoint of RP-Initiated
	// Logout 1.0 §2.1, sent when it is served.
	EndSessionEndpoint string `json:"end_session_endpoint,omitempty"`
	// RFC 9126 §5 and the signing algorithms of private_key_jwt (RFC
	// 8414 §2).
	PushedAuthorizationRequestEndpoint                 string   `json:"pushed_authorization_request_endpoint,omitempty"`
	RequirePushedAuthorizationRequests                 bool     `json:"require_pushed_authorization_requests,omitempty"`
	TokenEndpointAuthSigningAlgValuesSupported         []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpointAuthSigningAlgValuesSupported    []string `json:"revocation_endpoint_auth_signing_alg_values_supported,omitempty"`
	IntrospectionEndpointAuthSigningAlgValuesSupported []string `json:"introspection_endpoint_auth_signing_alg_values_supported,omitempty"`
}

// metadataPaths returns where the metadata is served: the plain well-known
// path, and for an issuer with a path the path-suffixed form of RFC 8414
// §3.1 (https://nu.id/api → /.well-known/oauth-authorization-server/api).
func metadataPaths(issuer string) []string {
	paths := []string{wellKnownMetadata}
	if u, err := url.Parse(issuer); err == nil {
		if p := strings.TrimSuffix(u.Path, "/"); p != "" {
			paths = append(paths, wellKnownMetadata+p)
		}
	}
	return paths
}

// endpoint returns the absolute URL of one of the server's paths. The server
// is taken to be reachable at its issuer: mounted at the issuer's path.
func (s *Server) endpoint(path string) string {
	return strings.TrimSuffix(s.cfg.Issuer, "/") + path
}

// buildMetadata renders the metadata document once, at New.
func (s *Server) buildMetadata() ([]byte, error) {
	p := s.cfg.Paths
	m := metadata{
		Issuer:                                 s.cfg.Issuer,
		TokenEndpoint:                          s.endpoint(p.Token),
		RevocationEndpoint:                     s.endpoint(p.Revoke),
		IntrospectionEndpoint:                  s.endpoint(p.Introspect),
		TokenEndpointAuthMethodsSupported:      names([]AuthMethod{AuthMethodBasic, AuthMethodPost, AuthMethodNone}),
		RevocationEndpointAuthMethodsSupported: names([]AuthMethod{AuthMethodBasic, AuthMethodPost, AuthMethodNone}),
		IntrospectionAuthMethodsSupported:      names([]AuthMethod{AuthMethodBasic, AuthMethodPost}),
		AuthorizationResponseIssSupported:      s.cfg.browserEnabled(),
		ResponseTypesSupported:                 []string{},
	}
	for _, sc := range s.cfg.Scopes {
		m.ScopesSupported = append(m.ScopesSupported, sc.Name)
	}
	for _, g := range s.cfg.Grants {
		m.GrantTypesSupported = append(m.GrantTypesSupported, string(g))
	}
	if s.keys != nil {
		m.JWKSURI = s.endpoint(p.JWKS)
	}
	if s.cfg.browserEnabled() {
		m.AuthorizationEndpoint = s.endpoint(p.Authorize)
		if slices.Contains(s.cfg.Grants, GrantAuthorizationCode) {
			m.ResponseTypesSupported = append(m.ResponseTypesSupported, string(ResponseCode))
			m.CodeChallengeMethodsSupported = []string{string(PKCEMethodS256)}
			if s.cfg.Compat.AcceptPlainPKCE {
				m.CodeChallengeMethodsSupported = append(m.CodeChallengeMethodsSupported, string(PKCEMethodPlain))
			}
		}
		// "implicit" is listed exactly when a response type other than code
		// is offered (RFC 8414 §2, OpenID Connect Registration §2): config
		// validation makes GrantImplicit imply the browser side.
		if slices.Contains(s.cfg.Grants, GrantImplicit) {
			m.ResponseTypesSupported = append(m.ResponseTypesSupported, string(ResponseToken))
		}
		// The implicit and hybrid flows the host offers (OpenID Connect
		// Discovery §3); empty unless OpenID Connect is on.
		m.ResponseTypesSupported = append(m.ResponseTypesSupported, names(s.cfg.OpenID.ResponseTypes)...)
		m.ResponseModesSupported = s.responseModes()
	}
	if s.cfg.OpenID.Enabled {
		s.openIDMetadata(&m)
	}
	s.highSecurityMetadata(&m)
	if s.dpop != nil {
		m.DPoPSigningAlgValuesSupported = names(s.dpop.Algorithms())
	}
	return json.Marshal(m)
}

// openIDMetadata adds the OpenID Provider metadata (OpenID Connect
// Discovery §3) to m.
func (s *Server) openIDMetadata(m *metadata) {
	yes, no := true, false
	m.UserInfoEndpoint = s.endpoint(s.cfg.Paths.UserInfo)
	m.SubjectTypesSupported = []string{"public"}
	m.IDTokenSigningAlgValuesSupported = names(s.keys.idTokenAlgs)
	// The claims an ID Token may carry, then those the scopes release.
	m.ClaimsSupported = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
	for _, name := range s.scopeClaims(m.ScopesSupported) {
		if !slices.Contains(m.ClaimsSupported, name) {
			m.ClaimsSupported = append(m.ClaimsSupported, name)
		}
	}
	m.ClaimsParameterSupported, m.RequestParameterSupported, m.RequestURIParameterSupported = &yes, &no, &no
	m.PromptValuesSupported = promptValues()
	m.ACRValuesSupported = s.cfg.OpenID.ACRValues
	if s.cfg.OpenID.PairwiseKey != nil {
		m.SubjectTypesSupported = append(m.SubjectTypesSupported, string(SubjectPairwise))
	}
	if s.cfg.endSessionEnabled() {
		m.EndSessionEndpoint = s.endpoint(s.cfg.Paths.EndSession)
	}
}

// MetadataHandler returns the authorization server metadata endpoint
// (RFC 8414 §3). A Server serves it itself at
// /.well-known/oauth-authorization-server and at the path-suffixed form for
// an issuer with a path; a host that mounts the server under a prefix routes
// the well-known path of its host root here. With OpenID Connect on, the
// same document is the OpenID Provider configuration, which a Server also
// serves at /.well-known/openid-configuration (OpenID Connect Discovery
// §4): under a prefix, that path is below the prefix, so it reaches the
// server through the same http.StripPrefix as the endpoints.
func (s *Server) MetadataHandler() http.Handler {
	return staticDocument("application/json", s.metadata)
}
