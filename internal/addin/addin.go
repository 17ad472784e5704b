// Package addin records the Outlook add-in version each user's add-in
// reports and compares it with the configured minimum
// (OUTLOOK_ADDIN_MIN_VERSION). Migrating a mailbox from EWS to Microsoft
// Graph needs the add-in at that version or later; Mailbridge warns below
// it but does not block the connection.
package addin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mailbridge/ent"
	"mailbridge/internal/apperr"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// maxVersionLen is the outlook_addin_version column's length.
const maxVersionLen = 32

// Version is a dotted version such as 1.4.2: one to four numbers.
type Version []int

// ParseVersion parses a dotted version of one to four non-negative numbers
// (1, 2.0, 1.4.2, 16.0.17328.20124).
func ParseVersion(s string) (Version, error) {
	if s == "" || len(s) > maxVersionLen {
		return nil, fmt.Errorf("a version is one to four numbers separated by dots, such as 1.4.2, and at most %d characters, not %q", maxVersionLen, s)
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return nil, fmt.Errorf("a version is one to four numbers separated by dots, such as 1.4.2, not %q", s)
	}
	v := make(Version, len(parts))
	for i, p := range parts {
		if p == "" || len(p) > 9 || strings.TrimLeft(p, "0123456789") != "" {
			return nil, fmt.Errorf("a version is one to four numbers separated by dots, such as 1.4.2, not %q", s)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("a version is one to four numbers separated by dots, such as 1.4.2, not %q", s)
		}
		v[i] = n
	}
	return v, nil
}

// Compare returns -1, 0 or 1 as v is older than, equal to or newer than w;
// missing trailing parts count as 0 (1.2 == 1.2.0).
func (v Version) Compare(w Version) int {
	for i := range max(len(v), len(w)) {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	return 0
}

// Warning is a note for the person connecting a mailbox: it does not stop
// the connection.
type Warning struct {
	// Code is stable: OUTLOOK_ADDIN_OUTDATED.
	Code    string
	Message string
}

// CodeOutdated: the add-in last reported a version below the minimum.
const CodeOutdated = "OUTLOOK_ADDIN_OUTDATED"

// Service records reported versions and checks them against the minimum.
type Service struct {
	client *ent.Client
	min    Version
	minRaw string
	now    func() time.Time
}

// NewService returns the service; minVersion "" turns the check off. The
// configuration validated minVersion at start-up.
func NewService(client *ent.Client, minVersion string, now func() time.Time) (*Service, error) {
	s := &Service{client: client, minRaw: minVersion, now: now}
	if s.now == nil {
		s.now = time.Now
	}
	if minVersion != "" {
		v, err := ParseVersion(minVersion)
		if err != nil {
			return nil, fmt.Errorf("outlook add-in minimum version: %w", err)
		}
		s.min = v
	}
	return s, nil
}

// MinVersion is the configured minimum version ("" when there is none).
func (s *Service) MinVersion() string { return s.minRaw }

// Report records the version the viewer's Outlook add-in reports, with the
// time (UTC), and returns the updated user.
func (s *Service) Report(ctx context.Context, version string) (*ent.User, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in (or use an API token) to report the Outlook add-in's version.")
	}
	version = strings.TrimSpace(version)
	if _, err := ParseVersion(version); err != nil {
		return nil, apperr.Validation("addin.badVersion", "version",
			"The Outlook add-in version must be one to four numbers separated by dots, such as 1.4.2 (at most 32 characters).")
	}
	u, err := txn.Client(ctx, s.client).User.UpdateOneID(v.UserID).
		SetOutlookAddinVersion(version).
		SetOutlookAddinReportedAt(s.now().UTC()).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("addin: record version for user %d: %w", v.UserID, err)
	}
	return u, nil
}

// ConnectWarning is the note for connecting a mailbox of u when a minimum
// is configured and u's add-in last reported an older version; nil
// otherwise (no minimum, nothing reported, or new enough).
func (s *Service) ConnectWarning(u *ent.User) *Warning {
	if s == nil || s.min == nil {
		return nil
	}
	if u.OutlookAddinVersion == nil {
		return nil // no add-in has reported: the user may not use it
	}
	reported, err := ParseVersion(*u.OutlookAddinVersion)
	if err != nil || reported.Compare(s.min) < 0 {
		return &Warning{Code: CodeOutdated, Message: fmt.Sprintf(
			"Your Outlook add-in is version %s; connecting with Office 365 needs version %s or later. Upgrade the add-in, or it stops working once the mailbox uses Microsoft Graph. The connection itself is not affected.", *u.OutlookAddinVersion, s.minRaw)}
	}
	return nil
}

// ConnectWarnings loads the user who owns the mailbox being connected and
// returns the notes that apply (none when the minimum is unset).
func (s *Service) ConnectWarnings(ctx context.Context, userID int) ([]*Warning, error) {
	if s == nil || s.min == nil {
		return nil, nil
	}
	u, err := txn.Client(ctx, s.client).User.Get(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("addin: load user %d: %w", userID, err)
	}
	if w := s.ConnectWarning(u); w != nil {
		return []*Warning{w}, nil
	}
	return nil, nil
}
