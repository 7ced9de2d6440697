// Package authoring implements the commands that author an instance's schema and migrations,
// or report on them, for both front ends (the mage targets and the kernia CLI): init,
// generate, adopt, info and check. They need Ent's code generator, Atlas's planner and the
// report, whose packages cost the process that links them several milliseconds to initialise;
// the commands that only apply and inspect migrations (package command) link none of them, so
// that the kernia engine of migrate and status starts as fast as a migration tool does.
// Human output goes to Stderr, data to Stdout.
package authoring
