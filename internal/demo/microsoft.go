package demo

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"mailbridge/internal/config"
	"mailbridge/internal/tokencrypt"
)

// Microsoft fills the Microsoft settings demo mode left empty from the
// built-in emulator running at simURL: its app registration, its login and
// Graph origins, and a token key kept in dataDir/token.key (created on first
// start, so tokens survive restarts). Settings given explicitly win.
func Microsoft(m config.Microsoft, simURL, dataDir string) (config.Microsoft, error) {
	m.ClientID = cmp.Or(m.ClientID, EmulatorClientID)
	m.ClientSecret = cmp.Or(m.ClientSecret, EmulatorClientSecret)
	m.LoginURL = cmp.Or(m.LoginURL, strings.TrimRight(simURL, "/"))
	m.GraphURL = cmp.Or(m.GraphURL, strings.TrimRight(simURL, "/"))
	if m.TokenKey != "" {
		return m, nil
	}
	path := filepath.Join(dataDir, "token.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, gerr := tokencrypt.GenerateKey("demo1")
		if gerr != nil {
			return m, gerr
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return m, fmt.Errorf("demo: token key: %w", err)
		}
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			return m, fmt.Errorf("demo: write the token key %s: %w", path, err)
		}
		b, err = []byte(key), nil
	}
	if err != nil {
		return m, fmt.Errorf("demo: read the token key %s: %w", path, err)
	}
	m.TokenKey = strings.TrimSpace(string(b))
	if _, err := tokencrypt.ParseRing(m.TokenKey); err != nil {
		return m, fmt.Errorf("demo: token key %s (delete it to make a new one): %w", path, err)
	}
	return m, nil
}
