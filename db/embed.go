// Package db embeds the goose migrations of both engines; the same versions exist in each folder.
package db

import "embed"

// Migrations holds migrations/postgres/*.sql and migrations/sqlite/*.sql.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var Migrations embed.FS
