package apperr

import (
	"encoding/json"
	"net/http"
)

// WriteGraphQL answers an HTTP request with a GraphQL-shaped response holding
// e as its only error: {"errors":[{"message":…,"extensions":{"code":…,"id":…}}]}.
// Every refusal of the GraphQL endpoint, whichever layer makes it, uses it so
// that clients can rely on extensions.code.
func WriteGraphQL(w http.ResponseWriter, status int, e *Error) {
	ext := map[string]any{"code": string(e.Kind), "id": e.ID}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": ext}},
	})
}
