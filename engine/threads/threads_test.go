package threads_test

import (
	"testing"

	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/threads"
)

func TestConformance(t *testing.T) { enginetest.Run(t, threads.Engine{}) }
