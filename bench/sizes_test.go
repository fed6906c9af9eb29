package bench

import (
	"slices"
	"testing"
)

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    Sizes
		str     string
		mean    float64
		wantErr bool
	}{
		{in: "64", want: Sizes{Values: []int{64}}, str: "64", mean: 64},
		{in: "1KiB", want: Sizes{Values: []int{1024}}, str: "1024", mean: 1024},
		{in: "64,1k", want: Sizes{Values: []int{64, 1024}}, str: "64,1024", mean: 544},
		{in: "64:3,128:1", want: Sizes{Values: []int{64, 128}, Weights: []int{3, 1}}, str: "64:3,128:1", mean: 80},
		{in: "64-128", want: Sizes{Values: []int{64, 128}, Range: true}, str: "64-128", mean: 96},
		{in: "", wantErr: true},
		{in: "0", wantErr: true},
		{in: "64:1,128", wantErr: true},
		{in: "128-64", wantErr: true},
		{in: "64:0", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "1GiB", want: Sizes{Values: []int{1 << 30}}, str: "1073741824", mean: 1 << 30},
		{in: "-5", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSizes(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSizes(%q) error = %v", tt.in, err)
			}
			if tt.wantErr {
				return
			}
			if !slices.Equal(got.Values, tt.want.Values) || !slices.Equal(got.Weights, tt.want.Weights) || got.Range != tt.want.Range {
				t.Fatalf("ParseSizes(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.str || got.Mean() != tt.mean {
				t.Fatalf("String %q Mean %v, want %q %v", got.String(), got.Mean(), tt.str, tt.mean)
			}
			p := newPicker(got, 1)
			for range 1000 {
				v := p.next()
				if v < slices.Min(got.Values) || v > got.Max() {
					t.Fatalf("picked %d outside %v", v, got)
				}
			}
		})
	}
}
