package errtext_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/errtext"
)

func TestAfter(t *testing.T) {
	sentinel := errors.New("pool: invalid input")
	other := errors.New("pool: conflict")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Chinese detail", fmt.Errorf("draw 3: %w: 身份证号校验位错误", sentinel), "身份证号校验位错误"},
		{"English detail stays in the log", fmt.Errorf("%w: row 7 column 2", sentinel), ""},
		{"no detail", sentinel, ""},
		{"another sentinel", fmt.Errorf("%w: 冲突", other), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, errtext.After(tc.err, sentinel))
		})
	}
}
