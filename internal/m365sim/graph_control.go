package m365sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Messages returns copies of a mailbox's messages, in one folder (ID or
// well-known name) or all folders when folder is "", oldest first.
func (s *Sim) Messages(mailbox, folder string) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return nil, ErrNotFound
	}
	mb := s.mailboxLocked(u.ID)
	var f *Folder
	if folder != "" {
		if f = mb.folder(folder); f == nil {
			return nil, ErrNotFound
		}
	}
	var out []Message
	for _, m := range mb.Messages {
		if f == nil || m.FolderID == f.ID {
			cp := *m
			cp.Headers, cp.ExtProps = slices.Clone(m.Headers), slices.Clone(m.ExtProps)
			out = append(out, cp)
		}
	}
	slices.SortFunc(out, func(a, b Message) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Folder returns a copy of a mailbox's folder by ID or well-known name
// (its Log is omitted).
func (s *Sim) Folder(mailbox, folder string) (Folder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return Folder{}, ErrNotFound
	}
	f := s.mailboxLocked(u.ID).folder(folder)
	if f == nil {
		return Folder{}, ErrNotFound
	}
	return Folder{ID: f.ID, DisplayName: f.DisplayName, WellKnownName: f.WellKnownName, ParentFolderID: f.ParentFolderID}, nil
}

// decodeDurations decodes a control body into v, accepting Go duration
// strings ("1.5s") as well as nanosecond numbers for the named fields.
func decodeDurations(w http.ResponseWriter, r *http.Request, v any, fields ...string) bool {
	var raw map[string]any
	if !decodeControl(w, r, &raw) {
		return false
	}
	for k, val := range raw {
		for _, f := range fields {
			if strings.EqualFold(k, f) {
				if str, ok := val.(string); ok {
					d, err := time.ParseDuration(str)
					if err != nil {
						writeControl(w, nil, controlError{http.StatusBadRequest, "invalid duration for " + k + ": " + err.Error()})
						return false
					}
					raw[k] = int64(d)
				}
			}
		}
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, v); err != nil {
		writeControl(w, nil, controlError{http.StatusBadRequest, "invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

// registerMailControl adds the Graph control endpoints; each mirrors a Go
// method of the same purpose.
func (s *Sim) registerMailControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /_m365sim/mailboxes/{user}/sent", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.Sent(r.PathValue("user"))
		writeControl(w, cmpNilSlice(v), err)
	})
	mux.HandleFunc("GET /_m365sim/mailboxes/{user}/messages", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.Messages(r.PathValue("user"), r.URL.Query().Get("folder"))
		writeControl(w, cmpNilSlice(v), err)
	})
	mux.HandleFunc("POST /_m365sim/mailboxes/{user}/deliver", mailboxControl(s.DeliverMessage))
	mux.HandleFunc("POST /_m365sim/mailboxes/{user}/generate", mailboxControl(s.Generate))
	mux.HandleFunc("POST /_m365sim/mailboxes/{user}/events", mailboxControl(s.AddEvent))
	mux.HandleFunc("GET /_m365sim/mailboxes/{user}/counters", func(w http.ResponseWriter, r *http.Request) {
		sc, err := s.SendCounters(r.PathValue("user"))
		writeControl(w, map[string]any{"send": sc, "throttle": cmpNilSlice(s.ThrottleCounters(r.PathValue("user")))}, err)
	})
	mux.HandleFunc("GET /_m365sim/mailboxes/{user}/concurrency", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.MailboxConcurrency(r.PathValue("user"))
		writeControl(w, v, err)
	})
	latency := func(user string) (http.HandlerFunc, http.HandlerFunc) {
		mailbox := func(r *http.Request) string {
			if user == "" {
				return ""
			}
			return r.PathValue(user)
		}
		get := func(w http.ResponseWriter, r *http.Request) {
			d, err := s.Latency(mailbox(r))
			writeControl(w, map[string]any{"Latency": d.String()}, err)
		}
		put := func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Latency time.Duration }
			if !decodeDurations(w, r, &in, "Latency") {
				return
			}
			writeControl(w, map[string]any{"Latency": in.Latency.String()}, ctlErr(s.SetLatency(mailbox(r), in.Latency)))
		}
		return get, put
	}
	getL, putL := latency("user")
	mux.HandleFunc("GET /_m365sim/mailboxes/{user}/latency", getL)
	mux.HandleFunc("PUT /_m365sim/mailboxes/{user}/latency", putL)
	getL, putL = latency("")
	mux.HandleFunc("GET /_m365sim/latency", getL)
	mux.HandleFunc("PUT /_m365sim/latency", putL)
	mux.HandleFunc("GET /_m365sim/counters", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, cmpNilSlice(s.ThrottleCounters("")), nil)
	})
	mux.HandleFunc("POST /_m365sim/counters/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetCounters()
		writeControl(w, map[string]bool{"reset": true}, nil)
	})
	options := func(user string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var in MailOptions
			if !decodeDurations(w, r, &in, "SentItemsDelay") {
				return
			}
			mailbox := ""
			if user != "" {
				mailbox = r.PathValue(user)
			}
			writeControl(w, in, s.SetMailOptions(mailbox, in))
		}
	}
	mux.HandleFunc("PUT /_m365sim/mailboxes/{user}/options", options("user"))
	mux.HandleFunc("PUT /_m365sim/mail-options", options(""))
	mux.HandleFunc("POST /_m365sim/mailboxes/{user}/expire-delta", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Mode DeltaExpiryMode }
		if !decodeControl(w, r, &in) {
			return
		}
		writeControl(w, map[string]any{"expired": true, "mode": cmpOr(in.Mode, DeltaExpirySyncState)}, s.ExpireDeltaTokens(r.PathValue("user"), in.Mode))
	})
	mux.HandleFunc("POST /_m365sim/mailboxes/{user}/replay-delta", func(w http.ResponseWriter, r *http.Request) {
		var in DeltaReplay
		if !decodeControl(w, r, &in) {
			return
		}
		writeControl(w, in, ctlErr(s.ReplayDelta(r.PathValue("user"), in)))
	})
	mux.HandleFunc("POST /_m365sim/mailboxes/{user}/revoke", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ CAE bool }
		if !decodeControl(w, r, &in) {
			return
		}
		writeControl(w, map[string]bool{"revoked": true}, s.RevokeGrant(r.PathValue("user"), in.CAE))
	})
	mux.HandleFunc("DELETE /_m365sim/mailboxes/{user}/revoke", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, map[string]bool{"revoked": false}, s.RestoreGrant(r.PathValue("user")))
	})
	mux.HandleFunc("GET /_m365sim/faults", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, cmpNilSlice(s.Faults()), nil)
	})
	mux.HandleFunc("POST /_m365sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var in Fault
		if !decodeDurations(w, r, &in, "Delay") {
			return
		}
		v, err := s.InjectFault(in)
		writeControl(w, v, err)
	})
	mux.HandleFunc("DELETE /_m365sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		writeControl(w, map[string]bool{"cleared": true}, nil)
	})
	mux.HandleFunc("DELETE /_m365sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, map[string]bool{"removed": true}, s.RemoveFault(r.PathValue("id")))
	})
	mux.HandleFunc("GET /_m365sim/requests", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, cmpNilSlice(s.Requests()), nil)
	})
	mux.HandleFunc("GET /_m365sim/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, cmpNilSlice(s.Subscriptions(r.URL.Query().Get("mailbox"))), nil)
	})
	mux.HandleFunc("POST /_m365sim/subscriptions/{id}/lifecycle", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Event LifecycleEvent }
		if !decodeControl(w, r, &in) {
			return
		}
		writeControl(w, map[string]any{"sent": in.Event}, s.SendLifecycleEvent(r.PathValue("id"), in.Event))
	})
	mux.HandleFunc("GET /_m365sim/notifications", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, cmpNilSlice(s.Notifications()), nil)
	})
}

// cmpNilSlice turns a nil slice into an empty one so control responses
// are [] rather than null.
func cmpNilSlice[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
