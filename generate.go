package main

// Code generation, in order: ent (and the entgql schema graph/ent.graphql),
// then gqlgen with its plugin (graph/gqlgen.go: graph/generated.go, graph/model). Never edit their output.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod ./graph/gqlgen.go
