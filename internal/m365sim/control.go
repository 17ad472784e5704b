package m365sim

import (
	"encoding/json"
	"net/http"
)

// runtime is state that is not persisted: counters, in-flight requests,
// injected faults. Each half keeps its own part.
type runtime struct {
	identity identityRuntime
	mail     mailRuntime
}

func (rt *runtime) init() {
	rt.identity.init()
	rt.mail.init()
}

// controlHandler serves the control API under /_m365sim/. It is for tests and
// demos (create tenants and users, approve consent requests, inject faults,
// inspect what was sent) and mirrors the Go API.
func (s *Sim) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_m365sim/tenants", func(w http.ResponseWriter, r *http.Request) {
		var t Tenant
		if !decodeControl(w, r, &t) {
			return
		}
		t, err := s.AddTenant(t)
		writeControl(w, t, err)
	})
	mux.HandleFunc("GET /_m365sim/tenants/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		t, ok := s.Tenant(r.PathValue("tenant"))
		writeControl(w, t, okErr(ok))
	})
	mux.HandleFunc("PATCH /_m365sim/tenants/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		var patch json.RawMessage
		if !decodeControl(w, r, &patch) {
			return
		}
		var uerr error
		err := s.UpdateTenant(r.PathValue("tenant"), func(t *Tenant) { uerr = json.Unmarshal(patch, t) })
		t, _ := s.Tenant(r.PathValue("tenant"))
		writeControl(w, t, cmpOr(err, uerr))
	})
	mux.HandleFunc("POST /_m365sim/apps", func(w http.ResponseWriter, r *http.Request) {
		var a App
		if !decodeControl(w, r, &a) {
			return
		}
		a, err := s.AddApp(a)
		writeControl(w, a, err)
	})
	mux.HandleFunc("POST /_m365sim/users", func(w http.ResponseWriter, r *http.Request) {
		var u User
		if !decodeControl(w, r, &u) {
			return
		}
		u, err := s.AddUser(u)
		writeControl(w, u, err)
	})
	mux.HandleFunc("GET /_m365sim/users/{user}", func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.User(r.PathValue("user"))
		writeControl(w, u, okErr(ok))
	})
	mux.HandleFunc("PATCH /_m365sim/users/{user}", func(w http.ResponseWriter, r *http.Request) {
		var patch json.RawMessage
		if !decodeControl(w, r, &patch) {
			return
		}
		var uerr error
		err := s.UpdateUser(r.PathValue("user"), func(u *User) { uerr = json.Unmarshal(patch, u) })
		u, _ := s.User(r.PathValue("user"))
		writeControl(w, u, cmpOr(err, uerr))
	})
	mux.HandleFunc("POST /_m365sim/save", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, map[string]bool{"saved": s.cfg.StatePath != ""}, s.Save())
	})
	s.registerIdentityControl(mux)
	s.registerMailControl(mux)
	return mux
}

func okErr(ok bool) error {
	if ok {
		return nil
	}
	return ErrNotFound
}

// decodeControl reads a JSON control request body (at most 4 MiB).
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20))
	if err := dec.Decode(v); err != nil {
		writeControl(w, nil, controlError{http.StatusBadRequest, "invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

type controlError struct {
	status int
	msg    string
}

func (e controlError) Error() string { return e.msg }

// writeControl answers a control request: v as JSON, or {"error": "..."}
// with 404 for ErrNotFound, the controlError's status, or 400.
func writeControl(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusBadRequest
		if ce, ok := err.(controlError); ok {
			status = ce.status
		} else if err == ErrNotFound {
			status = http.StatusNotFound
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
