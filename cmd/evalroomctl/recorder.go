package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/room"
)

// cmdRecorderKeygen writes a recorder's Ed25519 key pair into -out and
// prints the public key, to be registered with `recorder register`.
func cmdRecorderKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("recorder keygen", flag.ContinueOnError)
	out := fs.String("out", "", "folder for recorder.key (mode 0600) and recorder.pub (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("recorder keygen: give -out <folder> and nothing else")
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("recorder keygen: %w", err)
	}
	pub, err := manifest.WriteKeyPair(*out)
	if err != nil {
		return fmt.Errorf("recorder keygen: %w", err)
	}
	_, err = fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(pub))
	return err
}

// cmdRecorderRegister registers a room's edge recorder and its public key
// in the configured database (audited as cli:evalroomctl).
func cmdRecorderRegister(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("recorder register", flag.ContinueOnError)
	roomID := fs.Int64("room", 0, "room id (required)")
	recorder := fs.String("recorder", "", "recorder id, e.g. edge-nj-1 (required)")
	pubArg := fs.String("pub", "", "recorder public key, base64, as `recorder keygen` prints it (required)")
	_, db, err := openDB(ctx, fs, args, environ)
	if err != nil {
		return err
	}
	defer db.Close()
	if *roomID <= 0 || *recorder == "" || *pubArg == "" {
		return fmt.Errorf("recorder register: -room, -recorder and -pub are required")
	}
	pub, err := manifest.ParsePublicKey(*pubArg)
	if err != nil {
		return fmt.Errorf("recorder register: -pub: %w", err)
	}
	svc, err := room.New(room.Params{DB: db, Audit: audit.New(db), Committee: noCommittee{}})
	if err != nil {
		return err
	}
	r, err := svc.RegisterRecorder(ctx, "cli:evalroomctl", *roomID, *recorder, pub)
	if err != nil {
		return fmt.Errorf("recorder register: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "registered recorder %s for room %d (%s %s)\nkey fingerprint %s (a key it had before is retired and kept)\n",
		r.RecorderID, r.ID, r.VenueCode, r.Name, room.KeyFingerprint(r.RecorderKey))
	return err
}

// noCommittee stands in for the expert pool where a command never reads a
// committee: every call fails with room.ErrUnavailable.
type noCommittee struct{}

var _ room.Committee = noCommittee{}

// Members fails with room.ErrUnavailable.
func (noCommittee) Members(context.Context, string, int64, string) ([]room.Member, error) {
	return nil, room.ErrUnavailable
}

// CheckIdentity fails with room.ErrUnavailable.
func (noCommittee) CheckIdentity(context.Context, int64, string) (bool, error) {
	return false, room.ErrUnavailable
}

// RecuseOnSite fails with room.ErrUnavailable.
func (noCommittee) RecuseOnSite(context.Context, string, int64, string) (room.Replacement, error) {
	return room.Replacement{}, room.ErrUnavailable
}
