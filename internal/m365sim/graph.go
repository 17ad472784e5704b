package m365sim

import "net/http"

// mailState is the Graph half's persisted state: mailboxes, folders,
// messages, events. (Owned by the Graph half; filled in there.)
type mailState struct{}

func (st *mailState) init() {}

// mailRuntime is the Graph half's non-persisted state: throttling counters,
// faults.
type mailRuntime struct{}

func (rt *mailRuntime) init() {}

// graphHandler serves /v1.0/...
func (s *Sim) graphHandler() http.Handler { return http.NotFoundHandler() }

// mailboxCreatedLocked is called by AddUser (with s.mu held) to create the
// user's mailbox and well-known folders.
func (s *Sim) mailboxCreatedLocked(u *User) {}

// registerMailControl adds the Graph control endpoints.
func (s *Sim) registerMailControl(mux *http.ServeMux) {}
