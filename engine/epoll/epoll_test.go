package epoll_test

import (
	"testing"

	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/epoll"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) { enginetest.Run(t, epoll.Engine{}) }
