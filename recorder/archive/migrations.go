package archive

import (
	"embed"

	"github.com/evalroom/evalroom/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations is the archive schema's migration set (segments with their
// verification state, chain heads, gaps). Apply it after
// audit.Migrations.
var Migrations = migrate.Set{Schema: "archive", FS: migrationFS, Dir: "migrations"}
