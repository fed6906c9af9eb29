package frame

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		want    Codec
		wantErr string // substring naming the offending field; "" means success
	}{
		{name: "zero spec is raw with the default limit", spec: Spec{}, want: Raw{Limit: DefaultMax}},
		{name: "raw with max", spec: Spec{Kind: KindRaw, Max: 10}, want: Raw{Limit: 10}},
		{name: "raw ignores other fields", spec: Spec{Kind: KindRaw, LengthBytes: 3, FixedSize: -1}, want: Raw{Limit: DefaultMax}},
		{name: "line default", spec: Spec{Kind: KindLine}, want: Line{Limit: DefaultMax}},
		{name: "line max 1", spec: Spec{Kind: KindLine, Max: 1}, want: Line{Limit: 1}},
		{name: "length default header", spec: Spec{Kind: KindLength}, want: Length{HeaderBytes: 4, Limit: DefaultMax}},
		{name: "length 1-byte header", spec: Spec{Kind: KindLength, LengthBytes: 1, Max: 2}, want: Length{HeaderBytes: 1, Limit: 2}},
		{name: "length 2-byte header", spec: Spec{Kind: KindLength, LengthBytes: 2, Max: 100}, want: Length{HeaderBytes: 2, Limit: 100}},
		{name: "length 8-byte header", spec: Spec{Kind: KindLength, LengthBytes: 8}, want: Length{HeaderBytes: 8, Limit: DefaultMax}},
		{name: "fixed default size", spec: Spec{Kind: KindFixed}, want: Fixed{Size: 64}},
		{name: "fixed size equal to max", spec: Spec{Kind: KindFixed, FixedSize: 10, Max: 10}, want: Fixed{Size: 10}},
		{name: "negative max", spec: Spec{Kind: KindLine, Max: -1}, wantErr: "max frame -1 is negative"},
		{name: "length header of 3 bytes", spec: Spec{Kind: KindLength, LengthBytes: 3}, wantErr: "length header of 3 bytes"},
		{name: "negative length header", spec: Spec{Kind: KindLength, LengthBytes: -4}, wantErr: "length header of -4 bytes"},
		{name: "length max equal to header", spec: Spec{Kind: KindLength, LengthBytes: 8, Max: 8}, wantErr: "max frame 8 leaves no room after a 8-byte header"},
		{name: "length default header over small max", spec: Spec{Kind: KindLength, Max: 3}, wantErr: "max frame 3 leaves no room after a 4-byte header"},
		{name: "negative fixed size", spec: Spec{Kind: KindFixed, FixedSize: -1}, wantErr: "fixed size -1 is negative"},
		{name: "fixed size over max", spec: Spec{Kind: KindFixed, FixedSize: 100, Max: 50}, wantErr: "fixed size 100 exceeds max frame 50"},
		{name: "fixed default size over max", spec: Spec{Kind: KindFixed, Max: 32}, wantErr: "fixed size 64 exceeds max frame 32"},
		{name: "unknown kind", spec: Spec{Kind: "bogus"}, wantErr: `unknown framing "bogus"`},
		{name: "kinds are case sensitive", spec: Spec{Kind: "LINE"}, wantErr: `unknown framing "LINE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.spec)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("New(%+v) = %v, want error containing %q", tt.spec, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("New(%+v) error %q, want it to contain %q", tt.spec, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "frame: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				if got != nil {
					t.Errorf("New returned codec %v with its error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%+v): %v", tt.spec, err)
			}
			if got != tt.want {
				t.Errorf("New(%+v) = %#v, want %#v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestEveryKindBuilds(t *testing.T) {
	for _, k := range Kinds {
		c, err := New(Spec{Kind: k})
		if err != nil {
			t.Errorf("New(%q): %v", k, err)
			continue
		}
		if !strings.HasPrefix(c.String(), string(k)) {
			t.Errorf("codec for %q is named %q", k, c)
		}
		if c.Max() <= 0 || c.Max() > DefaultMax {
			t.Errorf("codec %v: Max() = %d, want 1..%d", c, c.Max(), DefaultMax)
		}
	}
}

func TestCodecNamesAndMax(t *testing.T) {
	tests := []struct {
		codec   Codec
		name    string
		wantMax int
	}{
		{codec: Raw{Limit: 7}, name: "raw", wantMax: 7},
		{codec: Line{Limit: 80}, name: "line", wantMax: 80},
		{codec: Length{HeaderBytes: 2, Limit: 300}, name: "length/2", wantMax: 300},
		{codec: Length{HeaderBytes: 8, Limit: 9}, name: "length/8", wantMax: 9},
		{codec: Fixed{Size: 16}, name: "fixed/16", wantMax: 16},
	}
	for _, tt := range tests {
		if got := tt.codec.String(); got != tt.name {
			t.Errorf("%#v.String() = %q, want %q", tt.codec, got, tt.name)
		}
		if got := tt.codec.Max(); got != tt.wantMax {
			t.Errorf("%#v.Max() = %d, want %d", tt.codec, got, tt.wantMax)
		}
	}
}
