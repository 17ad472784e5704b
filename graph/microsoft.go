package graph

import "mailbridge/internal/apperr"

// errOffice365NotConfigured answers Office 365 mutations on a Mailbridge
// without Microsoft settings.
var errOffice365NotConfigured = apperr.Conflict("microsoft.notConfigured",
	"Connecting with Office 365 is not configured on this Mailbridge. Ask your administrator to set MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET and MAILBRIDGE_TOKEN_KEY.")
