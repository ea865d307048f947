package authserver

// endSessionEnabled reports whether the end_session_endpoint is served
// (RP-Initiated Logout 1.0 §2): OpenID Connect is on and the host can end
// its session.
func (c *Config) endSessionEnabled() bool {
	return c.OpenID.Enabled && c.OpenID.EndSession != nil
}

// checkLogout checks the settings of RP-Initiated Logout and of pairwise
// subjects, as the host set them (before Paths takes its defaults): each
// needs OpenID Connect, and the logout pages and path need
// OpenID.EndSession.
func (c *Config) checkLogout(p *problems) {
	type setting struct {
		set   bool
		field string
	}
	o := c.OpenID
	logout := []setting{
		{c.Paths.EndSession != "", "Paths.EndSession"},
		{o.LogoutTemplate != nil, "OpenID.LogoutTemplate"},
		{o.SignedOutTemplate != nil, "OpenID.SignedOutTemplate"},
	}
	if !o.Enabled {
		all := append(logout, setting{o.EndSession != nil, "OpenID.EndSession"}, setting{o.PairwiseKey != nil, "OpenID.PairwiseKey"})
		for _, f := range all {
			if f.set {
				p.add(f.field, "is set but OpenID Connect is off: set OpenID.Enabled")
			}
		}
		return
	}
	if o.EndSession == nil {
		for _, f := range logout {
			if f.set {
				p.add(f.field, "is set but OpenID.EndSession is nil, so no end_session_endpoint is served")
			}
		}
	}
	if o.PairwiseKey != nil && len(o.PairwiseKey) < minPairwiseKeyLen {
		p.add("OpenID.PairwiseKey", "must be at least %d bytes", minPairwiseKeyLen)
	}
}

// checkClientLogout checks a registration's post_logout_redirect_uris
// (RP-Initiated Logout 1.0 §3.1).
func (s *Server) checkClientLogout(p *problems, c Client) {
	if len(c.PostLogoutRedirectURIs) > 0 && !s.cfg.endSessionEnabled() {
		p.add("PostLogoutRedirectURIs", "are set but no end_session_endpoint is served (Config.OpenID.EndSession)")
		return
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := s.checkRedirectURI(u); err != nil {
			p.add("PostLogoutRedirectURIs", "%q: %v", u, err)
		}
	}
}
