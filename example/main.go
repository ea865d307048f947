// Command example runs the kunci demo: an OAuth 2.0 authorization server
// (RFC 6749) and OpenID Provider (OpenID Connect Core 1.0) and a protected
// API on one address, with an in-memory store, a login page and demo
// clients and users (package demo). It prints the clients, the users and a
// walkthrough with fresh PKCE values at start.
//
//	go run ./example [-addr 127.0.0.1:8080] [-issuer URL] [-clients FILE] [-compat LIST] [-pairwise-key HEX] [-v]
//
// -clients reads {"clients": [...], "users": [...]}: clients in RFC 7591
// metadata names (client_id, client_secret, client_name, redirect_uris,
// grant_types, response_types, scope, token_endpoint_auth_method among
// client_secret_basic, client_secret_post, private_key_jwt and none, jwks
// as an inline JSON object, jwks_uri), OpenID Connect Registration §2 names
// (application_type, id_token_signed_response_alg: RS256 or ES256,
// default_max_age in seconds, subject_type: public or pairwise,
// token_endpoint_auth_signing_alg), RP-Initiated Logout's
// post_logout_redirect_uris, RFC 9126's
// require_pushed_authorization_requests, plus login_uri, pkce_optional,
// resources and sector_identifier (the demo's name for the host a
// pairwise sub is derived for; sector_identifier_uri is not supported and
// is an error); users with
// username, password, name, email, phone and claims, an object of other
// OpenID Connect Core §5.1 claims (given_name, picture, email_verified,
// address, ...). Any other field is an error. -compat turns on the seed
// APIs' behaviours that the server refuses by default, as a comma-separated
// list: nuid-v1 (the code exchange without grant_type and revocation with
// only the token, as version 1 of the NU.ID API sends them) and apigee
// (Apigee's extended token response); see authserver.Compat. -v logs at debug level (refused
// requests, never tokens) to stderr. SIGINT or SIGTERM shuts it down
// gracefully; a second one ends it at once.
//
// A session, abridged (tokens shortened, B=http://127.0.0.1:8080):
//
//	# The authorization code grant with PKCE (RFC 7636), public client nuid-spa.
//	# Nobody is signed in: "login needed".
//	$ curl -si -c jar -b jar "$B/oauth/authorize?response_type=code&client_id=nuid-spa&redirect_uri=$B/callback&scope=basic_info+phone&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
//	HTTP/1.1 302 Found
//	Location: /login?cancel_to=%2Foauth%2Fauthorize%3Frequest_id%3DJEIp...%26cancel%3D1&return_to=%2Foauth%2Fauthorize%3Frequest_id%3DJEIp...
//
//	# The login page sets a pre-session cookie (a nonce and its HMAC) and
//	# binds its CSRF token to the nonce.
//	$ curl -si -c jar -b jar "$B/login?return_to=...&cancel_to=..."
//	HTTP/1.1 200 OK
//	Set-Cookie: kunci_demo_login=DE5Z....x0Fq...; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax
//	<input type="hidden" name="csrf_token" value="nSEt...">
//	<input type="hidden" name="return_to" value="/oauth/authorize?request_id=JEIp...">
//	<a href="/oauth/authorize?request_id=JEIp...&amp;cancel=1" id="cancel">Cancel</a>
//
//	$ curl -si -c jar -b jar $B/login -d csrf_token=nSEt... --data-urlencode return_to=/oauth/authorize?request_id=JEIp... -d username=budi -d password=budi-password
//	HTTP/1.1 303 See Other
//	Location: /oauth/authorize?request_id=JEIp...
//	Set-Cookie: kunci_demo_session=6LRS...; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax
//
//	# Signed in: "consent needed".
//	$ curl -s -b jar "$B/oauth/authorize?request_id=JEIp..."
//	<h1>NU.ID Mobile wants to access your account</h1>
//	<input type="hidden" name="request_id" value="JEIp...">
//	<input type="hidden" name="csrf_token" value="aUaK...">
//	<input type="checkbox" name="scope" value="basic_info" checked> Read your name and email address
//	<input type="checkbox" name="scope" value="phone" checked> Read your phone number
//
//	$ curl -si -b jar $B/oauth/consent -d request_id=JEIp... -d csrf_token=aUaK... -d scope=basic_info -d scope=phone -d decision=approve
//	HTTP/1.1 303 See Other
//	Location: http://127.0.0.1:8080/callback?code=kac_Ku_K...&iss=http%3A%2F%2F127.0.0.1%3A8080&state=xyz
//
//	$ curl -s $B/oauth/token -d grant_type=authorization_code -d client_id=nuid-spa -d code=kac_Ku_K... --data-urlencode redirect_uri=$B/callback -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
//	{"access_token":"kat_5X15...","token_type":"Bearer","expires_in":1800,"refresh_token":"krt_1VAv...","scope":"basic_info phone"}
//
//	$ curl -si $B/api/me -H "Authorization: Bearer kat_5X15..."
//	HTTP/1.1 200 OK
//	{"sub":"budi","name":"Budi Santoso","email":"budi@example.id","phone":"+62 812 0000 0001"}
//
//	$ curl -si $B/api/me
//	HTTP/1.1 401 Unauthorized
//	Www-Authenticate: Bearer
//
//	# Refresh through NU.ID's alias (Apigee's is /oauth/refresh): the refresh
//	# token rotates, and replaying the old one revokes the grant.
//	$ curl -s $B/oauth/refreshAccessToken -d grant_type=refresh_token -d client_id=nuid-spa -d refresh_token=krt_1VAv...
//	{"access_token":"kat_NELt...","token_type":"Bearer","expires_in":1800,"refresh_token":"krt_glUF...","scope":"basic_info phone"}
//	$ curl -si $B/oauth/refresh -d grant_type=refresh_token -d client_id=nuid-spa -d refresh_token=krt_1VAv...
//	HTTP/1.1 400 Bad Request
//	{"error":"invalid_grant","error_description":"invalid refresh token"}
//
//	# The password grant (confidential nuid-web), a token without basic_info.
//	$ curl -s $B/oauth/token -u nuid-web:nuid-web-secret-0123456789 -d grant_type=password -d username=budi -d password=budi-password -d scope=keys_op
//	{"access_token":"kat_Sugs...","token_type":"Bearer","expires_in":1800,"refresh_token":"krt_MdAA..."}
//	$ curl -si $B/api/me -H "Authorization: Bearer kat_Sugs..."
//	HTTP/1.1 403 Forbidden
//	Www-Authenticate: Bearer error="insufficient_scope", scope="basic_info"
//
//	# OpenID Connect sign-in (confidential nuid-web) with scope openid, a
//	# nonce and response_mode=form_post. Sign in and load the consent page
//	# as above; Allow answers with a page that posts the response to the
//	# redirect URI, under a policy that runs only its own script.
//	$ curl -si -c jar -b jar "$B/oauth/authorize?response_type=code&client_id=nuid-web&redirect_uri=$B/callback&scope=openid+email&state=xyz&nonce=n-0S6&response_mode=form_post&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
//	HTTP/1.1 302 Found
//	Location: /login?cancel_to=...&return_to=%2Foauth%2Fauthorize%3Frequest_id%3DW_Mf...
//	$ curl -si -b jar $B/oauth/consent -d request_id=W_Mf... -d csrf_token=qAWx... -d scope=openid -d scope=email -d decision=approve
//	HTTP/1.1 200 OK
//	Content-Security-Policy: default-src 'none'; script-src 'nonce-ddrU...'; base-uri 'none'; frame-ancestors 'none'
//	<form method="post" action="http://127.0.0.1:8080/callback">
//	<input type="hidden" name="code" value="kac_pJIh...">
//	<input type="hidden" name="iss" value="http://127.0.0.1:8080">
//	<input type="hidden" name="state" value="xyz">
//	<script nonce="ddrU...">document.forms[0].submit()</script>
//
//	# The browser posts that form to POST /callback, which shows it. The code
//	# exchanges for an ID Token (RS256; its payload below), checked against
//	# $B/oauth/jwks; no refresh token without offline_access.
//	$ curl -s $B/oauth/token -u nuid-web:nuid-web-secret-0123456789 -d grant_type=authorization_code -d code=kac_pJIh... --data-urlencode redirect_uri=$B/callback -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
//	{"access_token":"kat_o19Z...","token_type":"Bearer","expires_in":1800,"scope":"openid email","id_token":"eyJhbGciOiJSUzI1NiIs..."}
//	{"iss":"http://127.0.0.1:8080","sub":"budi","aud":"nuid-web","exp":1796322576,"iat":1796318976,"auth_time":1796318969,"nonce":"n-0S6","amr":["pwd"],"azp":"nuid-web","at_hash":"0Cwv...","sid":"K0T4..."}
//	$ curl -s $B/oauth/userinfo -H "Authorization: Bearer kat_o19Z..."
//	{"email":"budi@example.id","email_verified":true,"sub":"budi"}
//
//	# Introspection (RFC 7662) and revocation (RFC 7009).
//	$ curl -s $B/oauth/introspect -u nuid-web:nuid-web-secret-0123456789 -d token=kat_Sugs...
//	{"active":true,"scope":"keys_op","client_id":"nuid-web","sub":"budi","token_type":"Bearer","exp":1795412945,"iat":1795411145,"iss":"http://127.0.0.1:8080"}
//	$ curl -si $B/oauth/revoke -u nuid-web:nuid-web-secret-0123456789 -d token=kat_Sugs...
//	HTTP/1.1 200 OK
//	Content-Length: 0
//	$ curl -s $B/oauth/introspect -u nuid-web:nuid-web-secret-0123456789 -d token=kat_Sugs...
//	{"active":false}
//
//	# Client credentials: the token acts for the service, not a user.
//	$ curl -s $B/oauth/token -u report-service:report-service-secret-0123 -d grant_type=client_credentials -d scope=basic_info
//	{"access_token":"kat_z2GK...","token_type":"Bearer","expires_in":1800}
//	$ curl -si $B/api/me -H "Authorization: Bearer kat_z2GK..."
//	HTTP/1.1 403 Forbidden
//	{"error":"no_user","error_description":"this token acts for a client, not for a user","client_id":"report-service"}
//
//	# A JWT access token (RFC 9068) for the API resource (RFC 8707), checked
//	# by /api/jwt/me against the server's own JWKS; opaque tokens are refused there.
//	$ curl -s $B/oauth/token -u nuid-web:nuid-web-secret-0123456789 -d grant_type=password -d username=budi -d password=budi-password -d scope=basic_info --data-urlencode resource=$B/api
//	{"access_token":"eyJhbGciOiJFUzI1NiIs...","token_type":"Bearer","expires_in":1800,"refresh_token":"krt_..."}
//	$ curl -si $B/api/jwt/me -H "Authorization: Bearer eyJhbGciOiJFUzI1NiIs..."
//	HTTP/1.1 200 OK
//	{"sub":"budi","name":"Budi Santoso","email":"budi@example.id"}
//	$ curl -si $B/api/jwt/me -H "Authorization: Bearer kat_5X15..."
//	HTTP/1.1 401 Unauthorized
//	Www-Authenticate: Bearer error="invalid_token"
//
//	# Prakerja's consent-sso: the user cancels at the login page and is sent
//	# back to the partner's login_uri.
//	$ curl -si "$B/consent-sso?client_id=prakerja-partner&client_name=Mitra+Pelatihan&login_uri=$B/partner/login&redirect_uri=$B/callback&scope=name+email+prakerjaid+notelp&state=p1"
//	HTTP/1.1 302 Found
//	Location: /login?cancel_to=%2Foauth%2Fauthorize%3Frequest_id%3DLhDr...%26cancel%3D1&return_to=...
//	$ curl -si "$B/oauth/authorize?request_id=LhDr...&cancel=1"
//	HTTP/1.1 302 Found
//	Location: http://127.0.0.1:8080/partner/login?error=access_denied&state=p1
//
//	# Started with -compat nuid-v1,apigee: Apigee's fields in every token
//	# response, revocation with only the token, a code exchange without
//	# grant_type (read as authorization_code).
//	$ curl -s $B/oauth/token -u report-service:report-service-secret-0123 -d grant_type=client_credentials -d scope=basic_info
//	{"access_token":"kat_iv6K...","token_type":"Bearer","expires_in":1800,"issued_at":"1796302916435","client_id":"report-service","application_name":"Reporting Service","status":"approved"}
//	$ curl -si $B/oauth/revoke -d token=kat_iv6K...
//	HTTP/1.1 200 OK
//	$ curl -s $B/oauth/token -d client_id=nuid-spa -d code=kac_Ku_K... --data-urlencode redirect_uri=$B/callback -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
//	{"access_token":"kat_...","token_type":"Bearer","expires_in":1800,"refresh_token":"krt_...","scope":"basic_info phone",...}
//
// The implicit grant (response_type=token for nuid-spa) returns the token in
// the callback URL's fragment; open the URL the walkthrough prints in a
// browser.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts the graceful shutdown; stopping the relay
	// then restores the default action, so a second one ends the process
	// at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		os.Exit(1)
	}
}
