package matrix

import (
	"slices"
	"testing"
)

func TestParseVariant(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Variant
		wantErr bool
	}{
		{name: "flags", in: "epoll-2=epoll --loops 2 --balance reuseport",
			want: Variant{Name: "epoll-2", Engine: "epoll", Args: []string{"--loops", "2", "--balance", "reuseport"}}},
		{name: "env and bin", in: "old=epoll bin:/tmp/old env:GOMAXPROCS=2 env:GOGC=400",
			want: Variant{Name: "old", Engine: "epoll", BinDir: "/tmp/old", Env: []string{"GOMAXPROCS=2", "GOGC=400"}}},
		{name: "engine only", in: "e=gnet", want: Variant{Name: "e", Engine: "gnet"}},
		{name: "no engine", in: "e=", wantErr: true},
		{name: "no name", in: "=epoll", wantErr: true},
		{name: "no equals", in: "epoll", wantErr: true},
		{name: "bad env", in: "e=epoll env:GOGC", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVariant(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseVariant(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got.Name != tt.want.Name || got.Engine != tt.want.Engine || got.BinDir != tt.want.BinDir ||
				!slices.Equal(got.Args, tt.want.Args) || !slices.Equal(got.Env, tt.want.Env) {
				t.Errorf("ParseVariant(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidateVariantNames(t *testing.T) {
	tests := []struct {
		name     string
		engines  []string
		variants []Variant
		wantErr  bool
	}{
		{name: "distinct", engines: []string{"epoll"}, variants: []Variant{{Name: "a", Engine: "epoll"}, {Name: "b", Engine: "epoll"}}},
		{name: "twice", variants: []Variant{{Name: "a", Engine: "epoll"}, {Name: "a", Engine: "gnet"}}, wantErr: true},
		{name: "engine name", engines: []string{"epoll"}, variants: []Variant{{Name: "epoll", Engine: "epoll"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Engines, cfg.Variants = tt.engines, tt.variants
			if err := cfg.validate(); (err != nil) != tt.wantErr {
				t.Errorf("validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
