package demo

// writeDPoP prints the code exchange and the API call of a client with
// dpop_bound_access_tokens (RFC 9449 §5, §7.1): the token request carries
// a DPoP proof for POST to the token endpoint and gets a token of type
// DPoP; /api/me takes it with the DPoP scheme and a proof for GET that
// hashes it (ath). The proofs are signed with the client's key in key.
func writeDPoP(p *printer, base string, c ClientSpec, key, auth, verifier string) {
	token := endpoint(base, "/oauth/token")
	me := endpoint(base, "/api/me")
	p.f("   %s's access tokens are DPoP-bound (RFC 9449): every token request and API call\n"+
		"   carries a DPoP proof, a JWT signed with the client's key (here the same key file)\n"+
		"   naming the method and URL, used once:\n", c.ClientID)
	p.f("   P=$(go run ./example/cmd/dpopproof -key %s -htm POST -htu %s)\n", key, shellQuote(token))
	p.f("   curl -s %s -H \"DPoP: $P\" %s \\\n"+
		"     -d grant_type=authorization_code -d code=CODE %s -d code_verifier=%s\n",
		token, auth, field("redirect_uri", c.RedirectURIs[0]), verifier)
	p.f("   The answer has \"token_type\":\"DPoP\".\n")
	p.f("4. Call the API with the access token and a proof that hashes it (ath):\n")
	p.f("   P=$(go run ./example/cmd/dpopproof -key %s -htm GET -htu %s -ath ACCESS_TOKEN)\n", key, shellQuote(me))
	p.f("   curl -s %s -H \"Authorization: DPoP ACCESS_TOKEN\" -H \"DPoP: $P\"\n", me)
	p.f("   The same token as \"Authorization: Bearer\" is refused with 401 (RFC 9449 §7.1).\n")
}
