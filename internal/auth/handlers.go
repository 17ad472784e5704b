package auth

import (
	"encoding/json"
	"net/http"
	"strconv"

	"mailbridge/ent"
	"mailbridge/ent/organization"
	"mailbridge/ent/user"
	"mailbridge/internal/viewer"
)

// Routes registers the sign-in endpoints under /auth/. Demo sign-in (pick a
// user of the demo organization, no password) exists only in demo mode
// (Options.DemoOrganization set).
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /auth/signout", func(w http.ResponseWriter, r *http.Request) {
		if err := s.SignOut(r.Context(), w, r); err != nil {
			s.log.ErrorContext(r.Context(), "auth: sign out", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Sign-out failed. Try again."})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if s.opts.DemoOrganization == "" {
		return
	}
	mux.HandleFunc("GET /auth/demo/users", s.demoUsers)
	mux.HandleFunc("POST /auth/demo/signin", s.demoSignIn)
}

// DemoSignIn reports whether the passwordless demo sign-in is on (demo mode).
func (s *Service) DemoSignIn() bool { return s.opts.DemoOrganization != "" }

// DemoUser is one entry of the demo sign-in list.
type DemoUser struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	Organization string `json:"organization"`
}

func (s *Service) demoUsers(w http.ResponseWriter, r *http.Request) {
	ctx := viewer.SystemContext(r.Context())
	users, err := s.client.User.Query().
		Where(user.HasOrganizationWith(organization.Name(s.opts.DemoOrganization))).
		WithOrganization().Order(user.ByRole(), user.ByName()).Limit(100).All(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "auth: list demo users", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Could not list the demo users."})
		return
	}
	out := make([]DemoUser, 0, len(users))
	for _, u := range users {
		out = append(out, DemoUser{ID: strconv.Itoa(u.ID), Name: u.Name, Email: u.Email, Role: string(u.Role), Organization: u.Edges.Organization.Name})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) demoSignIn(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID string `json:"userID"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `Send {"userID": "<id>"} as JSON.`})
		return
	}
	id, err := strconv.Atoi(in.UserID)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "userID must be a user ID from /auth/demo/users."})
		return
	}
	ctx := viewer.SystemContext(r.Context())
	_, err = s.client.User.Query().
		Where(user.ID(id), user.HasOrganizationWith(organization.Name(s.opts.DemoOrganization))).
		Only(ctx)
	if ent.IsNotFound(err) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "There is no such demo user."})
		return
	} else if err != nil {
		s.log.ErrorContext(ctx, "auth: demo sign-in", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Sign-in failed. Try again."})
		return
	}
	if err := s.SignIn(r.Context(), w, r, id, SignInDemo); err != nil {
		s.log.ErrorContext(ctx, "auth: demo sign-in", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Sign-in failed. Try again."})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
