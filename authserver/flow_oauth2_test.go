package authserver_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The real golang.org/x/oauth2 client against the server over HTTP.

func TestFlowOAuth2ClientCredentials(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	cfg := clientcredentials.Config{ClientID: serviceID, ClientSecret: servicePass, TokenURL: ts.URL + "/oauth/token", Scopes: []string{"basic_info", "keys_op"}}
	tok, err := cfg.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Empty(t, tok.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(30*time.Minute), tok.Expiry, time.Minute)
	info, err := srv.VerifyAccessToken(t.Context(), tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"basic_info", "keys_op"}, info.Scopes)

	// A wrong secret surfaces as a RetrieveError with the RFC 6749 fields.
	cfg.ClientSecret = "wrong-secret-0123456789"
	cfg.AuthStyle = oauth2.AuthStyleInHeader
	_, err = cfg.Token(t.Context())
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_client", re.ErrorCode)
	assert.Equal(t, 401, re.Response.StatusCode)
}

func TestFlowOAuth2CodeExchangeAndRefresh(t *testing.T) {
	tests := []struct {
		name         string
		clientID     string
		clientSecret string
		style        oauth2.AuthStyle
	}{
		{"client_secret_basic (AuthStyleInHeader)", confidentialID, confidentialPass, oauth2.AuthStyleInHeader},
		{"client_secret_post (AuthStyleInParams)", postID, postPass, oauth2.AuthStyleInParams},
		{"public client (AuthStyleInParams, no secret)", publicID, "", oauth2.AuthStyleInParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			ts := httptest.NewServer(srv)
			defer ts.Close()
			cfg := oauth2.Config{
				ClientID: tc.clientID, ClientSecret: tc.clientSecret, RedirectURL: testRedirect,
				Endpoint: oauth2.Endpoint{TokenURL: ts.URL + "/oauth/token", AuthStyle: tc.style},
			}
			verifier := oauth2.GenerateVerifier()
			// The browser side is not wired up here: issue the code the
			// authorization endpoint would have issued for this challenge.
			code := issueCode(t, st, codeSpec{clientID: tc.clientID, redirectURI: testRedirect,
				challenge: oauth2.S256ChallengeFromVerifier(verifier), scopes: []string{"basic_info"}})

			tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			assert.Equal(t, "Bearer", tok.TokenType)
			require.NotEmpty(t, tok.RefreshToken)
			assert.Equal(t, "basic_info", tok.Extra("scope"))
			assertActive(t, srv, tok.AccessToken, true)

			// Replaying the code through the library fails with invalid_grant.
			_, err = cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
			var re *oauth2.RetrieveError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "invalid_grant", re.ErrorCode)
			// ...and killed the grant, so start again with a fresh code.
			code = issueCode(t, st, codeSpec{clientID: tc.clientID, redirectURI: testRedirect,
				challenge: oauth2.S256ChallengeFromVerifier(verifier), scopes: []string{"basic_info"}})
			tok, err = cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
			require.NoError(t, err)

			// Force a refresh through the TokenSource.
			expired := *tok
			expired.Expiry = time.Now().Add(-time.Minute)
			fresh, err := cfg.TokenSource(t.Context(), &expired).Token()
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
			assert.NotEqual(t, tok.RefreshToken, fresh.RefreshToken, "the refresh token was rotated")
			assert.True(t, fresh.Expiry.After(time.Now()))
			assertActive(t, srv, fresh.AccessToken, true)

			// The rotated refresh token is dead; using it revokes the grant.
			_, err = cfg.TokenSource(t.Context(), &expired).Token()
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "invalid_grant", re.ErrorCode)
			assertActive(t, srv, fresh.AccessToken, false)
		})
	}
}
