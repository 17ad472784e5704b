package m365sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// loadState reads the persisted state, or returns an empty one when path is
// empty or the file does not exist yet.
func loadState(path string) (*state, error) {
	st := &state{}
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("m365sim: read state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("m365sim: parse state %s: %w", path, err)
	}
	return st, nil
}

// Save writes the state to Config.StatePath atomically (write to a temporary
// file, then rename). It is a no-op without a StatePath.
func (s *Sim) Save() error {
	if s.cfg.StatePath == "" {
		return nil
	}
	s.mu.Lock()
	b, err := json.Marshal(s.st)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("m365sim: encode state: %w", err)
	}
	dir := filepath.Dir(s.cfg.StatePath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("m365sim: save state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".m365sim-*.json")
	if err != nil {
		return fmt.Errorf("m365sim: save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("m365sim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("m365sim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.cfg.StatePath); err != nil {
		return fmt.Errorf("m365sim: save state: %w", err)
	}
	return nil
}
