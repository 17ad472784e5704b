package m365sim

import (
	"bytes"
	"html/template"
	"net/http"
)

// pageKind selects the body of the sign-in page template.
type pageKind string

const (
	pageUsername        pageKind = "username"        // type an account
	pagePassword        pageKind = "password"        // enter the password
	pagePick            pageKind = "pick"            // pick a signed-in account
	pageConsent         pageKind = "consent"         // Permissions requested: Accept / Cancel
	pageAdminConsent    pageKind = "adminConsent"    // admin consent endpoint: Accept for your organization
	pageAdminRequired   pageKind = "adminRequired"   // AADSTS90094: Need admin approval
	pageRequestApproval pageKind = "requestApproval" // AADSTS90095: Request approval
	pageRequestSent     pageKind = "requestSent"     // admin consent request submitted
	pageError           pageKind = "error"           // AADSTS error page
	pageFormPost        pageKind = "formPost"        // response_mode=form_post auto-submit
	pageSignedOut       pageKind = "signedOut"       // after logout
	pageErrorInfo       pageKind = "errorInfo"       // /error?code=
)

// page is the data of one rendered identity page.
type page struct {
	Kind     pageKind
	Title    string
	Tenant   string // {tenant} path segment, for form actions
	Ctx      string // sign-in transaction id
	AppName  string
	Account  string // the account shown above the form
	Hint     string // pre-filled username
	Error    string // inline error under the input
	Accounts []pageAccount
	Scopes   []pageScope
	// ShowOrgBox shows the "Consent on behalf of your organization"
	// checkbox (tenant admins only).
	ShowOrgBox bool
	// AdminOnlyText: the 90094/90095/admin-endpoint pages' explanation.
	AdminOnlyText string
	CancelURL     string

	// error page
	ErrorCode                         int
	ErrorMessage                      string
	TraceID, CorrelationID, Timestamp string
	FormAction                        string
	FormFields                        []formField
}

// pageAccount is one entry of the account picker.
type pageAccount struct{ ID, UPN, Name string }

// pageScope is one permission line on a consent page.
type pageScope struct{ Name, Text string }

// formField is a hidden field of the form_post response.
type formField struct{ Name, Value string }

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{margin:0;background:#f2f2f2;font-family:"Segoe UI","Helvetica Neue",Arial,sans-serif;color:#1b1b1b;font-size:15px}
.card{width:440px;max-width:calc(100% - 40px);margin:80px auto 0;background:#fff;box-shadow:0 2px 6px rgba(0,0,0,.2);padding:44px;box-sizing:border-box}
.logo{display:flex;align-items:center;gap:8px;font-size:17px;font-weight:600;color:#737373;margin-bottom:16px}
h1{font-size:24px;font-weight:600;margin:16px 0 12px}
.identity{font-size:15px;margin:8px 0}
input[type=email],input[type=password],input[type=text],textarea{width:100%;box-sizing:border-box;border:none;border-bottom:1px solid #666;padding:6px 0;font-size:15px;outline:none;margin:12px 0;font-family:inherit}
textarea{border:1px solid #666;padding:6px;height:80px}
.error{color:#e81123;margin:8px 0}
.buttons{display:flex;justify-content:flex-end;gap:8px;margin-top:24px}
button,.btn{min-width:108px;padding:6px 12px;font-size:15px;border:none;cursor:pointer;font-family:inherit}
.primary{background:#0067b8;color:#fff}
.secondary{background:#ccc;color:#000}
.link{background:none;color:#0067b8;padding:0;min-width:0;text-align:left}
a{color:#0067b8;text-decoration:none}
ul.scopes{padding-left:20px}ul.scopes li{margin:6px 0}
.tile{display:block;width:100%;text-align:left;background:#fff;border:none;border-bottom:1px solid #eee;padding:12px 4px}
.tile:hover{background:#e6e6e6}
.small{font-size:13px;color:#595959}
.details{font-size:13px;color:#595959;margin-top:24px;word-break:break-word}
.footer{text-align:right;font-size:12px;color:#595959;width:440px;margin:12px auto}
</style></head><body>
{{if eq .Kind "formPost"}}
<form method="POST" name="hiddenform" action="{{.FormAction}}">
{{range .FormFields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form>
<script>document.forms[0].submit();</script>
{{else}}
<div class="card">
<div class="logo"><svg width="21" height="21" viewBox="0 0 21 21" aria-hidden="true"><rect x="1" y="1" width="9" height="9" fill="#f25022"/><rect x="11" y="1" width="9" height="9" fill="#7fba00"/><rect x="1" y="11" width="9" height="9" fill="#00a4ef"/><rect x="11" y="11" width="9" height="9" fill="#ffb900"/></svg>Microsoft</div>
{{if .Account}}<div class="identity">{{.Account}}</div>{{end}}

{{if eq .Kind "username"}}
<h1>Sign in</h1>
<form method="POST" action="/{{.Tenant}}/login">
<input type="hidden" name="ctx" value="{{.Ctx}}"><input type="hidden" name="step" value="username">
{{if .Error}}<div class="error" id="usernameError" role="alert">{{.Error}}</div>{{end}}
<input type="email" name="loginfmt" id="i0116" placeholder="Email, phone, or Skype" value="{{.Hint}}" autofocus aria-label="Enter your email, phone, or Skype.">
<div class="small">Can't access your account?</div>
<div class="buttons"><button type="submit" class="primary" id="idSIButton9">Next</button></div>
</form>

{{else if eq .Kind "password"}}
<h1>Enter password</h1>
<form method="POST" action="/{{.Tenant}}/login">
<input type="hidden" name="ctx" value="{{.Ctx}}"><input type="hidden" name="step" value="password">
{{if .Error}}<div class="error" id="passwordError" role="alert">{{.Error}}</div>{{end}}
<input type="password" name="passwd" id="i0118" placeholder="Password" autofocus aria-label="Enter the password for {{.Account}}">
<div class="small"><a href="#">Forgot my password</a></div>
<div class="buttons"><button type="submit" class="primary" id="idSIButton9">Sign in</button></div>
</form>

{{else if eq .Kind "pick"}}
<h1>Pick an account</h1>
<form method="POST" action="/{{.Tenant}}/login">
<input type="hidden" name="ctx" value="{{.Ctx}}"><input type="hidden" name="step" value="pick">
{{range .Accounts}}<button type="submit" class="tile" name="account" value="{{.ID}}" data-test-id="{{.UPN}}"><div>{{.Name}}</div><div class="small">{{.UPN}}</div></button>
{{end}}<button type="submit" class="tile" name="account" value="other" id="otherTile">Use another account</button>
</form>

{{else if eq .Kind "consent"}}
<h1>Permissions requested</h1>
<div><strong>{{.AppName}}</strong></div>
<p>This app would like to:</p>
<ul class="scopes">{{range .Scopes}}<li title="{{.Name}}" data-scope="{{.Name}}">{{.Text}}</li>{{end}}</ul>
<form method="POST" action="/{{.Tenant}}/consent">
<input type="hidden" name="ctx" value="{{.Ctx}}">
{{if .ShowOrgBox}}<p><label><input type="checkbox" name="consentForOrg" id="consentForOrg" value="true"> Consent on behalf of your organization</label></p>{{end}}
<p class="small">Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement. You can change these permissions at https://myapps.microsoft.com.</p>
<p class="small"><button type="submit" class="link" name="action" value="decline" id="declineLink">Decline these permissions</button></p>
<div class="buttons">
<button type="submit" class="secondary" name="action" value="cancel" id="idBtn_Back">Cancel</button>
<button type="submit" class="primary" name="action" value="accept" id="idBtn_Accept">Accept</button>
</div>
</form>

{{else if eq .Kind "adminConsent"}}
<h1>Permissions requested</h1>
<div><strong>{{.AppName}}</strong></div>
<p>Accept for your organization. This app would like to:</p>
<ul class="scopes">{{range .Scopes}}<li title="{{.Name}}" data-scope="{{.Name}}">{{.Text}}</li>{{end}}</ul>
<form method="POST" action="/{{.Tenant}}/consent">
<input type="hidden" name="ctx" value="{{.Ctx}}">
<p class="small">If you accept, this app will get access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>
<div class="buttons">
<button type="submit" class="secondary" name="action" value="cancel" id="idBtn_Back">Cancel</button>
<button type="submit" class="primary" name="action" value="accept" id="idBtn_Accept">Accept</button>
</div>
</form>

{{else if eq .Kind "adminRequired"}}
<h1>Need admin approval</h1>
<p><strong>{{.AppName}}</strong></p>
<p id="adminRequiredText">{{.AdminOnlyText}}</p>
<form method="POST" action="/{{.Tenant}}/login">
<input type="hidden" name="ctx" value="{{.Ctx}}"><input type="hidden" name="step" value="switch">
<p><button type="submit" class="link" id="adminSignIn">Have an admin account? Sign in with that account</button></p>
</form>
<p><a href="{{.CancelURL}}" id="returnToApp">Return to the application without granting consent</a></p>
<div class="details">AADSTS{{.ErrorCode}}</div>

{{else if eq .Kind "requestApproval"}}
<h1>Need admin approval</h1>
<p><strong>{{.AppName}}</strong></p>
<p>{{.AdminOnlyText}}</p>
<form method="POST" action="/{{.Tenant}}/consent/request">
<input type="hidden" name="ctx" value="{{.Ctx}}">
<label for="justification">Enter justification for requesting this app</label>
<textarea name="justification" id="justification"></textarea>
<div class="buttons"><button type="submit" class="primary" id="requestApproval">Request approval</button></div>
</form>
<p><a href="{{.CancelURL}}" id="returnToApp">Return to the application without granting consent</a></p>
<div class="details">AADSTS{{.ErrorCode}}</div>

{{else if eq .Kind "requestSent"}}
<h1>Request sent</h1>
<p><strong>{{.AppName}}</strong></p>
<p id="requestSentText">Your request has been sent to your admin. You will receive an email once your admin has reviewed your request.</p>

{{else if eq .Kind "signedOut"}}
<h1>You signed out of your account</h1>
<p>It's a good idea to close all browser windows.</p>

{{else if eq .Kind "errorInfo"}}
<h1>AADSTS{{.ErrorCode}}</h1>
<p>{{.ErrorMessage}}</p>

{{else}}
<h1>Sign in</h1>
<p>Sorry, but we're having trouble signing you in.</p>
<p id="errorMessage">AADSTS{{.ErrorCode}}: {{.ErrorMessage}}</p>
<div class="details">
<div><strong>Troubleshooting details</strong></div>
<div>Request Id: {{.TraceID}}</div>
<div>Correlation Id: {{.CorrelationID}}</div>
<div>Timestamp: {{.Timestamp}}</div>
<div>Message: AADSTS{{.ErrorCode}}</div>
</div>
{{end}}
</div>
<div class="footer">Terms of use &nbsp; Privacy &amp; cookies &nbsp; ...</div>
{{end}}
</body></html>
`))

// flowResult is what a sign-in step answers: a page, a redirect or an
// auto-submitting form, plus cookies. It is computed under Sim.mu and written
// after the lock is released.
type flowResult struct {
	status   int // for pages; 0 means 200
	page     *page
	redirect string
	cookies  []*http.Cookie
}

// write sends the result.
func (fr *flowResult) write(w http.ResponseWriter, r *http.Request) {
	for _, c := range fr.cookies {
		http.SetCookie(w, c)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	if fr.redirect != "" {
		http.Redirect(w, r, fr.redirect, http.StatusFound)
		return
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, fr.page); err != nil {
		http.Error(w, "m365sim: render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	status := fr.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage renders an AADSTS error on Microsoft's page (never a redirect).
func (s *Sim) errorPage(e *aadError) *flowResult {
	_, traceID, correlationID, ts := s.describe(e)
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &flowResult{status: status, page: &page{
		Kind: pageError, Title: "Sign in to your account",
		ErrorCode: e.Code, ErrorMessage: e.Message,
		TraceID: traceID, CorrelationID: correlationID, Timestamp: ts,
	}}
}
