// Command evalroomctl administers evalroom: keys, migrations, users and
// offline verification of draws.
//
//	evalroomctl keygen                      print a new master key
//	evalroomctl migrate                     apply pending migrations
//	evalroomctl user add -username U -role R [-venue V] [-name N]   (password on stdin)
//	evalroomctl draw verify -file record.json | -id N
//	evalroomctl archive verify [-key K | -keys F] <folder | export.zip>
//	evalroomctl archive verify -session N   (central archive, through the configuration)
//	evalroomctl archive replicate [-json]   copy what the archive replica lacks, hash it back
//	evalroomctl archive replicas check [-json]   list replica copies missing or altered
//	evalroomctl archive expire [-dry-run] [-json]   delete what the retention period no longer requires
//	evalroomctl recorder keygen -out DIR
//	evalroomctl recorder register -room N -recorder ID -pub K
//	evalroomctl config-doc                  print the configuration reference
//	evalroomctl config get KEY              print one setting (for scripts)
//
// Commands that touch the database read the same configuration as
// evalroomd (-config, EVALROOM_* variables, flags).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

const usage = `usage: evalroomctl <command> [flags]

commands:
  keygen                 print a new random master key (base64)
  migrate                apply pending database migrations
  user add               create a user (password read from stdin)
  draw verify            replay a revealed draw and check it
  config-doc             print the configuration reference (Markdown)
  config get KEY         print one setting as evalroomd loads it (for scripts; not secrets)
  archive verify         check a recorder folder, an evidence export (offline) or, with -session N,
                         a session in the central archive: signatures, hashes and hash chains
  archive replicate      copy every segment and manifest the archive replica lacks, hash the replica back
  archive replicas check list segments whose replica copy is missing or altered (changes nothing)
  archive expire         run the retention job once: delete segments whose session ended more than
                         archive.retention_years ago and that no legal hold covers (-dry-run: list only)
  recorder keygen        write a recorder's Ed25519 key pair and print the public key
  recorder register      register a room's recorder and its public key
  loadtest               publish and watch synthetic media on a running server (WHIP/WHEP)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Environ())
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalroomctl:", err)
		os.Exit(1)
	}
}

// dispatch runs the command named by args[0] (and args[1] for groups).
func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, environ []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "keygen":
		return cmdKeygen(stdout)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout, environ)
	case "config-doc":
		return cmdConfigDoc(stdout)
	case "config":
		if len(args) > 1 && args[1] == "get" {
			return cmdConfigGet(args[2:], stdout, environ)
		}
	case "loadtest":
		return cmdLoadtest(ctx, args[1:], stdout, environ)
	case "user":
		if len(args) > 1 && args[1] == "add" {
			return cmdUserAdd(ctx, args[2:], stdin, stdout, environ)
		}
	case "draw":
		if len(args) > 1 && args[1] == "verify" {
			return cmdDrawVerify(ctx, args[2:], stdout, environ)
		}
	case "archive":
		if len(args) > 1 && args[1] == "verify" {
			return cmdArchiveVerify(ctx, args[2:], stdout, environ)
		}
		if len(args) > 1 && args[1] == "expire" {
			return cmdArchiveExpire(ctx, args[2:], stdout, environ)
		}
		if len(args) > 1 && args[1] == "replicate" {
			return cmdArchiveReplicate(ctx, args[2:], stdout, environ)
		}
		if len(args) > 2 && args[1] == "replicas" && args[2] == "check" {
			return cmdArchiveReplicasCheck(ctx, args[3:], stdout, environ)
		}
	case "recorder":
		if len(args) > 1 && args[1] == "keygen" {
			return cmdRecorderKeygen(args[2:], stdout)
		}
		if len(args) > 1 && args[1] == "register" {
			return cmdRecorderRegister(ctx, args[2:], stdout, environ)
		}
	}
	return errUsage
}
