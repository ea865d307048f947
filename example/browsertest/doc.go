// Package browsertest drives the demo app's real pages in headless
// Chromium through chromedp: sign in, approve or deny, and land on the
// client's redirect URI; a consent form submitted from another origin or
// from another browser is refused. It is a module of its own so that the root module
// does not depend on chromedp.
//
// Run it with
//
//	cd example/browsertest && go test ./...
//
// It looks for Chromium at /usr/bin/chromium. Without one the test is
// skipped, unless the environment variable CI is "true", when it fails.
package browsertest
