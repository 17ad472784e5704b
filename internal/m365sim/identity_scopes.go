package m365sim

import (
	"fmt"
	"slices"
	"strings"
)

// GraphResourceAppID is the application ID of the Microsoft Graph resource;
// a scope may be qualified with it instead of GraphAudience.
const GraphResourceAppID = "00000003-0000-0000-c000-000000000000"

// scopeInfo describes one delegated permission the emulator knows.
type scopeInfo struct {
	name string // canonical spelling, e.g. "Mail.ReadWrite"
	// consentText is what the consent page shows for it.
	consentText string
	// adminOnly: the permission itself needs admin consent, whatever the
	// tenant's consent policy (e.g. User.Read.All).
	adminOnly bool
}

// oidcScopes are the OpenID Connect scopes. They are consented like Graph
// permissions but never name a resource and never appear fully qualified.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// scopeCatalog lists the delegated permissions the emulator accepts: the OIDC
// scopes and the Microsoft Graph permissions of MICROSOFT.md §2 plus their
// close relatives. Unknown names are refused with AADSTS650053, as Microsoft
// refuses scopes that do not exist on the resource.
var scopeCatalog = func() map[string]scopeInfo {
	list := []scopeInfo{
		{name: "openid", consentText: "Sign you in"},
		{name: "profile", consentText: "View your basic profile"},
		{name: "email", consentText: "View your email address"},
		{name: "offline_access", consentText: "Maintain access to data you have given it access to"},
		{name: "User.Read", consentText: "Sign you in and read your profile"},
		{name: "User.ReadBasic.All", consentText: "Read all users' basic profiles"},
		{name: "User.Read.All", consentText: "Read all users' full profiles", adminOnly: true},
		{name: "Directory.Read.All", consentText: "Read directory data", adminOnly: true},
		{name: "Mail.Read", consentText: "Read your mail"},
		{name: "Mail.ReadBasic", consentText: "Read basic mail"},
		{name: "Mail.ReadWrite", consentText: "Read and write access to your mail"},
		{name: "Mail.Read.Shared", consentText: "Read mail you can access"},
		{name: "Mail.ReadBasic.Shared", consentText: "Read basic mail you can access"},
		{name: "Mail.ReadWrite.Shared", consentText: "Read and write mail you can access"},
		{name: "Mail.Send", consentText: "Send mail as you"},
		{name: "Mail.Send.Shared", consentText: "Send mail on behalf of others or yourself"},
		{name: "MailboxItem.Read", consentText: "Read your mailbox items"},
		{name: "MailboxFolder.Read", consentText: "Read your mailbox folders"},
		{name: "MailboxFolder.ReadWrite", consentText: "Read and write your mailbox folders"},
		{name: "MailboxSettings.Read", consentText: "Read your mailbox settings"},
		{name: "MailboxSettings.ReadWrite", consentText: "Read and write to your mailbox settings"},
		{name: "Calendars.Read", consentText: "Read your calendars"},
		{name: "Calendars.ReadBasic", consentText: "Read basic details of your calendars"},
		{name: "Calendars.ReadWrite", consentText: "Have full access to your calendars"},
		{name: "Calendars.Read.Shared", consentText: "Read calendars you can access"},
		{name: "Calendars.ReadWrite.Shared", consentText: "Read and write calendars you can access"},
		{name: "Contacts.Read", consentText: "Read your contacts"},
		{name: "Contacts.ReadWrite", consentText: "Have full access to your contacts"},
		{name: "Contacts.Read.Shared", consentText: "Read contacts you can access"},
		{name: "Contacts.ReadWrite.Shared", consentText: "Read and write contacts you can access"},
		{name: "People.Read", consentText: "Read your relevant people list"},
		{name: "Files.Read.All", consentText: "Read all files that you have access to"},
		{name: "Files.ReadWrite.All", consentText: "Have full access to all files you have access to"},
		{name: "Sites.Read.All", consentText: "Read items in all site collections"},
		{name: "Sites.ReadWrite.All", consentText: "Edit or delete items in all site collections"},
		{name: "Tasks.Read", consentText: "Read your tasks and task lists"},
		{name: "Tasks.ReadWrite", consentText: "Create, read, update, and delete your tasks and task lists"},
	}
	m := make(map[string]scopeInfo, len(list))
	for _, si := range list {
		m[strings.ToLower(si.name)] = si
	}
	return m
}()

// scopeSet is a parsed scope parameter: OIDC scopes and Microsoft Graph
// permissions, both in canonical spelling, deduplicated, in request order.
type scopeSet struct {
	oidc  []string
	graph []string
	// isDefault: the request was "<graph>/.default" (the app's static
	// permissions); graph is then empty until resolved.
	isDefault bool
}

// scopeError is a rejected scope parameter, with the AADSTS code to answer.
type scopeError struct {
	code  int
	error string // OAuth error value
	msg   string // AADSTS message without the "AADSTSnnn: " prefix
}

func (e *scopeError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.msg) }

// parseScopes parses a space-separated scope parameter. Graph permissions may
// be short ("Mail.Send") or qualified with the Graph audience or app ID;
// matching is case-insensitive. ".default" may not be mixed with explicit
// Graph permissions; other resources are refused.
func parseScopes(raw, appName string) (scopeSet, error) {
	var ss scopeSet
	explicit := false
	for _, tok := range strings.Fields(raw) {
		name := tok
		lower := strings.ToLower(tok)
		for _, prefix := range []string{GraphAudience + "/", "https://graph.microsoft.com//", GraphResourceAppID + "/"} {
			if strings.HasPrefix(lower, strings.ToLower(prefix)) {
				name = tok[len(prefix):]
				break
			}
		}
		if name == tok && strings.Contains(tok, "/") {
			return scopeSet{}, &scopeError{code: 500011, error: "invalid_resource",
				msg: fmt.Sprintf("The resource principal named %s was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resourceOf(tok))}
		}
		if strings.EqualFold(name, ".default") {
			ss.isDefault = true
			continue
		}
		info, ok := scopeCatalog[strings.ToLower(name)]
		if !ok {
			return scopeSet{}, &scopeError{code: 650053, error: "invalid_client",
				msg: fmt.Sprintf("The application '%s' asked for scope '%s' that doesn't exist on the resource '%s'. Contact the app vendor.", appName, name, GraphResourceAppID)}
		}
		if slices.Contains(oidcScopes, info.name) {
			ss.oidc = appendUnique(ss.oidc, info.name)
			continue
		}
		explicit = true
		ss.graph = appendUnique(ss.graph, info.name)
	}
	if ss.isDefault && explicit {
		return scopeSet{}, &scopeError{code: 70011, error: "invalid_scope",
			msg: fmt.Sprintf("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' isn't valid. The scope %s is not valid. static scope limit exceeded.", raw)}
	}
	return ss, nil
}

// resourceOf returns the resource part of a qualified scope.
func resourceOf(scope string) string {
	if i := strings.LastIndex(scope, "/"); i > 0 {
		return scope[:i]
	}
	return scope
}

// canonicalScopes maps scope names to their catalog spelling, dropping
// unknown ones and duplicates.
func canonicalScopes(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimPrefix(n, GraphAudience+"/")
		if info, ok := scopeCatalog[strings.ToLower(n)]; ok {
			out = appendUnique(out, info.name)
		}
	}
	return out
}

// all returns the OIDC scopes followed by the Graph permissions.
func (ss scopeSet) all() []string { return append(slices.Clone(ss.oidc), ss.graph...) }

// has reports whether the set holds an OIDC scope or Graph permission.
func (ss scopeSet) has(name string) bool {
	return scopeListHas(ss.oidc, name) || scopeListHas(ss.graph, name)
}

// responseScope is the "scope" value of a token response: OIDC scopes other
// than offline_access, then Graph permissions fully qualified.
func (ss scopeSet) responseScope() string {
	var out []string
	for _, s := range ss.oidc {
		if s != "offline_access" {
			out = append(out, s)
		}
	}
	for _, s := range ss.graph {
		out = append(out, GraphAudience+"/"+s)
	}
	return strings.Join(out, " ")
}

func appendUnique(list []string, v string) []string {
	if scopeListHas(list, v) {
		return list
	}
	return append(list, v)
}

func scopeListHas(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}

// missingFrom returns the names in want that are not in have (case-insensitive).
func missingFrom(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !scopeListHas(have, w) {
			out = append(out, w)
		}
	}
	return out
}
