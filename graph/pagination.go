package graph

import (
	"mailbridge/internal/apperr"
)

// maxPageSize caps every connection page (QUALITY.md §5.3).
const maxPageSize = 100

// checkPage requires first or last (not both), each between 1 and maxPageSize, so no
// list request can ask for an unbounded page.
func checkPage(first, last *int) error {
	switch {
	case first == nil && last == nil:
		return apperr.Validation("pagination.missing", "first",
			"Say how many items you want with `first` (or `last` when paging backwards), from 1 to 100.")
	case first != nil && last != nil:
		return apperr.Validation("pagination.firstAndLast", "last",
			"Pass either `first` (paging forwards, with `after`) or `last` (paging backwards, with `before`), not both.")
	case first != nil && (*first < 1 || *first > maxPageSize):
		return apperr.Validation("pagination.outOfRange", "first", "`first` must be between 1 and 100.")
	case last != nil && (*last < 1 || *last > maxPageSize):
		return apperr.Validation("pagination.outOfRange", "last", "`last` must be between 1 and 100.")
	}
	return nil
}

// pageCost is the number of items a connection page may return, for the
// complexity calculation: child cost × page size.
func pageCost(first, last *int) int {
	n := 0
	if first != nil {
		n = *first
	}
	if last != nil && *last > n {
		n = *last
	}
	if n < 1 || n > maxPageSize {
		n = maxPageSize
	}
	return n
}
