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
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending.Set(requestKey(r.ID), &r, d)
	return nil
}

// AuthRequest implements [InteractionStore].
func (m *Memory) AuthRequest(_ context.Context, id string) (AuthRequest, error) {
	v, ok := m.pending.Get(requestKey(id))
	if !ok {
		return AuthRequest{}, ErrNotFound
	}
	r := v.(*AuthRequest)
	if !time.Now().Before(r.ExpiresAt) {
		return AuthRequest{}, ErrNotFound
	}
	return cloneAuthRequest(*r), nil
}

// ConsumeAuthRequest implements [InteractionStore].
func (m *Memory) ConsumeAuthRequest(ctx context.Context, id string) (AuthRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.AuthRequest(ctx, id)
	if err != nil {
		return AuthRequest{}, err
	}
	m.pending.Delete(requestKey(id))
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
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending.Set(consentKey(c.Subject, c.ClientID), &c, d)
	return nil
}

// Consent implements [InteractionStore].
func (m *Memory) Consent(_ context.Context, subject, clientID string) (Consent, error) {
	v, ok := m.pending.Get(consentKey(subject, clientID))
	if !ok {
		return Consent{}, ErrNotFound
	}
	c := *v.(*Consent)
	if !time.Now().Before(c.ExpiresAt) {
		return Consent{}, ErrNotFound
	}
	c.Scopes = slices.Clone(c.Scopes)
	return c, nil
}

// DeleteConsent implements [InteractionStore].
func (m *Memory) DeleteConsent(_ context.Context, subject, clientID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending.Delete(consentKey(subject, clientID))
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
