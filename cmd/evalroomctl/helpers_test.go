package main

import (
	"strconv"

	"github.com/evalroom/evalroom/cmd/internal/config"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func configPostgres(dsn string) config.Postgres { return config.Postgres{DSN: dsn, MaxConns: 4} }
