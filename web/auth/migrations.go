package auth

import (
	"embed"

	"github.com/evalroom/evalroom/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations is the auth schema's migration set.
var Migrations = migrate.Set{Schema: "auth", FS: migrationFS, Dir: "migrations"}
