package m365sim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"github.com/stretchr/testify/require"
)

// Checklist items 19–25 (MICROSOFT.md §7.4): Graph request handling.

func TestConformance_19_Routing(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	tok := e.token(e.alice)

	t.Run("UnknownTopLevelSegmentIs404WithErrorBody", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/nonsense", tok, nil)
		requireGraphError(t, r, http.StatusNotFound, "ResourceNotFound")
	})
	t.Run("UnknownSegmentBelowMeIs404WithErrorBody", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me/notAThing", tok, nil)
		requireGraphError(t, r, http.StatusNotFound, "ResourceNotFound")
	})
	t.Run("KnownPathsServeThroughTheSDK", func(t *testing.T) {
		t.Parallel()
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		folders, err := client.Me().MailFolders().Get(context.Background(), nil)
		require.NoError(t, err)
		var names []string
		for _, f := range folders.GetValue() {
			names = append(names, *f.GetDisplayName())
		}
		require.Contains(t, names, "Inbox")
		require.Contains(t, names, "Sent Items")
		inbox, err := client.Me().MailFolders().ByMailFolderId("inbox").Get(context.Background(), nil)
		require.NoError(t, err)
		require.Equal(t, "Inbox", *inbox.GetDisplayName())
	})
}

func TestConformance_20_MeTokenToReplaceIs404(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)

	t.Run("RawPathIsAnInvalidUser", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/users/me-token-to-replace/messages", e.token(e.alice), nil)
		requireGraphError(t, r, http.StatusNotFound, "ErrorInvalidUser")
	})
	t.Run("ClientWithoutUrlReplaceHandlerFails", func(t *testing.T) {
		t.Parallel()
		// Plain kiota middleware: no Graph UrlReplaceHandler.
		client, _, _ := e.sdk(t, e.alice, sdkOpts{httpClient: khttp.GetDefaultClient()})
		_, err := client.Me().Messages().Get(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusNotFound, odErr.ResponseStatusCode)
		require.Equal(t, "ErrorInvalidUser", *odErr.GetErrorEscaped().GetCode())
	})
	t.Run("DefaultSDKClientSucceeds", func(t *testing.T) {
		t.Parallel()
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		_, err := client.Me().Messages().Get(context.Background(), nil)
		require.NoError(t, err)
	})
}

func TestConformance_21_RequestBodies(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	tok := e.token(e.alice)
	draft := `{"Subject":"hello","ToRecipients":[{"EmailAddress":{"Address":"bob@contoso.example"}}]}`

	t.Run("GzipBodyFromTheSDKIsInflated", func(t *testing.T) {
		t.Parallel()
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		msg := models.NewMessage()
		msg.SetSubject(ptr("compressed"))
		created, err := client.Me().Messages().Post(context.Background(), msg, nil)
		require.NoError(t, err)
		require.Equal(t, "compressed", *created.GetSubject())
	})
	t.Run("ExplicitGzipAndChunkedPlainBodies", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, gzipBytes(t, []byte(draft)), "Content-Encoding", "gzip")
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.Equal(t, "hello", r.json["subject"])
		// An io.Reader body of unknown length goes out chunked.
		req, err := http.NewRequest(http.MethodPost, e.srv.GraphURL()+"/me/messages", struct{ *strings.Reader }{strings.NewReader(draft)})
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Zero(t, req.ContentLength) // unknown length: sent chunked
		require.Equal(t, http.StatusCreated, resp.StatusCode)
	})
	t.Run("PlainBodyLabelledGzipIs400", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, draft, "Content-Encoding", "gzip")
		requireGraphError(t, r, http.StatusBadRequest, "BadRequest")
	})
	t.Run("PropertyNamesMatchCaseInsensitively", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, draft)
		require.Equal(t, http.StatusCreated, r.status)
		to := r.json["toRecipients"].([]any)[0].(map[string]any)["emailAddress"].(map[string]any)
		require.Equal(t, "bob@contoso.example", to["address"])
	})
	t.Run("RetryOutsideCompressionResendsPlainBodyLabelledGzip", func(t *testing.T) {
		t.Parallel()
		// kiota-http-go#183: with the retry handler outside the compression
		// handler, the retry re-sends the uncompressed body still labelled
		// gzip, and Graph (so the emulator) answers 400.
		env := newGraphEnv(t)
		mw := orderedMiddlewares()
		mw[2], mw[3] = mw[3], mw[2] // retry before compression
		client, _, _ := env.sdk(t, env.alice, sdkOpts{middlewares: mw})
		_, err := env.srv.InjectFault(Fault{Kind: FaultStatus, Status: http.StatusServiceUnavailable, RetryAfter: "0", Method: http.MethodPost})
		require.NoError(t, err)
		msg := models.NewMessage()
		msg.SetSubject(ptr("retried"))
		_, err = client.Me().Messages().Post(context.Background(), msg, nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusBadRequest, odErr.ResponseStatusCode)
		var statuses []int
		for _, rec := range env.srv.Requests() {
			statuses = append(statuses, rec.Status)
		}
		require.Equal(t, []int{http.StatusServiceUnavailable, http.StatusBadRequest}, statuses)
	})
	t.Run("RetryInsideCompressionResendsTheCompressedBody", func(t *testing.T) {
		t.Parallel()
		env := newGraphEnv(t)
		client, _, _ := env.sdk(t, env.alice, sdkOpts{middlewares: orderedMiddlewares()})
		_, err := env.srv.InjectFault(Fault{Kind: FaultStatus, Status: http.StatusServiceUnavailable, RetryAfter: "0", Method: http.MethodPost})
		require.NoError(t, err)
		msg := models.NewMessage()
		msg.SetSubject(ptr("retried"))
		created, err := client.Me().Messages().Post(context.Background(), msg, nil)
		require.NoError(t, err)
		require.Equal(t, "retried", *created.GetSubject())
	})
}

func TestConformance_22_ErrorBodies(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)

	t.Run("RawBodyHasCodeMessageAndInnerError", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages/AAMkADnope=", e.token(e.alice), nil, "client-request-id", "crid-22")
		requireGraphError(t, r, http.StatusNotFound, "ErrorItemNotFound")
		inner := r.json["error"].(map[string]any)["innerError"].(map[string]any)
		require.Equal(t, "crid-22", inner["client-request-id"])
		require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`, inner["date"])
		require.Equal(t, r.header.Get("request-id"), inner["request-id"])
	})
	t.Run("SDKGetsAnODataErrorWhoseErrorDoesNotPanic", func(t *testing.T) {
		t.Parallel()
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		_, err := client.Me().Messages().ByMessageId("AAMkADnope=").Get(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.True(t, errors.As(err, &odErr))
		require.NotPanics(t, func() { _ = err.Error() })
		require.Equal(t, "The specified object was not found in the store.", odErr.Error())
		require.Equal(t, http.StatusNotFound, odErr.ResponseStatusCode)
		me := odErr.GetErrorEscaped()
		require.Equal(t, "ErrorItemNotFound", *me.GetCode())
		require.NotNil(t, me.GetInnerError().GetRequestId())
		require.NotEmpty(t, odErr.GetResponseHeaders().Get("request-id"))
	})
}

func TestConformance_23_Authorization(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)

	t.Run("MissingBearerIs401", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me", "", nil)
		requireGraphError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken")
	})
	t.Run("GarbageBearerIs401", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages", "not.a.token", nil)
		requireGraphError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken")
	})
	t.Run("ExpiredTokenIs401", func(t *testing.T) {
		t.Parallel()
		env := newGraphEnv(t)
		tok := env.token(env.alice)
		env.clock.Advance(2 * env.srv.Config().AccessTokenLifetime)
		r := env.raw(t, http.MethodGet, "/v1.0/me", tok, nil)
		requireGraphError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken")
	})
	t.Run("AllowedHostsWithoutTheEmulatorGives401NotSilentSuccess", func(t *testing.T) {
		t.Parallel()
		client, _, p := e.sdk(t, e.alice, sdkOpts{hosts: []string{"graph.microsoft.com"}})
		_, err := client.Me().Get(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusUnauthorized, odErr.ResponseStatusCode)
		require.Equal(t, "InvalidAuthenticationToken", *odErr.GetErrorEscaped().GetCode())
		require.Zero(t, p.calls.Load())
	})
	t.Run("MissingScopeIs403", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages", e.token(e.alice, "User.Read"), nil)
		requireGraphError(t, r, http.StatusForbidden, "ErrorAccessDenied")
		r = e.raw(t, http.MethodPost, "/v1.0/me/sendMail", e.token(e.alice, "Mail.ReadWrite"), map[string]any{"message": map[string]any{"subject": "x"}})
		requireGraphError(t, r, http.StatusForbidden, "ErrorAccessDenied")
	})
	t.Run("OtherUsersMailboxIsDenied", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/users/bob@contoso.example/messages", e.token(e.alice), nil)
		requireGraphError(t, r, http.StatusForbidden, "ErrorAccessDenied")
	})
	t.Run("DisabledMailboxIsNotEnabledForREST", func(t *testing.T) {
		t.Parallel()
		env := newGraphEnv(t)
		require.NoError(t, env.srv.UpdateUser(env.alice.ID, func(u *User) { u.MailboxDisabled = true }))
		r := env.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta", env.token(env.alice), nil)
		requireGraphError(t, r, http.StatusNotFound, "MailboxNotEnabledForRESTAPI")
	})
}

func TestConformance_24_Prefer(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	for i := range 5 {
		_, err := e.srv.DeliverMessage(e.alice.ID, InboundMessage{From: Recipient{Address: "p@example.org"}, Subject: "m" + string(rune('a'+i))})
		require.NoError(t, err)
	}
	msgs, err := e.srv.Messages(e.alice.ID, "inbox")
	require.NoError(t, err)
	immutable := map[string]bool{}
	for _, m := range msgs {
		immutable[m.ID] = true
	}

	check := func(t *testing.T, h *abstractions.RequestHeaders) {
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		resp, err := client.Me().MailFolders().ByMailFolderId("inbox").Messages().Get(context.Background(),
			&users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{Headers: h})
		require.NoError(t, err)
		require.Len(t, resp.GetValue(), 2)
		require.NotNil(t, resp.GetOdataNextLink())
		for _, m := range resp.GetValue() {
			require.True(t, immutable[*m.GetId()], "id %s is not the immutable id", *m.GetId())
		}
	}
	t.Run("CommaJoined", func(t *testing.T) {
		t.Parallel()
		h := abstractions.NewRequestHeaders()
		h.Add("Prefer", `odata.maxpagesize=2, IdType="ImmutableId"`)
		check(t, h)
	})
	t.Run("Repeated", func(t *testing.T) {
		t.Parallel()
		h := abstractions.NewRequestHeaders()
		h.Add("Prefer", "odata.maxpagesize=2")
		h.Add("Prefer", `IdType="ImmutableId"`)
		check(t, h)
	})
	t.Run("WithoutImmutableIdRegularIdsAreReturned", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages?$top=5", e.token(e.alice), nil)
		for _, v := range r.json["value"].([]any) {
			require.False(t, immutable[v.(map[string]any)["id"].(string)])
		}
	})
	t.Run("OutlookTimezone", func(t *testing.T) {
		t.Parallel()
		env := newGraphEnv(t)
		_, err := env.srv.AddEvent(env.alice.ID, Event{Subject: "sync", Start: env.clock.Now(), End: env.clock.Now().Add(30 * 60e9)})
		require.NoError(t, err)
		r := env.raw(t, http.MethodGet, "/v1.0/me/events", env.token(env.alice), nil, "Prefer", `outlook.timezone="Pacific Standard Time"`)
		start := r.json["value"].([]any)[0].(map[string]any)["start"].(map[string]any)
		require.Equal(t, "Pacific Standard Time", start["timeZone"])
		require.Equal(t, "2026-05-04T02:00:00.0000000", start["dateTime"])
		r = env.raw(t, http.MethodGet, "/v1.0/me/events", env.token(env.alice), nil)
		start = r.json["value"].([]any)[0].(map[string]any)["start"].(map[string]any)
		require.Equal(t, "UTC", start["timeZone"])
		require.Equal(t, "2026-05-04T09:00:00.0000000", start["dateTime"])
	})
}

func TestConformance_25_Select(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	client, _, _ := e.sdk(t, e.alice, sdkOpts{})

	t.Run("MeDefaultPropertiesOmitProxyAddresses", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me", e.token(e.alice), nil)
		require.Equal(t, http.StatusOK, r.status)
		for _, p := range userDefaultProps {
			require.Contains(t, r.json, p)
		}
		require.NotContains(t, r.json, "proxyAddresses")
		me, err := client.Me().Get(context.Background(), nil)
		require.NoError(t, err)
		require.Equal(t, e.alice.ID, *me.GetId())
		require.Empty(t, me.GetProxyAddresses())
	})
	t.Run("ProxyAddressesWhenSelected", func(t *testing.T) {
		t.Parallel()
		me, err := client.Me().Get(context.Background(), &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "userPrincipalName", "mail", "displayName", "proxyAddresses"}},
		})
		require.NoError(t, err)
		require.Equal(t, []string{"SMTP:alice@contoso.example", "smtp:alice@sales.contoso.example"}, me.GetProxyAddresses())
		require.Equal(t, "alice@contoso.example", *me.GetMail())
	})
	t.Run("MailMayBeNull", func(t *testing.T) {
		t.Parallel()
		env := newGraphEnv(t, withAlice(func(u *User) { u.Mail, u.ProxyAddresses = "", nil }))
		r := env.raw(t, http.MethodGet, "/v1.0/me?$select=mail,userPrincipalName", env.token(env.alice), nil)
		require.Contains(t, r.json, "mail")
		require.Nil(t, r.json["mail"])
		require.Equal(t, "alice@contoso.example", r.json["userPrincipalName"])
	})
	t.Run("InternetMessageHeadersOnlyWhenSelected", func(t *testing.T) {
		t.Parallel()
		m, err := e.srv.DeliverMessage(e.alice.ID, InboundMessage{From: Recipient{Address: "p@example.org"}, Subject: "hdr", Headers: []Header{{"x-trace", "42"}}})
		require.NoError(t, err)
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages/"+m.RestID, e.token(e.alice), nil)
		require.NotContains(t, r.json, "internetMessageHeaders")
		msg, err := client.Me().Messages().ByMessageId(m.RestID).Get(context.Background(), &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemMessagesMessageItemRequestBuilderGetQueryParameters{Select: []string{"subject", "internetMessageHeaders"}},
		})
		require.NoError(t, err)
		var found bool
		for _, h := range msg.GetInternetMessageHeaders() {
			found = found || *h.GetName() == "x-trace" && *h.GetValue() == "42"
		}
		require.True(t, found)
		require.Nil(t, msg.GetBody())
	})
	t.Run("UnknownPropertyIs400", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodGet, "/v1.0/me?$select=shoeSize", e.token(e.alice), nil)
		requireGraphError(t, r, http.StatusBadRequest, "Request_BadRequest")
	})
}
