//go:build tools

// Package tools pins modules that code under development needs, so that
// `go mod tidy` keeps them. Removed once every module is imported for real.
package tools

import (
	_ "github.com/99designs/gqlgen"
	_ "github.com/chromedp/chromedp"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/microsoft/kiota-abstractions-go"
	_ "github.com/microsoft/kiota-http-go"
	_ "github.com/microsoftgraph/msgraph-sdk-go"
	_ "github.com/microsoftgraph/msgraph-sdk-go-core"
	_ "github.com/stretchr/testify/require"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/sync/singleflight"
	_ "modernc.org/sqlite"
	_ "entgo.io/contrib/entgql"
	_ "github.com/hashicorp/golang-lru/v2"
	_ "github.com/vikstrous/dataloadgen"
	_ "github.com/hashicorp/go-multierror"
)
