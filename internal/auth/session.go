package auth

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/session"
	"mailbridge/internal/viewer"
)

// sessionTouchEvery limits last-seen writes to one per minute per session.
const sessionTouchEvery = time.Minute

// SignInMethod records how a session was created.
type SignInMethod string

// The sign-in methods.
const (
	// SignInDemo is the passwordless demo sign-in; its sessions are refused
	// outside demo mode.
	SignInDemo SignInMethod = "demo"
	// SignInMicrosoft is OpenID Connect sign-in with Microsoft.
	SignInMicrosoft SignInMethod = "microsoft"
)

// SignIn creates a session for a user, recording how they signed in, and
// sets its cookie on w. A session the request already carries ends: one
// browser holds one session.
func (s *Service) SignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int, method SignInMethod) error {
	ctx = viewer.SystemContext(ctx)
	if c, err := r.Cookie(s.CookieName()); err == nil && c.Value != "" {
		if _, err := s.client.Session.Delete().Where(session.TokenHash(hash(c.Value))).Exec(ctx); err != nil {
			return fmt.Errorf("auth: end the previous session: %w", err)
		}
	}
	secret, h := newSecret("mbs_")
	now := s.opts.Now()
	expires := now.Add(s.opts.AbsoluteTimeout)
	err := s.client.Session.Create().
		SetTokenHash(h).
		SetUserID(userID).
		SetCreatedAt(now).
		SetLastSeenAt(now).
		SetExpiresAt(expires).
		SetUserAgent(truncate(r.UserAgent(), 500)).
		SetSignInMethod(string(method)).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("auth: create session: %w", err)
	}
	http.SetCookie(w, s.cookie(secret, expires))
	return nil
}

// SignOut deletes the request's session (if any) and clears the cookie.
func (s *Service) SignOut(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(s.CookieName()); err == nil {
		_, err := s.client.Session.Delete().
			Where(session.TokenHash(hash(c.Value))).
			Exec(viewer.SystemContext(ctx))
		if err != nil {
			return fmt.Errorf("auth: delete session: %w", err)
		}
	}
	s.clearCookie(w)
	return nil
}

// sessionViewer resolves a session cookie value to its viewer. It returns
// nil (no error) for unknown, idle or expired sessions, and outside demo
// mode for sessions created by demo sign-in (which it deletes).
func (s *Service) sessionViewer(ctx context.Context, secret string) (*viewer.Viewer, error) {
	ctx = viewer.SystemContext(ctx)
	sess, err := s.client.Session.Query().
		Where(session.TokenHash(hash(secret))).
		WithUser().
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: look up session: %w", err)
	}
	now := s.opts.Now()
	demoRefused := SignInMethod(sess.SignInMethod) == SignInDemo && s.opts.DemoOrganization == ""
	if demoRefused || !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(s.opts.IdleTimeout)) {
		if err := s.client.Session.DeleteOne(sess).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			s.log.WarnContext(ctx, "auth: delete ended session", "error", err)
		}
		if demoRefused {
			s.log.WarnContext(ctx, "auth: refused a demo sign-in session outside demo mode", "session_id", sess.ID)
		}
		return nil, nil
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.client.Session.UpdateOne(sess).SetLastSeenAt(now).Exec(ctx); err != nil {
			s.log.WarnContext(ctx, "auth: touch session", "error", err)
		}
	}
	u := sess.Edges.User
	return &viewer.Viewer{UserID: u.ID, OrgID: u.OrgID, Admin: u.Role == "ADMIN", SessionID: sess.ID}, nil
}

// PurgeExpiredSessions deletes sessions past their absolute expiry or idle
// for longer than the idle timeout.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int, error) {
	now := s.opts.Now()
	n, err := s.client.Session.Delete().
		Where(session.Or(session.ExpiresAtLTE(now), session.LastSeenAtLTE(now.Add(-s.opts.IdleTimeout)))).
		Exec(viewer.SystemContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("auth: purge sessions: %w", err)
	}
	return n, nil
}

// PurgeSessionsEvery runs PurgeExpiredSessions now and then every interval
// until ctx ends, so the table holds only live sessions. It returns when
// ctx is done; run it in a goroutine and wait for it before closing the
// database.
func (s *Service) PurgeSessionsEvery(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if n, err := s.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "auth: purge sessions", "error", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "auth: purged ended sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Service) cookie(value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     s.CookieName(),
		Value:    value,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(time.Until(expires).Seconds()),
		Secure:   s.opts.SecureCookies,
		HttpOnly: true,
		// Lax, not Strict: Microsoft's redirect back to the OAuth callback
		// is a cross-site top-level navigation that must carry the session.
		SameSite: http.SameSiteLaxMode,
	}
}

func (s *Service) clearCookie(w http.ResponseWriter) {
	c := s.cookie("", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
