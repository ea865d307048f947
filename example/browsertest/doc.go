// Package browsertest drives the demo app's real pages in headless
// Chromium through chromedp: sign in, approve or deny, and land on the
// client's redirect URI; a consent form submitted from another origin or
// from another browser is refused; an OpenID Connect sign-in in
// response_mode=form_post reaches the client by the server's
// auto-submitting page, and its ID Token passes go-oidc's checks; a
// logout at the end_session_endpoint, with an id_token_hint or confirmed
// on the logout page, ends the demo session and lands on the client's
// post_logout_redirect_uri with its state. It is a
// module of its own so that the root module does not depend on chromedp.
//
// Run it with
//
//	cd example/browsertest && go test ./...
//
// It looks for Chromium at /usr/bin/chromium. Without one the test is
// skipped, unless the environment variable CI is "true", when it fails.
package browsertest
