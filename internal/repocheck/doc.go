// Package repocheck holds tests of the repository itself rather than of
// any one package: every link in its Markdown resolves inside the clone,
// and `make help` lists every target the Makefile declares. It has no
// code of its own.
package repocheck
