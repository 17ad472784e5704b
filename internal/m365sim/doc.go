// Package m365sim is an in-process emulator of the Microsoft identity
// platform (v2.0 endpoints) and of the Microsoft Graph v1.0 subset that
// Mailbridge uses.
//
// No machine that runs Mailbridge's tests or demo reaches Microsoft, yet the
// OAuth flow, sync and send must be exercised end to end with the real,
// unmodified clients (golang.org/x/oauth2 and msgraph-sdk-go). The emulator
// therefore speaks Microsoft's documented wire protocol (see
// docs/MICROSOFT.md in the shared documentation): the product only changes its
// authority URL and Graph base URL to point here.
//
// One origin serves everything:
//
//	/{tenant}/oauth2/v2.0/authorize, /token, /v2.0/adminconsent, discovery, JWKS   (identity platform)
//	/v1.0/...                                                                       (Microsoft Graph)
//	/_m365sim/...                                                                   (control API for tests and demos)
//
// State lives in memory and can be persisted to a JSON file (Config.StatePath)
// so that a demo survives a restart.
package m365sim
