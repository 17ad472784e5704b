//go:build ignore

// Command gqlgen runs gqlgen (`gqlgen generate` with gqlgen.yml) plus one
// plugin of Mailbridge's, inlineFields. Run it through `go generate ./...`
// from the repository root (see generate.go).
package main

import (
	"log"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfig("gqlgen.yml")
	if err != nil {
		log.Fatalf("gqlgen: loading gqlgen.yml: %v", err)
	}
	if err := api.Generate(cfg, api.AddPlugin(inlineFields{})); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
}

// inlineFields resolves the fields of an object on the goroutine that
// marshals the object, instead of one goroutine per field, when none of
// its fields is a resolver: their only context-taking fields are then ent's
// edge methods, which return the edges CollectFields eager-loaded with the
// list (a query only when a single object's edge was not loaded, and a
// goroutine does not make that cheaper). gqlgen spawns a goroutine per
// field bound to a method that takes a context; for a page of 100 rows
// with a few edges each that was most of the request's CPU time.
// Objects with resolvers (Query, Viewer, Mailbox and its batched
// undeliveredEmailCount, …) keep gqlgen's concurrency, and Mutation is
// serial as always.
type inlineFields struct{}

func (inlineFields) Name() string { return "inlinefields" }

func (inlineFields) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if o.Definition == data.Schema.Query || o.Definition == data.Schema.Subscription {
			continue
		}
		resolvers := false
		for _, f := range o.Fields {
			resolvers = resolvers || f.IsResolver
		}
		if !resolvers {
			o.DisableConcurrency = true
		}
	}
	return nil
}
