package gnetengine_test

import (
	"testing"

	"github.com/rawnet/rawnet/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }
