package server

import (
	"context"
	"net/http"
	"time"

	"mailbridge/internal/auth"
	"mailbridge/internal/microsoft"
)

// newMicrosoft builds the Microsoft 365 service, or nil when it is not
// configured (tests that build the handler without Microsoft settings).
func newMicrosoft(d Deps, authn *auth.Service) (*microsoft.Service, error) {
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
			return authn.SignIn(ctx, w, r, userID, auth.SignInMicrosoft)
		},
	})
	if err != nil {
		return nil, err
	}
	// Refuse to start when stored tokens need a key that was removed.
	ring, err := d.Config.Microsoft.Ring()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := microsoft.CheckKeys(ctx, d.Client, ring); err != nil {
		return nil, err
	}
	return ms, nil
}
