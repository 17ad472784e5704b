package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// emulator is the built-in Microsoft 365 emulator's package.
const emulator = "mailbridge/internal/m365sim"

// emulatorWiring may import the emulator: the command (demo mode and
// "mailbridge m365sim") and the demo seed that fills it. Tests may too;
// go list without -test does not count their imports.
var emulatorWiring = map[string]bool{"mailbridge": true, "mailbridge/internal/demo": true}

// TestImports_EmulatorStaysSeparate enforces the import rule between the
// product and the emulator: product packages never import the emulator
// (directly or through another package), so nothing in production can
// depend on it; and the emulator imports no product package, so it emulates
// Microsoft from the outside and can be run on its own.
func TestImports_EmulatorStaysSeparate(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		if !strings.HasPrefix(p.ImportPath, "mailbridge") {
			continue
		}
		checked++
		inEmulator := p.ImportPath == emulator || strings.HasPrefix(p.ImportPath, emulator+"/")
		for _, dep := range p.Deps {
			depInEmulator := dep == emulator || strings.HasPrefix(dep, emulator+"/")
			switch {
			case inEmulator && !depInEmulator && (dep == "mailbridge" || strings.HasPrefix(dep, "mailbridge/")):
				t.Errorf("%s imports the product package %s: the emulator must not depend on Mailbridge", p.ImportPath, dep)
			case !inEmulator && depInEmulator && !emulatorWiring[p.ImportPath]:
				t.Errorf("%s imports the emulator (%s): only the demo wiring may (%v)", p.ImportPath, dep, emulatorWiring)
			}
		}
	}
	require.Greater(t, checked, 10, "go list found the module's packages")
}
