package m365sim

import (
	"fmt"
	"net/http"
	"strings"
)

// userDefaultProps is what GET /me returns without $select (MICROSOFT.md §3.1).
var userDefaultProps = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// userProps are the user properties the emulator can return on $select.
var userProps = map[string]string{}

func init() {
	// Real user properties beyond the default set, returned only on
	// $select (user resource type,
	// https://learn.microsoft.com/en-us/graph/api/resources/user). The
	// emulator knows no value for most and returns null, as Graph does for
	// unset properties; refusing them would be stricter than Graph.
	for _, p := range append(userDefaultProps, "proxyAddresses", "otherMails", "accountEnabled", "mailNickname", "userType", "usageLocation",
		"companyName", "department", "employeeId", "city", "country", "state", "streetAddress", "postalCode",
		"onPremisesSamAccountName", "onPremisesUserPrincipalName", "onPremisesImmutableId", "onPremisesSyncEnabled",
		"createdDateTime", "creationType", "externalUserState", "faxNumber", "imAddresses", "preferredDataLocation",
		"showInAddressList", "ageGroup", "legalAgeGroupClassification", "consentProvidedForMinor", "mailboxSettings") {
		userProps[strings.ToLower(p)] = p
	}
}

// serveUser serves GET /me and GET /users/{id|upn}.
func (s *Sim) serveUser(g *gctx) {
	if g.r.Method != http.MethodGet {
		g.fail(errMethodNotAllowed())
		return
	}
	if g.isSelf() {
		if !g.hasScope("User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All") {
			g.fail(gerr(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
			return
		}
	} else if !g.hasScope("User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All") {
		g.fail(gerr(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
		return
	}
	props := userDefaultProps
	if sel := g.q("select"); sel != "" {
		props = nil
		for _, p := range strings.Split(sel, ",") {
			p = strings.TrimSpace(p)
			canon, ok := userProps[strings.ToLower(p)]
			if !ok {
				g.fail(gerr(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.user'.", p)))
				return
			}
			props = append(props, canon)
		}
	}
	if containsFold(props, "mailboxSettings") && !g.hasScope("MailboxSettings.Read", "MailboxSettings.ReadWrite") {
		// mailboxSettings needs MailboxSettings.Read (user: get
		// mailboxSettings, Permissions).
		g.fail(errAccessDenied())
		return
	}
	u := g.target
	ctx := g.s.baseURL(g.r) + "/v1.0/$metadata#users/$entity"
	if g.q("select") != "" {
		ctx = g.s.baseURL(g.r) + "/v1.0/$metadata#users(" + g.q("select") + ")/$entity"
	}
	out := newObj(len(props) + 1)
	out.set("@odata.context", ctx)
	for _, p := range props {
		out.set(p, userProp(u, p))
	}
	// $select returns only what was selected, plus @odata.context: no id
	// unless asked for (Get user, "Optional query parameters";
	// MICROSOFT.md §0 item 25).
	g.writeJSON(http.StatusOK, out)
}

func userProp(u *User, p string) any {
	switch p {
	case "id":
		return u.ID
	case "displayName":
		return u.DisplayName
	case "givenName":
		return nullable(u.GivenName)
	case "surname":
		return nullable(u.Surname)
	case "mail":
		return nullable(u.Mail)
	case "userPrincipalName":
		return u.UserPrincipalName
	case "businessPhones", "otherMails":
		return []string{}
	case "proxyAddresses":
		if u.ProxyAddresses == nil {
			return []string{}
		}
		return u.ProxyAddresses
	case "mailNickname":
		local, _, _ := strings.Cut(u.UserPrincipalName, "@")
		return local
	case "userType":
		return "Member"
	case "imAddresses":
		return []string{}
	case "accountEnabled", "showInAddressList":
		return true
	case "mailboxSettings":
		// The shape of GET /me/mailboxSettings (mailboxSettings resource).
		return map[string]any{
			"timeZone": "UTC", "dateFormat": "M/d/yyyy", "timeFormat": "h:mm tt", "archiveFolder": nil,
			"language":                map[string]any{"locale": "en-US", "displayName": "English (United States)"},
			"automaticRepliesSetting": map[string]any{"status": "disabled", "externalAudience": "all", "internalReplyMessage": "", "externalReplyMessage": ""},
			"workingHours": map[string]any{
				"daysOfWeek": []string{"monday", "tuesday", "wednesday", "thursday", "friday"}, "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
				"timeZone": map[string]any{"name": "UTC"},
			},
		}
	case "preferredLanguage":
		return "en-US"
	}
	return nil // jobTitle, mobilePhone, officeLocation, usageLocation
}

// nullable maps "" to JSON null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
