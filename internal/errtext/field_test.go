package errtext_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/errtext"
)

func TestField(t *testing.T) {
	sentinel := errors.New("room: invalid input")
	err := fmt.Errorf("sign-in: %w", errtext.Field(fmt.Errorf("%w: 座位号超出范围", sentinel), "seat"))
	require.Equal(t, "seat", errtext.FieldOf(err))
	require.ErrorIs(t, err, sentinel)
	require.Equal(t, "座位号超出范围", errtext.After(err, sentinel))
	require.Equal(t, "", errtext.FieldOf(sentinel))
	require.NoError(t, errtext.Field(nil, "seat"))
}
