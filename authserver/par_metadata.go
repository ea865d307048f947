package authserver

// highSecurityMetadata adds to m what pushed authorization requests (RFC
// 9126 §5) and private_key_jwt (RFC 8414 §2) publish: the pushed
// authorization request endpoint with the authorization endpoint, and
// private_key_jwt among the methods of every endpoint that authenticates
// clients, with the algorithms its assertions may use.
func (s *Server) highSecurityMetadata(m *metadata) {
	if s.cfg.browserEnabled() {
		m.PushedAuthorizationRequestEndpoint = s.endpoint(s.cfg.Paths.PushedAuthorization)
		m.RequirePushedAuthorizationRequests = s.cfg.PushedAuthorization.Required
	}
	pk := string(AuthMethodPrivateKeyJWT)
	algs := names(assertionAlgorithms())
	m.TokenEndpointAuthMethodsSupported = append(m.TokenEndpointAuthMethodsSupported, pk)
	m.RevocationEndpointAuthMethodsSupported = append(m.RevocationEndpointAuthMethodsSupported, pk)
	m.IntrospectionAuthMethodsSupported = append(m.IntrospectionAuthMethodsSupported, pk)
	m.TokenEndpointAuthSigningAlgValuesSupported = algs
	m.RevocationEndpointAuthSigningAlgValuesSupported = algs
	m.IntrospectionEndpointAuthSigningAlgValuesSupported = algs
}
