package expertpool_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestMigrationsApplyAndSeedSpecialties(t *testing.T) {
	pool := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), pool, audit.Migrations, expertpool.Migrations)
	require.NoError(t, err)
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM expertpool.specialties WHERE parent_code = 'A01'").Scan(&n))
	require.Equal(t, 5, n)
}

func TestNewRejectsMissingParams(t *testing.T) {
	_, err := expertpool.New(expertpool.Params{})
	require.ErrorIs(t, err, expertpool.ErrMissingParam)
	keys, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	bad := expertpool.DefaultRules()
	bad.MinCommittee = 0
	pool := testenv.Postgres(t)
	_, err = expertpool.New(expertpool.Params{DB: pool, Audit: audit.New(pool), Keys: keys, Rules: &bad})
	require.ErrorIs(t, err, expertpool.ErrInvalid)
}

func TestCheckCommittee(t *testing.T) {
	r := expertpool.DefaultRules()
	cases := []struct {
		name          string
		experts, reps int
		ok            bool
	}{
		{"five experts", 5, 0, true},
		{"four experts", 4, 0, false},
		{"six is even", 6, 0, false},
		{"five plus two reps", 5, 2, true},
		{"four plus three reps is under two thirds", 4, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := r.CheckCommittee(tc.experts, tc.reps)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, expertpool.ErrInvalid)
			}
		})
	}
}
