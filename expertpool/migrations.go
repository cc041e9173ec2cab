package expertpool

import (
	"embed"

	"github.com/evalroom/evalroom/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations is the expertpool schema's migration set. Numbering: 0001–0009
// pool and draws, 0010–0019 draw engine, 0020–0029 notification, 0030–0039
// import.
var Migrations = migrate.Set{Schema: "expertpool", FS: migrationFS, Dir: "migrations"}
