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
//
// # Conformance checklist
//
// The tests are named after the numbered items of MICROSOFT.md §7
// (TestConformance_NN_…): 1–9 authorize, 10–15 token endpoint, 16–18 admin
// consent and OIDC, 19–25 Graph request handling, 26–30 sending, 31–33
// delta, 34 $batch, 35–36 subscriptions, 37–39 throttling and limits.
// Items 40–52 (§7.10, issue #7) are where the emulator used to be more
// lenient than Microsoft; each cites its Microsoft source next to the code:
//
//	40 $filter on internetMessageHeaders is 400 ErrorInvalidUrlQueryFilter; a sent
//	   message is found by a single-value extended property or internetMessageId,
//	   in Sent Items once transport has filed it (MailOptions.SentItemsDelay)
//	41 slow requests hold their concurrency slot: the 5th concurrent request is
//	   429 ApplicationThrottled with Retry-After; latency knob, peak counter
//	42 $filter with $orderby: the $orderby properties first in $filter, in order,
//	   or 400 InefficientFilter
//	43 over-rate sends are accepted and delivered in later minutes; over the daily
//	   recipient quota a send ends in a 554 5.2.0 NDR, then the mailbox is blocked
//	   (403 ErrorMessageSubmissionBlocked) for 24 hours
//	44 $search with $filter or $orderby is 400
//	45 $select returns only what was selected (no id unless selected)
//	46 expired delta tokens: SyncStateNotFound, syncStateNotFound, SyncStateInvalid,
//	   malformed (400), ResyncRequired (410 + Location)
//	47 a user whose mail is null: no email claim, no proxy address synthesized,
//	   mail calls answer MailboxNotEnabledForRESTAPI
//	48 bodies are HTML unless Prefer: outlook.body-content-type="text"
//	49 the default tenant requires admin consent for Mail.ReadWrite
//	50 401s carry WWW-Authenticate; $top above 1000 is 400; malformed ids are
//	   400 ErrorInvalidIdMalformed
//	51 production faults: a send that went out answered ErrorServerBusy,
//	   ApplicationThrottled, UnknownError or 202 + Retry-After; a full mailbox
//	   (507 ErrorQuotaExceeded); ErrorAccessDenied for a mailbox the grant no
//	   longer covers; sign-in errors at authorize (AADSTS50057, 50053, 50055, MFA
//	   50076, Conditional Access 53003); access tokens living 60–90 minutes
//	52 relaxations: $select of real user properties (companyName, mailboxSettings
//	   with MailboxSettings.Read), $expand on messages and message delta
//
// # Knobs for product tests
//
// Every Go method has a control API twin under /_m365sim/ (JSON bodies;
// durations as Go duration strings such as "250ms"):
//
//	SetLatency(mailbox, d)        PUT  /_m365sim/latency, /_m365sim/mailboxes/{user}/latency  {"Latency":"2s"}
//	Latency(mailbox)              GET  the same paths
//	MailboxConcurrency(mailbox)   GET  /_m365sim/mailboxes/{user}/concurrency
//	                              → {Mailbox, InFlight, PeakInFlight, Throttled, Latency}
//	ThrottleCounters(mailbox)     GET  /_m365sim/mailboxes/{user}/counters (with SendCounters)
//	ResetCounters()               POST /_m365sim/counters/reset
//	InjectFault(f)                POST /_m365sim/faults  {"Kind":"after-accept","Code":"ErrorServerBusy",…}
//	ClearFaults()                 DELETE /_m365sim/faults (also releases delayed requests)
//	ExpireDeltaTokens(mailbox, m) POST /_m365sim/mailboxes/{user}/expire-delta {"Mode":"invalid"}
//	SetSignInError(user, code)    PUT  /_m365sim/users/{user}/signInError {"Code":50057}
//	SetIdentityPolicy(p)          PUT  /_m365sim/identity/policy {"RandomAccessTokenLifetime":true}
//
// The latency knob is real time: a request to the mailbox waits that long
// while it holds one of the mailbox's MaxConcurrent slots, so a product
// test can drive its sync or send with, say, 200ms latency and assert that
// MailboxConcurrency(...).PeakInFlight never exceeds 4 and Throttled stays
// 0. Changing a latency releases the requests waiting at that moment, so
// tests never sit out a long latency. Sending-rate and token times run on
// Config.Now, which tests replace with a clock they advance.
package m365sim
