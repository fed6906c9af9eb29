package bytesize

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "65536", want: 65536},
		{in: "64KiB", want: 64 << 10},
		{in: "64kib", want: 64 << 10},
		{in: "512k", want: 512 << 10},
		{in: "512K", want: 512 << 10},
		{in: "512KB", want: 512 << 10},
		{in: "4MiB", want: 4 << 20},
		{in: "4m", want: 4 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "2g", want: 2 << 30},
		{in: "100b", want: 100},
		{in: " 8 MiB ", want: 8 << 20},
		{in: "", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "1.5MiB", wantErr: true},
		{in: "KiB", wantErr: true},
		{in: "99999999999GiB", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFormatRoundTrips(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 1024, 65536, 3 << 20, 5 << 30, 1<<20 + 1} {
		s := Format(n)
		got, err := Parse(s)
		if err != nil || got != n {
			t.Errorf("Parse(Format(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
	if got := Format(64 << 10); got != "64KiB" {
		t.Errorf("Format(64<<10) = %q, want 64KiB", got)
	}
}

func TestSizeFlag(t *testing.T) {
	tests := []struct {
		name    string
		set     string
		want    Size
		str     string
		wantErr bool
	}{
		{name: "suffix", set: "2MiB", want: 2 << 20, str: "2MiB"},
		{name: "plain", set: "1000", want: 1000, str: "1000"},
		{name: "bad keeps the old value", set: "lots", want: 7, str: "7", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Size(7)
			err := s.Set(tt.set)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) error = %v, want error %v", tt.set, err, tt.wantErr)
			}
			if s != tt.want || s.String() != tt.str || s.Type() != "size" {
				t.Fatalf("after Set(%q): %d %q %q, want %d %q size", tt.set, int(s), s.String(), s.Type(), int(tt.want), tt.str)
			}
		})
	}
}
