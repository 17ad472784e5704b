package db

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsReadQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		read  bool
	}{
		{"Select", "SELECT `id` FROM `users`", true},
		{"LowercaseSelect", "select 1", true},
		{"LeadingSpaceAndComments", " \n-- who\n/* why */ SELECT 1", true},
		{"Parenthesized", "(SELECT 1) UNION (SELECT 2)", true},
		{"WithSelect", "WITH t AS (SELECT 1) SELECT * FROM t", true},
		{"WithQuotedWriteWord", "WITH t AS (SELECT 'delete' AS `update`) SELECT * FROM t", true},
		{"WithInsert", "WITH t AS (SELECT 1) INSERT INTO x SELECT * FROM t", false},
		{"WithDelete", "with t as (select 1) delete from x where id in t", false},
		{"InsertReturning", "INSERT INTO `organizations` (`name`) VALUES (?) RETURNING `id`", false},
		{"UpdateReturning", "UPDATE `scheduled_emails` SET `state` = ? RETURNING `id`", false},
		{"Delete", "DELETE FROM x", false},
		{"Pragma", "PRAGMA foreign_keys", false},
		{"Begin", "BEGIN", false},
		{"Empty", "", false},
		{"OnlyComment", "-- SELECT", false},
		{"UnterminatedComment", "/* SELECT 1", false},
		{"SelectPrefixIdentifier", "SELECTED", false},
		{"WithUnbalancedQuote", "WITH t AS (SELECT 'x) SELECT 1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.read, isReadQuery(tt.query), tt.query)
		})
	}
}
