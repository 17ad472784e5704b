package graph_test

import (
	"os"
	"path/filepath"
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/stretchr/testify/require"
)

// TestGeneratedSchema_NoDrift regenerates graph/ent.graphql from the ent
// schema into a temporary directory and requires it to equal the committed
// file, so an ent schema change without `make generate` fails the build.
// (CI's `make verify` additionally diffs all generated Go code.)
func TestGeneratedSchema_NoDrift(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := os.ReadFile("../gqlgen.yml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gqlgen.yml"), cfg, 0o600))
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath(filepath.Join(dir, "ent.graphql")),
		entgql.WithConfigPath(filepath.Join(dir, "gqlgen.yml")),
		entgql.WithWhereInputs(false),
		entgql.WithRelaySpec(true),
	)
	require.NoError(t, err)
	err = entc.Generate("../ent/schema", &gen.Config{
		Target:  filepath.Join(dir, "ent"),
		Package: "mailbridge/ent",
		Features: []gen.Feature{
			gen.FeaturePrivacy, gen.FeatureEntQL, gen.FeatureVersionedMigration, gen.FeatureGlobalID,
			gen.FeatureUpsert, gen.FeatureLock, gen.FeatureModifier, gen.FeatureExecQuery,
		},
	}, entc.Extensions(ex))
	require.NoError(t, err)
	want, err := os.ReadFile("ent.graphql")
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "ent.graphql"))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "graph/ent.graphql is stale: run `make generate`")
}
