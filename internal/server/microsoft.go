package server

import (
	"context"
	"net/http"

	"mailbridge/internal/auth"
	"mailbridge/internal/microsoft"
)

// NewMicrosoft builds the Microsoft 365 service of d — one per process,
// shared by the handler and the background jobs so that token refreshes are
// single-flight across both — or nil when it is not configured (tests that
// build the handler without Microsoft settings). Sign in with Microsoft
// starts sessions through d.Auth.
func NewMicrosoft(d Deps) (*microsoft.Service, error) {
	if !d.Config.Microsoft.Configured() {
		return nil, nil
	}
	ms, err := microsoft.New(microsoft.Options{
		Config:     d.Config.Microsoft,
		PublicURL:  d.Config.PublicURL,
		Client:     d.Client,
		HTTPClient: d.MicrosoftHTTPClient,
		Logger:     d.Logger,
		Now:        d.Now,
		SignIn: func(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int) error {
			return d.Auth.SignIn(ctx, w, r, userID, auth.SignInMicrosoft)
		},
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}
