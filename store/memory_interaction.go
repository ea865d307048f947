package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// requestKey names a pending request; it cannot collide with a consentKey.
func requestKey(id string) string { return "r\x00" + id }

// consentKey names a consent. The subject's length comes first, so that no
// two (subject, client) pairs share a key whatever bytes they hold.
func consentKey(subject, clientID string) string {
	return "c" + strconv.Itoa(len(subject)) + ":" + subject + clientID
}

// SaveAuthRequest implements [InteractionStore].
func (m *Memory) SaveAuthRequest(_ context.Context, r AuthRequest) error {
	if r.ID == "" {
		return fmt.Errorf("%w: auth request without id", ErrInvalid)
	}
	d, err := ttl(r.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	r = cloneAuthRequest(r)
	key := requestKey(r.ID)
	s := m.pending.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Set(key, &r, d)
	return nil
}

// AuthRequest implements [InteractionStore].
func (m *Memory) AuthRequest(_ context.Context, id string) (AuthRequest, error) {
	return m.readAuthRequest(requestKey(id), time.Now())
}

// readAuthRequest returns a copy of the request stored under key if it is
// live at now.
func (m *Memory) readAuthRequest(key string, now time.Time) (AuthRequest, error) {
	v, ok := m.pending.get(key)
	if !ok {
		return AuthRequest{}, ErrNotFound
	}
	r := v.(*AuthRequest)
	if !now.Before(r.ExpiresAt) {
		return AuthRequest{}, ErrNotFound
	}
	return cloneAuthRequest(*r), nil
}

// ConsumeAuthRequest implements [InteractionStore].
func (m *Memory) ConsumeAuthRequest(_ context.Context, id string) (AuthRequest, error) {
	now := time.Now()
	key := requestKey(id)
	s := m.pending.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := m.readAuthRequest(key, now)
	if err != nil {
		return AuthRequest{}, err
	}
	s.c.Delete(key)
	return r, nil
}

// SaveConsent implements [InteractionStore].
func (m *Memory) SaveConsent(_ context.Context, c Consent) error {
	if c.Subject == "" || c.ClientID == "" {
		return fmt.Errorf("%w: consent without subject or client", ErrInvalid)
	}
	d, err := ttl(c.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	c.Scopes = slices.Clone(c.Scopes)
	key := consentKey(c.Subject, c.ClientID)
	s := m.pending.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Set(key, &c, d)
	return nil
}

// Consent implements [InteractionStore].
func (m *Memory) Consent(_ context.Context, subject, clientID string) (Consent, error) {
	now := time.Now()
	v, ok := m.pending.get(consentKey(subject, clientID))
	if !ok {
		return Consent{}, ErrNotFound
	}
	c := *v.(*Consent)
	if !now.Before(c.ExpiresAt) {
		return Consent{}, ErrNotFound
	}
	c.Scopes = slices.Clone(c.Scopes)
	return c, nil
}

// DeleteConsent implements [InteractionStore].
func (m *Memory) DeleteConsent(_ context.Context, subject, clientID string) error {
	key := consentKey(subject, clientID)
	s := m.pending.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Delete(key)
	return nil
}

func cloneAuthRequest(r AuthRequest) AuthRequest {
	r.Scopes = slices.Clone(r.Scopes)
	r.Resources = slices.Clone(r.Resources)
	r.Prompt = slices.Clone(r.Prompt)
	r.ACRValues = slices.Clone(r.ACRValues)
	r.UILocales = slices.Clone(r.UILocales)
	r.Claims = slices.Clone(r.Claims)
	return r
}
