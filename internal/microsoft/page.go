package microsoft

import (
	"html/template"
	"net/http"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Mailbridge</title></head>
<body><main>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
<p><a href="{{.Back}}">{{.BackLabel}}</a></p>
</main></body></html>
`))

// page answers with a plain page that says what happened and what to do
// (used where there is no mailbox to report on).
func (s *Service) page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, pageData{Title: title, Message: msg, Back: MailboxesPath, BackLabel: "Back to Mailboxes"})
}

type pageData struct{ Title, Message, Back, BackLabel string }

func (s *Service) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), "microsoft: callback: "+what, "error", err)
	s.page(w, http.StatusInternalServerError, "Something went wrong",
		"Mailbridge could not finish connecting the mailbox. Go back to Mailboxes and click Connect with Office 365 again.")
}
