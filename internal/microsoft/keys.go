package microsoft

import (
	"context"
	"fmt"

	"mailbridge/ent"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/internal/tokencrypt"
	"mailbridge/internal/viewer"
)

// RotateKeys re-encrypts, under the ring's primary key, every stored token
// that another key encrypted (QUALITY.md §7.4: add the new key first in
// MAILBRIDGE_TOKEN_KEY, run this, then remove the old key). Each row is
// rewritten with a compare-and-swap on token_version, so a concurrent
// refresh wins and the row is picked up by the next run. It returns how
// many accounts were re-encrypted; a token that does not decrypt with any
// key of the ring is an error naming the account.
func RotateKeys(ctx context.Context, client *ent.Client, ring *tokencrypt.Ring) (int, error) {
	sys := viewer.SystemContext(ctx)
	rotated, lastID := 0, 0
	for {
		page, err := client.MicrosoftAccount.Query().
			Where(microsoftaccount.IDGT(lastID)).
			Order(ent.Asc(microsoftaccount.FieldID)).
			Limit(200).
			All(sys)
		if err != nil {
			return rotated, fmt.Errorf("microsoft: list accounts: %w", err)
		}
		if len(page) == 0 {
			return rotated, nil
		}
		for _, a := range page {
			lastID = a.ID
			upd := client.MicrosoftAccount.UpdateOneID(a.ID).
				Where(microsoftaccount.TokenVersion(a.TokenVersion)).
				SetTokenVersion(a.TokenVersion + 1)
			changed := false
			for _, col := range []struct {
				value *string
				place tokencrypt.Place
				set   func(string) *ent.MicrosoftAccountUpdateOne
			}{
				{a.AccessToken, accessPlace(a), upd.SetAccessToken},
				{a.RefreshToken, refreshPlace(a), upd.SetRefreshToken},
			} {
				if col.value == nil || !ring.NeedsRotation(*col.value) {
					continue
				}
				plain, err := ring.Decrypt(*col.value, col.place)
				if err != nil {
					return rotated, fmt.Errorf("microsoft: account %d, %s: %w", a.ID, col.place.Column, err)
				}
				enc, err := ring.Encrypt(plain, col.place)
				if err != nil {
					return rotated, err
				}
				col.set(enc)
				changed = true
			}
			if !changed {
				continue
			}
			err := upd.Exec(sys)
			if ent.IsNotFound(err) {
				continue // refreshed meanwhile, under the primary key already
			}
			if err != nil {
				return rotated, fmt.Errorf("microsoft: re-encrypt account %d: %w", a.ID, err)
			}
			rotated++
		}
	}
}

// CheckKeys fails when a stored token was encrypted with a key the ring
// does not hold, naming the key id, so a removed key is noticed at
// start-up rather than as failing mailboxes (QUALITY.md §7.4).
func CheckKeys(ctx context.Context, client *ent.Client, ring *tokencrypt.Ring) error {
	sys := viewer.SystemContext(ctx)
	known := map[string]bool{}
	for _, kid := range ring.KeyIDs() {
		known[kid] = true
	}
	lastID := 0
	for {
		page, err := client.MicrosoftAccount.Query().
			Where(microsoftaccount.IDGT(lastID)).
			Order(ent.Asc(microsoftaccount.FieldID)).
			Select(microsoftaccount.FieldID, microsoftaccount.FieldAccessToken, microsoftaccount.FieldRefreshToken).
			Limit(1000).
			All(sys)
		if err != nil {
			return fmt.Errorf("microsoft: check token keys: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, a := range page {
			lastID = a.ID
			for _, v := range []*string{a.AccessToken, a.RefreshToken} {
				if v == nil {
					continue
				}
				kid, err := tokencrypt.KeyID(*v)
				if err != nil || !known[kid] {
					return fmt.Errorf("stored Microsoft tokens use key %q, which MAILBRIDGE_TOKEN_KEY does not hold: add it back (after the primary key), or run `mailbridge keys rotate` with both keys before removing it", kid)
				}
			}
		}
	}
}
