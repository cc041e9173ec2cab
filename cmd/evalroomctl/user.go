package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web/auth"
)

// cmdUserAdd creates a user; the password is the first line of stdin, so it
// never appears in the process list or shell history.
func cmdUserAdd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	username := fs.String("username", "", "login name (required)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "admin", "admin, staff, evaluator, supervisor or archivist")
	venue := fs.String("venue", "", "venue code (required for staff)")
	session := fs.String("session", "", "session reference (required for evaluators)")
	_, db, err := openDB(ctx, fs, args, environ)
	if err != nil {
		return err
	}
	defer db.Close()
	if *username == "" {
		return fmt.Errorf("user add: -username is required")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("user add: read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if *name == "" {
		*name = *username
	}
	store := auth.NewStore(db, auth.WithAudit(audit.New(db)))
	u, err := store.CreateUser(ctx, "cli:evalroomctl", auth.UserInput{
		Username: *username, DisplayName: *name, Password: password,
		Role: *role, VenueCode: *venue, SessionRef: *session,
	})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "created user %d %s (%s)\n", u.ID, u.Username, u.Role)
	return err
}
