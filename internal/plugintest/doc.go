// Package plugintest tests the built-in plugins end to end: the composed schema of each plugin
// alone and of all together, the migrations generate writes for them, applying them to SQLite
// and PostgreSQL, the generated client of the all-plugins configuration, and enabling plugins
// one by one on a database that already holds data.
package plugintest
