package cli

import "testing"

func TestParseSize(t *testing.T) {
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
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSize(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 1024, 65536, 3 << 20, 5 << 30, 1<<20 + 1} {
		s := FormatSize(n)
		got, err := ParseSize(s)
		if err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
	if got := FormatSize(64 << 10); got != "64KiB" {
		t.Errorf("FormatSize(64<<10) = %q, want 64KiB", got)
	}
}
