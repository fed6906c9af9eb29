package epoll_test

import (
	"runtime"
	"testing"

	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/epoll"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll engine needs Linux")
	}
	enginetest.Run(t, epoll.Engine{})
}
