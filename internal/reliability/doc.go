// Package reliability holds the migration reliability suite (issue 5): each test drives the real
// kernia command, built once per test run from a temporary module, against fresh PostgreSQL
// databases (internal/pgtest) and SQLite files, with concurrent runners, SIGKILL and SIGINT,
// failing and edited migration files, unreachable servers and bad URLs. Every command's output
// is checked for the secret and the passwords the suite uses. The package has no code of its own.
//
// The checks of issue 5 and their tests (postgres and sqlite subtests where both apply):
//
//	 1  TestLocks1_FiveConcurrentMigratesApplyEachFileExactlyOnce
//	 2  TestLocks2_LockTimeoutNamesTheLockAndItsHolder
//	 3  TestLocks3_LongMigrationKeepsTheLockSecondRunnerExecutesNothing
//	 4  TestLocks4and7_SIGKILLMidFileReleasesTheLockAndLeavesNothing
//	 5  TestFailures5and6_FailingFileLeavesNothingThenFixHashMigrate
//	 6  TestFailures5and6_FailingFileLeavesNothingThenFixHashMigrate
//	 7  TestLocks4and7_SIGKILLMidFileReleasesTheLockAndLeavesNothing
//	 8  TestFailures8_SIGINTRollsBackReleasesTheLockExit130, TestFailures8_CtrlCThroughGoToolKernia
//	 9  TestFailures9_DryRunPrintsPendingSQLAndChangesNothing
//	10  TestFailures10_UnrelatedTablesRefusedThenBaseline
//	11  TestFailures11_OutOfOrderFileRefusedUnlessAllowed
//	12  TestFailures12_RecordedFileMissingFromDirectory
//	13  TestIntegrity13_DirectoryRefusedBeforeAnyConnection
//	14  TestIntegrity14_FileEditedAfterApplyRefusedEvenWhenRehashed
//	19  TestConnections19_UnreachableServerFailsWithinTheConnectTimeout
//	20  TestConnections20_WrongPasswordAndMalformedURLsNeverShowThePassword
//	21  TestHygiene21_PasswordAndSecretNeverPrinted (and every other test's output)
//	22  TestSQLite22_ForeignKeysOnInEveryPooledConnection, TestSQLite22_BadPathsGiveClearErrors,
//	    TestSQLite22_ApplicationWritingMakesMigrateWait, TestLocks4and7_…/sqlite (SIGKILL)
//
// The wrong-password check needs a server that checks the password of the role
// kernia_password_test from 127.0.0.1: scripts/ensure-postgres.sh adds that pg_hba.conf rule.
package reliability
