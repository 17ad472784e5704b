package db

import (
	"slices"
	"strings"

	atlasschema "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"
)

// HandWrittenIndexSuffix ends the name of every index that only a
// hand-written migration creates, because the ent schema cannot express it
// (PostgreSQL's trigram index prospect_email_trgm).
const HandWrittenIndexSuffix = "_trgm"

// KeepHandWrittenIndexes is the ent diff hook of the migration generator
// (ent/migrate/main.go) and of the drift tests: it removes from a planned
// change set the dropping of hand-written indexes (HandWrittenIndexSuffix),
// which ent would otherwise plan because its schema does not declare them.
func KeepHandWrittenIndexes(next entschema.Differ) entschema.Differ {
	return entschema.DiffFunc(func(current, desired *atlasschema.Schema) ([]atlasschema.Change, error) {
		changes, err := next.Diff(current, desired)
		if err != nil {
			return nil, err
		}
		out := changes[:0]
		for _, c := range changes {
			if m, ok := c.(*atlasschema.ModifyTable); ok {
				m.Changes = slices.DeleteFunc(m.Changes, func(c atlasschema.Change) bool {
					d, ok := c.(*atlasschema.DropIndex)
					return ok && strings.HasSuffix(d.I.Name, HandWrittenIndexSuffix)
				})
				if len(m.Changes) == 0 {
					continue
				}
			}
			out = append(out, c)
		}
		return out, nil
	})
}
