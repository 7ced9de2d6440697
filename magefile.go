//go:build mage

// Kernia's own targets. The imported Kernia targets (generate, migrate, status) run against the
// dogfood configuration: the core and every built-in plugin on sqlite://kernia.db, with
// migrations for SQLite and PostgreSQL.
package main

import (
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/mage/app"

	//mage:import
	_ "github.com/kernia/kernia/mage"
)

func init() { app.Use(dogfood.Auth()) }
