package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/auth"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

func TestService_PurgeExpiredSessions(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	client := d.Client()
	ctx := viewer.SystemContext(context.Background())
	org := client.Organization.Create().SetName("Acme").SaveX(ctx)
	u := client.User.Create().SetOrgID(org.ID).SetEmail("a@acme.com").SetName("A").SaveX(ctx)

	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := auth.NewService(client, auth.Options{IdleTimeout: 20 * time.Minute, AbsoluteTimeout: 8 * time.Hour, Now: clock})
	signIn := func() {
		rec := httptest.NewRecorder()
		require.NoError(t, svc.SignIn(ctx, rec, httptest.NewRequest(http.MethodPost, "/", nil), u.ID, auth.SignInDemo))
	}
	signIn() // idle from 9:00
	now = now.Add(15 * time.Minute)
	signIn()                        // idle from 9:15
	now = now.Add(10 * time.Minute) // 9:25: the first is idle for 25 min

	n, err := svc.PurgeExpiredSessions(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, client.Session.Query().CountX(ctx))

	now = now.Add(8 * time.Hour)
	n, err = svc.PurgeExpiredSessions(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, client.Session.Query().CountX(ctx))
}

// TestService_PurgeSessionsEveryStopsWithItsContext: the purge loop purges
// at once and returns when its context ends, so serve can wait for it
// before closing the database.
func TestService_PurgeSessionsEveryStopsWithItsContext(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	client := d.Client()
	sys := viewer.SystemContext(context.Background())
	org := client.Organization.Create().SetName("Acme").SaveX(sys)
	u := client.User.Create().SetOrgID(org.ID).SetEmail("a@acme.com").SetName("A").SaveX(sys)
	start := time.Now()
	now := start
	svc := auth.NewService(client, auth.Options{IdleTimeout: 20 * time.Minute, AbsoluteTimeout: 8 * time.Hour, Now: func() time.Time { return now }})
	require.NoError(t, svc.SignIn(sys, httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil), u.ID, auth.SignInDemo))
	now = start.Add(time.Hour) // idle for an hour by the service's clock

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		svc.PurgeSessionsEvery(ctx, time.Hour)
		close(done)
	}()
	deadline := time.After(30 * time.Second)
	for client.Session.Query().CountX(sys) != 0 {
		select {
		case <-deadline:
			t.Fatal("the first purge did not run")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("PurgeSessionsEvery did not return after its context ended")
	}
}
