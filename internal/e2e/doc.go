// Package e2e holds the end-to-end tests: a fresh user module, built the way a new user
// builds one, driven through go tool mage and go tool kernia against real databases.
package e2e
