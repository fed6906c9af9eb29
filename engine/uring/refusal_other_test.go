//go:build !linux || !(amd64 || arm64)

package uring_test

// refusalChild is the seccomp child of refusal_linux_test.go, which
// only Linux on amd64 and arm64 builds.
func refusalChild() bool { return false }
