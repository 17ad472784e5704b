package main

// Code generation, in order: ent (and the entgql schema graph/ent.graphql),
// then gqlgen (graph/generated.go, graph/model). Never edit their output.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go tool gqlgen generate --config gqlgen.yml
