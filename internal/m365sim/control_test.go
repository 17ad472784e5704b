package m365sim

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestControl_DirectoryEndpoints(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		e    *idEnv
		base string
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		e := newIDEnv(t)
		return &testBundle{e: e, base: e.srv.URL + "/_m365sim"}
	}
	// call sends a control request and decodes a 200 answer into out.
	call := func(t *testing.T, method, u string, body any, out any) int {
		t.Helper()
		status, b := controlCall(t, method, u, body)
		if status == http.StatusOK && out != nil {
			require.NoError(t, json.Unmarshal(b, out), string(b))
		}
		return status
	}

	t.Run("Tenants", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		var created Tenant
		require.Equal(t, http.StatusOK, call(t, http.MethodPost, bundle.base+"/tenants", map[string]any{"DisplayName": "Fabrikam", "Domains": []string{"Fabrikam.example"}}, &created))
		require.NotEmpty(t, created.ID)
		require.Equal(t, []string{"fabrikam.example"}, created.Domains)
		require.Equal(t, ConsentAdminRequired, created.ConsentMode)
		require.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, bundle.base+"/tenants", map[string]any{"DisplayName": "No domains"}, nil))
		status, _ := controlCall(t, http.MethodPost, bundle.base+"/tenants", "{not json")
		require.Equal(t, http.StatusBadRequest, status)

		var got Tenant
		require.Equal(t, http.StatusOK, call(t, http.MethodGet, bundle.base+"/tenants/fabrikam.example", nil, &got))
		require.Equal(t, created, got)
		require.Equal(t, http.StatusNotFound, call(t, http.MethodGet, bundle.base+"/tenants/nowhere.example", nil, nil))

		// PATCH merges: fields the body omits keep their values.
		var patched Tenant
		require.Equal(t, http.StatusOK, call(t, http.MethodPatch, bundle.base+"/tenants/"+created.ID, map[string]any{"ConsentMode": ConsentUser}, &patched))
		require.Equal(t, ConsentUser, patched.ConsentMode)
		require.Equal(t, "Fabrikam", patched.DisplayName)
		inSim, ok := bundle.e.srv.Tenant(created.ID)
		require.True(t, ok)
		require.Equal(t, patched, inSim)
		require.Equal(t, http.StatusBadRequest, call(t, http.MethodPatch, bundle.base+"/tenants/"+created.ID, map[string]any{"ConsentMode": 5}, nil))
		// A patch that does not apply whole changes nothing.
		require.Equal(t, http.StatusBadRequest, call(t, http.MethodPatch, bundle.base+"/tenants/"+created.ID,
			map[string]any{"DisplayName": "Renamed", "ConsentMode": 5}, nil))
		inSim, _ = bundle.e.srv.Tenant(created.ID)
		require.Equal(t, "Fabrikam", inSim.DisplayName)
		require.Equal(t, http.StatusNotFound, call(t, http.MethodPatch, bundle.base+"/tenants/nowhere.example", map[string]any{"ConsentMode": ConsentUser}, nil))
	})
	t.Run("AppsAndUsers", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		var app App
		require.Equal(t, http.StatusOK, call(t, http.MethodPost, bundle.base+"/apps", map[string]any{"RedirectURIs": []string{"http://localhost/x"}}, &app))
		require.NotEmpty(t, app.ClientID)
		require.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, bundle.base+"/apps", map[string]any{"DisplayName": "no redirect"}, nil))

		var u User
		require.Equal(t, http.StatusOK, call(t, http.MethodPost, bundle.base+"/users", map[string]any{"TenantID": bundle.e.tenant.ID, "UserPrincipalName": "pat@contoso.com", "Mail": "pat@contoso.com", "GivenName": "Pat", "Surname": "Lee"}, &u))
		require.NotEmpty(t, u.ID)
		require.Equal(t, "Pat Lee", u.DisplayName)
		require.Equal(t, []string{"SMTP:pat@contoso.com"}, u.ProxyAddresses)
		require.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, bundle.base+"/users", map[string]any{"TenantID": bundle.e.tenant.ID}, nil))
		require.Equal(t, http.StatusNotFound, call(t, http.MethodPost, bundle.base+"/users", map[string]any{"TenantID": "nowhere.example", "UserPrincipalName": "x@nowhere.example"}, nil))

		var got User
		require.Equal(t, http.StatusOK, call(t, http.MethodGet, bundle.base+"/users/PAT@contoso.com", nil, &got))
		require.Equal(t, u.ID, got.ID)
		require.Equal(t, http.StatusNotFound, call(t, http.MethodGet, bundle.base+"/users/nobody@contoso.com", nil, nil))

		var patched User
		require.Equal(t, http.StatusOK, call(t, http.MethodPatch, bundle.base+"/users/"+u.ID, map[string]any{"MailboxDisabled": true}, &patched))
		require.True(t, patched.MailboxDisabled)
		require.Equal(t, "pat@contoso.com", patched.UserPrincipalName)
		inSim, ok := bundle.e.srv.User(u.ID)
		require.True(t, ok)
		require.True(t, inSim.MailboxDisabled)
		require.Equal(t, http.StatusNotFound, call(t, http.MethodPatch, bundle.base+"/users/nobody@contoso.com", map[string]any{"MailboxDisabled": true}, nil))
	})
}
