package redis

import "strconv"

// Keys. The package documentation ("Keys") describes the layout; these
// functions are its only definition. Every key starts with the prefix,
// then a kind: "{g:" for a grant and its codes, which share the grant's
// hash tag and so one Redis Cluster slot, "a:", "c:", "r:", "n:" or "o:"
// for records that no script touches together with another key, and "t:"
// for a [Counter]'s counts. A part that is followed by another carries
// its length, so that no two different lookups ever name one key, whatever
// bytes they hold.

// grantTag returns the hash-tagged part every key of grant id starts with:
// "{g:<len>:<id>}". If id holds a '}', the tag Redis hashes ends there
// instead; it is still the same for every key of the grant.
func (s *Store) grantTag(id string) string {
	return s.prefix + "{g:" + strconv.Itoa(len(id)) + ":" + id + "}"
}

// grantKey names grant id's hash.
func (s *Store) grantKey(id string) string { return s.grantTag(id) }

// codeKey names the code of grant grantID with the given hash.
func (s *Store) codeKey(grantID, hash string) string { return s.grantTag(grantID) + "c:" + hash }

// accessKey names an access token, by its hash alone: its string carries
// no grant ID (see [store.AccessTokenStore]).
func (s *Store) accessKey(hash string) string { return s.prefix + "a:" + hash }

// clientKey names a client.
func (s *Store) clientKey(id string) string { return s.prefix + "c:" + id }

// requestKey names a pending authorization request.
func (s *Store) requestKey(id string) string { return s.prefix + "r:" + id }

// consentKey names the consent subject gave clientID.
func (s *Store) consentKey(subject, clientID string) string {
	return s.prefix + "n:" + strconv.Itoa(len(subject)) + ":" + subject + clientID
}

// onceKey names a use-once key.
func (s *Store) onceKey(key string) string { return s.prefix + "o:" + key }

// counterKey names the count of key.
func (c *Counter) counterKey(key string) string { return c.prefix + "t:" + key }
