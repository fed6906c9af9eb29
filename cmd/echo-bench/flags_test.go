package main

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/frame"
)

func TestLoadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, f *loadFlags)
		wantErr bool
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, f *loadFlags) {
			cfg, err := f.config()
			if err != nil || cfg.Conns != 1 || cfg.Depth != 1 || cfg.Sizes.String() != "64" || cfg.Frame.Kind != frame.KindRaw || cfg.Frame.Max != 64<<10 || !cfg.HoldCPU {
				t.Fatalf("defaults: %+v, %v", cfg, err)
			}
		}},
		{name: "length framing with a size mix", args: []string{"--framing", "length", "--length-bytes", "2", "-s", "64:9,1KiB:1", "-c", "50", "-d", "16"}, check: func(t *testing.T, f *loadFlags) {
			cfg, err := f.config()
			if err != nil || cfg.Frame.LengthBytes != 2 || cfg.Sizes.String() != "64:9,1024:1" || cfg.Conns != 50 || cfg.Depth != 16 {
				t.Fatalf("%+v, %v", cfg, err)
			}
		}},
		{name: "fixed framing takes its size", args: []string{"--framing", "fixed", "--fixed-size", "128"}, check: func(t *testing.T, f *loadFlags) {
			cfg, err := f.config()
			if err != nil || len(cfg.Sizes.Values) != 0 || cfg.Frame.FixedSize != 128 {
				t.Fatalf("%+v, %v", cfg, err)
			}
		}},
		{name: "sources", args: []string{"--sources", "127.0.0.2,127.0.0.3"}, check: func(t *testing.T, f *loadFlags) {
			cfg, err := f.config()
			if err != nil || len(cfg.Sources) != 2 || cfg.Sources[1].String() != "127.0.0.3" {
				t.Fatalf("%+v, %v", cfg.Sources, err)
			}
		}},
		{name: "max frame with a unit", args: []string{"--max-frame", "1MiB"}, check: func(t *testing.T, f *loadFlags) {
			cfg, err := f.config()
			if err != nil || cfg.Frame.Max != 1<<20 {
				t.Fatalf("max frame %d, %v; want 1MiB", cfg.Frame.Max, err)
			}
		}},
		{name: "bad size", args: []string{"-s", "tiny"}, wantErr: true},
		{name: "bad max frame", args: []string{"--max-frame", "lots"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var f loadFlags
			f.define(fs)
			err := fs.Parse(tt.args)
			if err != nil && !tt.wantErr {
				t.Fatal(err)
			}
			if tt.wantErr {
				if _, cerr := f.config(); err == nil && cerr == nil {
					t.Fatal("config accepted bad flags")
				}
				return
			}
			tt.check(t, &f)
		})
	}
}

func TestParseInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "", want: nil},
		{in: "none", want: nil},
		{in: "0", want: nil},
		{in: "1,50", want: []int{1, 50}},
		{in: "1,x", bad: true},
		{in: "-3", bad: true},
	}
	for _, tt := range tests {
		got, err := parseInts(tt.in)
		if (err != nil) != tt.bad || !slices.Equal(got, tt.want) {
			t.Errorf("parseInts(%q) = %v, %v", tt.in, got, err)
		}
	}
	if joinInts([]int{1, 50}) != "1,50" {
		t.Error("joinInts")
	}
}

func TestParseWorks(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr bool
	}{
		{name: "no flag", in: nil, want: nil},
		{name: "semicolons", in: []string{"none;cpu:20us; sleep:1ms;sleep:5ms@1%;"}, want: []string{"none", "cpu:20us", "sleep:1ms", "sleep:5ms@1%"}},
		{name: "commas join terms", in: []string{"none", "cpu:20us,sleep:5ms@1%"}, want: []string{"none", "cpu:20us,sleep:5ms@1%"}},
		{name: "twice", in: []string{"none", "none"}, wantErr: true},
		{name: "empty", in: []string{";"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWorks(tt.in)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("parseWorks(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"matrix", "--works", "none;sleep:5ms@1%", "--variant", "pool-g=pool --worker-kind goroutine", "it's", ""})
	want := `matrix --works 'none;sleep:5ms@1%' --variant 'pool-g=pool --worker-kind goroutine' 'it'\''s' ''`
	if got != want {
		t.Fatalf("shellJoin = %s, want %s", got, want)
	}
}
