package demo_test

import (
	"bytes"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

// curlRe matches a printed curl command with its continuation lines.
var curlRe = regexp.MustCompile(`(?m)^   curl (?:.*\\\n)*.*$`)

// fakeCurl is a shell function that prints its arguments, each ended by
// a NUL byte, in place of curl.
const fakeCurl = `curl() { for a in "$@"; do printf '%s\0' "$a"; done; }` + "\n"

// formSent runs a printed curl command in sh with curl replaced by
// fakeCurl, and builds the form body curl would send from the arguments
// the shell gave it: -d data as is, --data-urlencode name=content with the
// content percent-encoded.
func formSent(t *testing.T, command string) url.Values {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("demo: no sh to run the printed commands")
	}
	out, err := exec.CommandContext(t.Context(), sh, "-c", fakeCurl+command).Output()
	require.NoError(t, err, command)
	args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	var parts []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-d":
			i++
			parts = append(parts, args[i])
		case "--data-urlencode":
			i++
			name, content, ok := strings.Cut(args[i], "=")
			require.True(t, ok, "a name=content argument: %q", args[i])
			parts = append(parts, name+"="+url.QueryEscape(content))
		}
	}
	form, err := url.ParseQuery(strings.Join(parts, "&"))
	require.NoError(t, err, command)
	return form
}

// TestWalkthroughCommandsSurviveSpecialCharacters: values from a clients
// file with characters that mean something to a form body ("&", "+", "%",
// "=") or to the shell (quotes, "$", backquotes, spaces) reach the server
// intact when the printed commands are pasted into a shell.
func TestWalkthroughCommandsSurviveSpecialCharacters(t *testing.T) {
	const base = "http://127.0.0.1:8080"
	user := demo.User{
		Username: `an&i o'neil`,
		Password: `p&ss+w%rd=1 'x' "$HOME" ` + "`id`" + ` \`,
		Name:     "Ani", Email: "ani@example.id",
	}
	client := demo.ClientSpec{
		ClientID:                "my app&co",
		ClientSecret:            `s3cr&t+%41='$PATH'-0123`,
		GrantTypes:              []string{"password"},
		Scope:                   "basic_info phone",
		TokenEndpointAuthMethod: "client_secret_post",
		Resources:               []string{demo.APIResource(base)},
	}
	var out bytes.Buffer
	require.NoError(t, demo.WriteWalkthrough(&out, base, demo.Data{Clients: []demo.ClientSpec{client}, Users: []demo.User{user}}, ""))

	var password []string
	for _, cmd := range curlRe.FindAllString(out.String(), -1) {
		if strings.Contains(cmd, "grant_type=password") {
			password = append(password, cmd)
		}
	}
	require.Len(t, password, 2, "the password grant and the JWT sections:\n%s", out.String())

	form := formSent(t, password[0])
	assert.Equal(t, url.Values{
		"grant_type": {"password"}, "username": {user.Username}, "password": {user.Password},
		"scope": {client.Scope}, "client_id": {client.ClientID}, "client_secret": {client.ClientSecret},
	}, form, password[0])

	form = formSent(t, password[1])
	assert.Equal(t, url.Values{
		"grant_type": {"password"}, "username": {user.Username}, "password": {user.Password},
		"scope": {"basic_info"}, "resource": {base + "/api"},
		"client_id": {client.ClientID}, "client_secret": {client.ClientSecret},
	}, form, password[1])
}
