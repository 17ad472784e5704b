package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"mailbridge/internal/config"
	"mailbridge/internal/microsoft"
)

// keysCmd implements "mailbridge keys rotate": after a new key is put first
// in MAILBRIDGE_TOKEN_KEY (the old one kept after it), it re-encrypts every
// stored Microsoft token under the new key; the old key can then be
// removed. Flags are those of serve (database, token key).
func keysCmd(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: mailbridge keys rotate [serve flags]: re-encrypt stored Microsoft tokens under the first key of MAILBRIDGE_TOKEN_KEY")
	}
	cfg, err := config.Parse(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Microsoft.TokenKey == "" {
		return errors.New("set MAILBRIDGE_TOKEN_KEY (or MAILBRIDGE_TOKEN_KEY_FILE): the new key first, then the old ones")
	}
	ring, err := cfg.Microsoft.Ring()
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := microsoft.RotateKeys(ctx, d.Client(), ring)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Re-encrypted the tokens of %d Microsoft accounts under key %q. Keys other than %q can be removed once no other instance uses them.\n", n, ring.Primary(), ring.Primary())
	return nil
}
