package std_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/std"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	enginetest.Run(t, std.Engine{})
}
