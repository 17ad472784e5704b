# Mailbridge — the one place commands are defined. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# PostgreSQL for the test suite (each test gets its own schema).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TEST_DATABASE_URL
GO_TEST_FLAGS ?= -count=1

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z\/_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	printf 'module ignore\n' > frontend/node_modules/go.mod

.PHONY: frontend
frontend: frontend/node_modules/.package-lock.json ## build the web app into frontend/dist/app (embedded by go build)
	cd frontend && npm run build

.PHONY: run
run: frontend ## build the web app, then run Mailbridge in demo mode on http://localhost:8080
	go run . serve

.PHONY: dev
dev: frontend/node_modules/.package-lock.json ## web app work: Vite (hot reload) on http://localhost:5173, proxying the API to Mailbridge in demo mode
	@echo "Open http://localhost:5173 (Ctrl-C stops both servers)."
	@trap 'kill 0' EXIT INT TERM; \
	PUBLIC_URL=http://localhost:5173 FRONTEND_DEV_SERVER=http://localhost:5173 go run . serve & \
	cd frontend && npm run dev

.PHONY: build
build: frontend ## build the mailbridge binary (with the web app) into bin/
	@test -f frontend/dist/app/.vite/manifest.json || { echo "frontend/dist/app/.vite/manifest.json missing"; exit 1; }
	CGO_ENABLED=0 go build -trimpath -o bin/mailbridge .

.PHONY: generate
generate: ## regenerate ent, the entgql schema and gqlgen code
	go generate ./...

.PHONY: migration
migration: ## write a new versioned migration for both dialects: make migration name=add_x
	@test -n "$(name)" || { echo "usage: make migration name=<name>"; exit 1; }
	go run -mod=mod ./ent/migrate/main.go $(name)

.PHONY: verify
verify: generate frontend/node_modules/.package-lock.json ## fail when generated code (Go or the web app's GraphQL types) is stale
	cd frontend && npm run codegen:check
	@git diff --exit-code -- ent graph gqlgen.yml || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- ent graph)" || { git status --porcelain -- ent graph; echo "generate produced untracked files"; exit 1; }

.PHONY: test
test: frontend ## run every test: web app (Vitest) and Go (SQLite, PostgreSQL, emulator, browser)
	scripts/test-deps.sh
	cd frontend && npm test
	go test $(GO_TEST_FLAGS) ./...

.PHONY: test/race
test/race: frontend ## run the Go tests with the race detector
	go test -race ./...

.PHONY: bench
bench: ## run the benchmarks (ratios against in-run baselines)
	go test -run '^$$' -bench . -benchtime 3x ./...

.PHONY: lint
lint: frontend/node_modules/.package-lock.json ## go vet, gofmt, and ESLint on the web app
	cd frontend && npm run lint
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^ent/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^ent/'); exit 1; }
