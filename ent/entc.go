//go:build ignore

// Command entc generates the ent client, the entgql GraphQL schema
// (graph/ent.graphql) and the entgql glue. Run it through `go generate ./...`
// from the repository root (see generate.go).
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// paginateCounts makes Paginate count only when totalCount is selected
// (ent/template/gql_pagination_counts.tmpl).
var paginateCounts = gen.MustParse(gen.NewTemplate("gql_pagination_counts").
	Funcs(entgql.TemplateFuncs).
	ParseFiles("ent/template/gql_pagination_counts.tmpl"))

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("graph/ent.graphql"),
		entgql.WithConfigPath("gqlgen.yml"),
		// Filters are explicit, small input types (graph/*.graphqls) backed
		// by indexes, rather than generated where-inputs over every column.
		entgql.WithWhereInputs(false),
		entgql.WithRelaySpec(true),
		// entgql's templates, then our overrides of some of their
		// definitions (later definitions win).
		entgql.WithTemplates(append(entgql.AllTemplates, paginateCounts)...),
	)
	if err != nil {
		log.Fatalf("entc: creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "mailbridge/ent",
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureVersionedMigration,
			gen.FeatureGlobalID,
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("entc: running ent codegen: %v", err)
	}
}
