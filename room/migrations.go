package room

import (
	"embed"

	"github.com/evalroom/evalroom/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations is the room schema's migration set. Numbering: 0001–0009
// sessions, rooms, sign-ins and faults; 0010–0019 scoring; 0020–0029
// evaluator codes; 0030–0039 recorder key history.
var Migrations = migrate.Set{Schema: "room", FS: migrationFS, Dir: "migrations"}
