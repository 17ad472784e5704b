package model

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"mailbridge/internal/apperr"
)

// MarshalID writes a Relay global ID. IDs are ent global IDs (sql/globalid):
// unique across all types, so node(id:) can resolve any object.
func MarshalID(id int) graphql.Marshaler { return graphql.MarshalIntID(id) }

// UnmarshalID reads a Relay global ID. A value that is not one gives a
// VALIDATION_FAILED error that says what an ID looks like, instead of a Go
// parse error.
func UnmarshalID(v any) (int, error) {
	id, err := graphql.UnmarshalIntID(v)
	if err != nil || id <= 0 {
		return 0, apperr.Validation("graphql.invalidID", "",
			fmt.Sprintf("%v is not a Mailbridge ID. IDs are the strings returned in `id` fields, e.g. \"8589934593\".", v))
	}
	return id, nil
}
