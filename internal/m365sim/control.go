package m365sim

import (
	"encoding/json"
	"errors"
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
	mux.HandleFunc("POST /_m365sim/tenants", createControl(s.AddTenant))
	mux.HandleFunc("GET /_m365sim/tenants/{tenant}", getControl("tenant", s.Tenant))
	mux.HandleFunc("PATCH /_m365sim/tenants/{tenant}", patchControl("tenant", s.UpdateTenant, s.Tenant))
	mux.HandleFunc("POST /_m365sim/apps", createControl(s.AddApp))
	mux.HandleFunc("POST /_m365sim/users", createControl(s.AddUser))
	mux.HandleFunc("GET /_m365sim/users/{user}", getControl("user", s.User))
	mux.HandleFunc("PATCH /_m365sim/users/{user}", patchControl("user", s.UpdateUser, s.User))
	mux.HandleFunc("POST /_m365sim/save", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, map[string]bool{"saved": s.cfg.StatePath != ""}, s.Save())
	})
	s.registerIdentityControl(mux)
	s.registerMailControl(mux)
	return mux
}

// createControl serves a control request that creates a T from the JSON
// body with add and answers what add made of it (IDs and defaults filled).
func createControl[T any](add func(T) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if !decodeControl(w, r, &in) {
			return
		}
		v, err := add(in)
		writeControl(w, v, err)
	}
}

// getControl serves a control request for the object named by the path
// value key, or 404.
func getControl[T any](key string, get func(string) (T, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := get(r.PathValue(key))
		writeControl(w, v, okErr(ok))
	}
}

// patchControl serves a control PATCH: the JSON body is unmarshalled over
// a copy of the object named by the path value key (fields it omits keep
// their values) and stored only if the whole body applies, so a bad field
// changes nothing. The updated object is the answer.
func patchControl[T any](key string, update func(string, func(*T)) error, get func(string) (T, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var patch json.RawMessage
		if !decodeControl(w, r, &patch) {
			return
		}
		ref := r.PathValue(key)
		var uerr error
		err := update(ref, func(v *T) {
			next := *v
			if uerr = json.Unmarshal(patch, &next); uerr == nil {
				*v = next
			}
		})
		if uerr != nil {
			uerr = controlError{http.StatusBadRequest, "invalid patch: " + uerr.Error()}
		}
		v, _ := get(ref)
		writeControl(w, v, cmpOr(err, uerr))
	}
}

// mailboxControl serves a control POST on the mailbox named by the {user}
// path value: the JSON body decoded into an In, do's result the answer.
func mailboxControl[In, Out any](do func(mailbox string, in In) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if !decodeControl(w, r, &in) {
			return
		}
		v, err := do(r.PathValue("user"), in)
		writeControl(w, v, err)
	}
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
		var ce controlError
		if errors.As(err, &ce) {
			status = ce.status
		} else if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
