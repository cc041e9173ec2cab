package audit

import (
	"embed"

	"github.com/evalroom/evalroom/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations is the audit schema's migration set.
var Migrations = migrate.Set{Schema: "audit", FS: migrationFS, Dir: "migrations"}
