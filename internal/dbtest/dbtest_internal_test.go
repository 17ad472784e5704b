package dbtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPickPostgresURL(t *testing.T) {
	t.Parallel()
	const (
		anyDB  = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		testDB = "postgres://ci@db:5432/mailbridge_test?sslmode=disable"
		realDB = "postgresql://app:s3cret@db:5432/mailbridge"
	)
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "NothingSet", env: nil, wantErr: errNoPostgres.Error()},
		{name: "TestURLAnyDatabase", env: map[string]string{"TEST_DATABASE_URL": anyDB}, want: anyDB},
		{name: "TestURLWinsOverDatabaseURL", env: map[string]string{"TEST_DATABASE_URL": anyDB, "DATABASE_URL": realDB}, want: anyDB},
		{name: "DatabaseURLNamedTest", env: map[string]string{"DATABASE_URL": testDB}, want: testDB},
		{name: "DatabaseURLRealData", env: map[string]string{"DATABASE_URL": realDB}, wantErr: `refusing to run tests in DATABASE_URL's database "mailbridge"`},
		{name: "DatabaseURLNotPostgres", env: map[string]string{"DATABASE_URL": "sqlite:/var/lib/mailbridge.db"}, wantErr: errNoPostgres.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := pickPostgresURL(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.NotContains(t, err.Error(), "s3cret")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
