// Writes node_modules/go.mod so that `go list ./...`, `go vet ./...` and
// linters treat node_modules as a separate module and skip the .go files some
// npm packages ship. Runs as the postinstall script (also after `npm ci`).
import { existsSync, writeFileSync } from "node:fs";

if (existsSync("node_modules")) {
  writeFileSync("node_modules/go.mod", "module ignore\n");
}
