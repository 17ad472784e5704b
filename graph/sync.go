package graph

import (
	"entgo.io/contrib/entgql"

	"mailbridge/ent"
)

// newestFirst orders synced messages by receivedAt, newest first (id breaks ties).
var newestFirst = &ent.SyncedMessageOrder{Direction: entgql.OrderDirectionDesc, Field: ent.SyncedMessageOrderFieldReceivedAt}
