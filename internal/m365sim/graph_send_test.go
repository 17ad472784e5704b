package m365sim

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"github.com/stretchr/testify/require"
)

// Checklist items 26–30 (MICROSOFT.md §7.5): sending.

const sendIDProp = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name MailbridgeSendId"

func newTestMessage(subject string, to ...string) models.Messageable {
	m := models.NewMessage()
	m.SetSubject(ptr(subject))
	body := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	body.SetContentType(&ct)
	body.SetContent(ptr("Hello from the test."))
	m.SetBody(body)
	var rs []models.Recipientable
	for _, a := range to {
		r := models.NewRecipient()
		ea := models.NewEmailAddress()
		ea.SetAddress(ptr(a))
		r.SetEmailAddress(ea)
		rs = append(rs, r)
	}
	m.SetToRecipients(rs)
	return m
}

func withHeaders(m models.Messageable, kv ...string) {
	var hs []models.InternetMessageHeaderable
	for i := 0; i+1 < len(kv); i += 2 {
		h := models.NewInternetMessageHeader()
		h.SetName(ptr(kv[i]))
		h.SetValue(ptr(kv[i+1]))
		hs = append(hs, h)
	}
	m.SetInternetMessageHeaders(hs)
}

func withFrom(m models.Messageable, addr string) {
	r := models.NewRecipient()
	ea := models.NewEmailAddress()
	ea.SetAddress(ptr(addr))
	r.SetEmailAddress(ea)
	m.SetFrom(r)
}

func sendMailBody(m models.Messageable, save *bool) users.ItemSendMailPostRequestBodyable {
	b := users.NewItemSendMailPostRequestBody()
	b.SetMessage(m)
	b.SetSaveToSentItems(save)
	return b
}

func immutableHeaders() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", `IdType="ImmutableId"`)
	return h
}

func noRetry() *khttp.RetryHandlerOptions {
	return &khttp.RetryHandlerOptions{ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false }}
}

func TestConformance_26_SendMail(t *testing.T) {
	t.Parallel()

	t.Run("AcceptedWithEmptyBodyAndCopiedToSentItems", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		m := newTestMessage("intro", "prospect@example.org", "bob@contoso.example")
		withHeaders(m, "x-mailbridge-send-id", "se_1")
		require.NoError(t, client.Me().SendMail().Post(context.Background(), sendMailBody(m, nil), nil))

		sent, err := e.srv.Messages(e.alice.ID, "sentitems")
		require.NoError(t, err)
		require.Len(t, sent, 1)
		require.False(t, sent[0].IsDraft)
		require.Equal(t, []Header{{"x-mailbridge-send-id", "se_1"}}, sent[0].Headers)
		require.Equal(t, "alice@contoso.example", sent[0].From.Address)
		// Delivered to the emulated recipient's Inbox, same thread.
		inbox, err := e.srv.Messages(e.bob.ID, "inbox")
		require.NoError(t, err)
		require.Len(t, inbox, 1)
		require.Equal(t, sent[0].InternetMessageID, inbox[0].InternetMessageID)
		require.Equal(t, sent[0].ConversationID, inbox[0].ConversationID)
		// Searchable by the custom header value through $select.
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/sentitems/messages?$select=internetMessageHeaders", e.token(e.alice), nil)
		require.Contains(t, string(r.body), "se_1")

		recs, err := e.srv.Sent(e.alice.ID)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, "sendMail", recs[0].Via)
		require.Equal(t, []string{"prospect@example.org", "bob@contoso.example"}, recs[0].To)
		require.Equal(t, e.app.ClientID, recs[0].ClientID)
		sc, err := e.srv.SendCounters(e.alice.ID)
		require.NoError(t, err)
		require.Equal(t, 1, sc.Sent)
		require.Equal(t, 2, sc.Recipients)
		require.Equal(t, 1, sc.SentLastMinute)
	})
	t.Run("RawResponseIs202WithEmptyBody", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		r := e.raw(t, http.MethodPost, "/v1.0/me/sendMail", e.token(e.alice),
			`{"message":{"subject":"s","toRecipients":[{"emailAddress":{"address":"p@example.org"}}]},"saveToSentItems":true}`)
		require.Equal(t, http.StatusAccepted, r.status)
		require.Empty(t, r.body)
	})
	t.Run("SaveToSentItemsFalseAsBoolOrString", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		require.NoError(t, client.Me().SendMail().Post(context.Background(), sendMailBody(newTestMessage("a", "p@example.org"), ptr(false)), nil))
		r := e.raw(t, http.MethodPost, "/v1.0/me/sendMail", e.token(e.alice),
			`{"Message":{"Subject":"b","ToRecipients":[{"EmailAddress":{"Address":"p@example.org"}}]},"SaveToSentItems":"false"}`)
		require.Equal(t, http.StatusAccepted, r.status, string(r.body))
		sent, err := e.srv.Messages(e.alice.ID, "sentitems")
		require.NoError(t, err)
		require.Empty(t, sent)
		recs, _ := e.srv.Sent(e.alice.ID)
		require.Len(t, recs, 2)
	})
	t.Run("MoreThanFiveCustomHeadersIs400", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		m := newTestMessage("h", "p@example.org")
		withHeaders(m, "x-1", "1", "x-2", "2", "x-3", "3", "x-4", "4", "x-5", "5", "x-6", "6")
		err := client.Me().SendMail().Post(context.Background(), sendMailBody(m, nil), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusBadRequest, odErr.ResponseStatusCode)
		require.Equal(t, "InvalidInternetMessageHeaderCollection", *odErr.GetErrorEscaped().GetCode())
		require.Equal(t, "Maximum number of headers in one message should be less than or equal to 5.", odErr.Error())
		recs, _ := e.srv.Sent(e.alice.ID)
		require.Empty(t, recs)
	})
	t.Run("UnknownRecipientInAnAcceptedDomainBounces", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		require.NoError(t, client.Me().SendMail().Post(context.Background(), sendMailBody(newTestMessage("hello", "nobody@contoso.example"), nil), nil))
		inbox, err := e.srv.Messages(e.alice.ID, "inbox")
		require.NoError(t, err)
		require.Len(t, inbox, 1)
		require.True(t, inbox[0].IsNDR)
		require.Equal(t, "Undeliverable: hello", inbox[0].Subject)
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Equal(t, sent[0].ConversationID, inbox[0].ConversationID)
		require.Equal(t, sent[0].InternetMessageID, inbox[0].InReplyTo)
	})
	t.Run("ExternalRecipientsBounceOnlyWhenTheKnobSaysSo", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		require.NoError(t, client.Me().SendMail().Post(context.Background(), sendMailBody(newTestMessage("a", "p@example.org"), nil), nil))
		require.NoError(t, e.srv.SetMailOptions(e.alice.ID, MailOptions{BounceAddresses: []string{"@example.org"}}))
		require.NoError(t, client.Me().SendMail().Post(context.Background(), sendMailBody(newTestMessage("b", "p@example.org"), nil), nil))
		inbox, _ := e.srv.Messages(e.alice.ID, "inbox")
		require.Len(t, inbox, 1)
		require.Equal(t, "Undeliverable: b", inbox[0].Subject)
		recs, _ := e.srv.Sent(e.alice.ID)
		require.Equal(t, []string{"p@example.org"}, recs[1].Bounced)
	})
}

func TestConformance_27_SendFromAlias(t *testing.T) {
	t.Parallel()
	send := func(t *testing.T, e *graphEnv, from string) error {
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		m := newTestMessage("alias", "p@example.org")
		withFrom(m, from)
		return client.Me().SendMail().Post(context.Background(), sendMailBody(m, nil), nil)
	}
	t.Run("PreservedWhenSendFromAliasEnabled", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withAliasMode(AliasPreserve))
		require.NoError(t, send(t, e, "alice@sales.contoso.example"))
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Equal(t, "alice@sales.contoso.example", sent[0].From.Address)
	})
	t.Run("SilentlyRewrittenByDefault", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		require.NoError(t, send(t, e, "alice@sales.contoso.example"))
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Equal(t, "alice@contoso.example", sent[0].From.Address)
		recs, _ := e.srv.Sent(e.alice.ID)
		require.Equal(t, "alice@sales.contoso.example", recs[0].RequestedFrom)
		require.Equal(t, "alice@contoso.example", recs[0].From)
	})
	t.Run("SendAsDeniedForOthersAddresses", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		err := send(t, e, "bob@contoso.example")
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusForbidden, odErr.ResponseStatusCode)
		require.Equal(t, "ErrorSendAsDenied", *odErr.GetErrorEscaped().GetCode())
		require.Contains(t, odErr.Error(), "does not have the right to send mail on behalf of the specified sending account")
		recs, _ := e.srv.Sent(e.alice.ID)
		require.Empty(t, recs)
	})
	t.Run("SendAsRightAllowsIt", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withAlice(func(u *User) { u.SendAs = []string{"team@contoso.example"} }))
		require.NoError(t, send(t, e, "team@contoso.example"))
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Equal(t, "team@contoso.example", sent[0].From.Address)
		require.Equal(t, "team@contoso.example", sent[0].Sender.Address)
	})
	t.Run("DraftAndSendFollowTheSameRules", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		m := newTestMessage("draft alias", "p@example.org")
		withFrom(m, "bob@contoso.example")
		d, err := client.Me().Messages().Post(context.Background(), m, nil)
		require.NoError(t, err)
		err = client.Me().Messages().ByMessageId(*d.GetId()).Send().Post(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, "ErrorSendAsDenied", *odErr.GetErrorEscaped().GetCode())
	})
}

func TestConformance_28_DraftThenSendWithImmutableID(t *testing.T) {
	t.Parallel()

	t.Run("ImmutableIDFollowsTheMessageIntoSentItems", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		m := newTestMessage("sequence step 1", "p@example.org")
		withHeaders(m, "x-mailbridge-send-id", "se_28")
		ep := models.NewSingleValueLegacyExtendedProperty()
		ep.SetId(ptr(sendIDProp))
		ep.SetValue(ptr("se_28"))
		m.SetSingleValueExtendedProperties([]models.SingleValueLegacyExtendedPropertyable{ep})
		d, err := client.Me().Messages().Post(context.Background(), m, &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutableHeaders()})
		require.NoError(t, err)
		require.True(t, *d.GetIsDraft())
		require.Regexp(t, `^<.+@.+>$`, *d.GetInternetMessageId())
		require.NotEmpty(t, *d.GetConversationId())
		require.NotEmpty(t, *d.GetWebLink())
		require.NotEmpty(t, *d.GetChangeKey())
		drafts, _ := e.srv.Folder(e.alice.ID, "drafts")
		require.Equal(t, drafts.ID, *d.GetParentFolderId())
		id := *d.GetId()

		cfg := &users.ItemMessagesItemSendRequestBuilderPostRequestConfiguration{Options: []abstractions.RequestOption{noRetry()}}
		require.NoError(t, client.Me().Messages().ByMessageId(id).Send().Post(context.Background(), cfg))
		requireLastRequestWasBodilessSend(t, e)

		got, err := client.Me().Messages().ByMessageId(id).Get(context.Background(), &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{Headers: immutableHeaders()})
		require.NoError(t, err)
		require.False(t, *got.GetIsDraft())
		require.Equal(t, id, *got.GetId())
		require.Equal(t, *d.GetInternetMessageId(), *got.GetInternetMessageId())
		sent, _ := e.srv.Folder(e.alice.ID, "sentitems")
		require.Equal(t, sent.ID, *got.GetParentFolderId())
	})
	t.Run("RegularIDChangesOnTheMove", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		d, err := client.Me().Messages().Post(context.Background(), newTestMessage("regular", "p@example.org"), nil)
		require.NoError(t, err)
		require.NoError(t, client.Me().Messages().ByMessageId(*d.GetId()).Send().Post(context.Background(), nil))
		_, err = client.Me().Messages().ByMessageId(*d.GetId()).Get(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, "ErrorItemNotFound", *odErr.GetErrorEscaped().GetCode())
	})
	t.Run("SentItemsCopyAppearsAfterTheConfiguredDelay", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		require.NoError(t, e.srv.SetMailOptions("", MailOptions{SentItemsDelay: 30 * time.Second}))
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		d, err := client.Me().Messages().Post(context.Background(), newTestMessage("slow", "bob@contoso.example"), &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutableHeaders()})
		require.NoError(t, err)
		require.NoError(t, client.Me().Messages().ByMessageId(*d.GetId()).Send().Post(context.Background(), nil))
		get := func() models.Messageable {
			got, err := client.Me().Messages().ByMessageId(*d.GetId()).Get(context.Background(), &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{Headers: immutableHeaders()})
			require.NoError(t, err)
			return got
		}
		require.True(t, *get().GetIsDraft())
		inbox, _ := e.srv.Messages(e.bob.ID, "inbox")
		require.Empty(t, inbox)
		e.clock.Advance(31 * time.Second)
		require.False(t, *get().GetIsDraft())
		inbox, _ = e.srv.Messages(e.bob.ID, "inbox")
		require.Len(t, inbox, 1)
	})
	t.Run("ExtendedPropertyFilterFindsTheMessageInAnyFolder", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		for i, folderSend := range []bool{false, true} {
			m := newTestMessage(fmt.Sprintf("ep %d", i), "p@example.org")
			ep := models.NewSingleValueLegacyExtendedProperty()
			ep.SetId(ptr(sendIDProp))
			ep.SetValue(ptr(fmt.Sprintf("se_%d", i)))
			m.SetSingleValueExtendedProperties([]models.SingleValueLegacyExtendedPropertyable{ep})
			d, err := client.Me().Messages().Post(context.Background(), m, nil)
			require.NoError(t, err)
			if folderSend {
				require.NoError(t, client.Me().Messages().ByMessageId(*d.GetId()).Send().Post(context.Background(), nil))
			}
		}
		for i, wantDraft := range []bool{true, false} {
			filter := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq '%s' and ep/value eq 'se_%d')", sendIDProp, i)
			resp, err := client.Me().Messages().Get(context.Background(), &users.ItemMessagesRequestBuilderGetRequestConfiguration{
				Headers: immutableHeaders(),
				QueryParameters: &users.ItemMessagesRequestBuilderGetQueryParameters{
					Filter: &filter, Expand: []string{"singleValueExtendedProperties($filter=id eq '" + sendIDProp + "')"},
				},
			})
			require.NoError(t, err)
			require.Len(t, resp.GetValue(), 1)
			got := resp.GetValue()[0]
			require.Equal(t, wantDraft, *got.GetIsDraft())
			require.Equal(t, fmt.Sprintf("se_%d", i), *got.GetSingleValueExtendedProperties()[0].GetValue())
		}
	})
	t.Run("HeadersCanOnlyBeSetAtCreation", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		tok := e.token(e.alice)
		r := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, `{"subject":"x"}`)
		require.Equal(t, http.StatusCreated, r.status)
		r = e.raw(t, http.MethodPatch, "/v1.0/me/messages/"+r.json["id"].(string), tok, `{"internetMessageHeaders":[{"name":"x-late","value":"1"}]}`)
		requireGraphError(t, r, http.StatusBadRequest, "ErrorInvalidPropertyUpdateSentMessage")
		r = e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, `{"subject":"x","internetMessageHeaders":[{"name":"Reply-By","value":"1"}]}`)
		requireGraphError(t, r, http.StatusBadRequest, "InvalidInternetMessageHeader")
	})
}

// requireLastRequestWasBodilessSend checks that the SDK's /send went out
// with Content-Length 0 and was answered 202.
func requireLastRequestWasBodilessSend(t *testing.T, e *graphEnv) {
	t.Helper()
	reqs := e.srv.Requests()
	last := reqs[len(reqs)-1]
	require.Equal(t, http.MethodPost, last.Method)
	require.True(t, strings.HasSuffix(last.Path, "/send"), last.Path)
	require.Equal(t, http.StatusAccepted, last.Status)
	require.Zero(t, last.ContentLength)
}

func TestConformance_29_DuplicateSendGuard(t *testing.T) {
	t.Parallel()
	afterAccept := func(t *testing.T, e *graphEnv) {
		_, err := e.srv.InjectFault(Fault{Mailbox: e.alice.ID, Kind: FaultAfterAccept, Status: http.StatusGatewayTimeout, RetryAfter: "0"})
		require.NoError(t, err)
	}
	t.Run("DefaultRetriesSendSendMailTwice", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		afterAccept(t, e)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{middlewares: orderedMiddlewares()})
		require.NoError(t, client.Me().SendMail().Post(context.Background(), sendMailBody(newTestMessage("dup", "p@example.org"), nil), nil))
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Len(t, sent, 2)
	})
	t.Run("ShouldRetryFalseSendsOnceAndSurfacesThe504", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		afterAccept(t, e)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		err := client.Me().SendMail().Post(context.Background(), sendMailBody(newTestMessage("once", "p@example.org"), nil),
			&users.ItemSendMailRequestBuilderPostRequestConfiguration{Options: []abstractions.RequestOption{noRetry()}})
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusGatewayTimeout, odErr.ResponseStatusCode)
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Len(t, sent, 1)
	})
	t.Run("DraftSendRetriedDuringTransportIsSentTwice", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		require.NoError(t, e.srv.SetMailOptions("", MailOptions{SentItemsDelay: time.Minute}))
		afterAccept(t, e)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{middlewares: orderedMiddlewares()})
		d, err := client.Me().Messages().Post(context.Background(), newTestMessage("dup draft", "p@example.org"), &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutableHeaders()})
		require.NoError(t, err)
		require.NoError(t, client.Me().Messages().ByMessageId(*d.GetId()).Send().Post(context.Background(), nil))
		e.clock.Advance(2 * time.Minute)
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Len(t, sent, 2)
	})
	t.Run("ProductPathSendsOnceThenReconcilesByImmutableID", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		afterAccept(t, e)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		d, err := client.Me().Messages().Post(context.Background(), newTestMessage("once draft", "p@example.org"), &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutableHeaders()})
		require.NoError(t, err)
		err = client.Me().Messages().ByMessageId(*d.GetId()).Send().Post(context.Background(),
			&users.ItemMessagesItemSendRequestBuilderPostRequestConfiguration{Options: []abstractions.RequestOption{noRetry()}})
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusGatewayTimeout, odErr.ResponseStatusCode)
		got, err := client.Me().Messages().ByMessageId(*d.GetId()).Get(context.Background(), &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{Headers: immutableHeaders()})
		require.NoError(t, err)
		require.False(t, *got.GetIsDraft(), "the 504 came after the accept: the message was sent")
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Len(t, sent, 1)
	})
}

func TestConformance_30_MIMESendMail(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	mimeMsg := "From: alice@contoso.example\r\nTo: Bob <bob@contoso.example>\r\nSubject: MIME hello\r\nX-Mailbridge-Send-Id: se_mime\r\nContent-Type: text/plain\r\n\r\nHi Bob.\r\n"

	t.Run("Base64MIMEIsAccepted", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodPost, "/v1.0/me/sendMail", e.token(e.alice), base64.StdEncoding.EncodeToString([]byte(mimeMsg)), "Content-Type", "text/plain")
		require.Equal(t, http.StatusAccepted, r.status, string(r.body))
		inbox, _ := e.srv.Messages(e.bob.ID, "inbox")
		require.Len(t, inbox, 1)
		require.Equal(t, "MIME hello", inbox[0].Subject)
		require.Equal(t, []Header{{"X-Mailbridge-Send-Id", "se_mime"}}, inbox[0].Headers)
	})
	t.Run("InvalidBase64Is400", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t, http.MethodPost, "/v1.0/me/sendMail", e.token(e.alice), "%%% not base64 %%%", "Content-Type", "text/plain")
		requireGraphError(t, r, http.StatusBadRequest, "ErrorMimeContentInvalidBase64String")
	})
}
