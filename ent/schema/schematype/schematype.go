// Package schematype holds the Go types of ent JSON fields that GraphQL
// exposes too, so one type serves storage and API.
package schematype

// AuditChange is one field of an audit event: its value before and after.
type AuditChange struct {
	Field string  `json:"field"`
	From  *string `json:"from,omitempty"`
	To    *string `json:"to,omitempty"`
}
