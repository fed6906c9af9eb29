package cpuset

import (
	"slices"
	"testing"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "0", want: []int{0}},
		{in: "0-2,5", want: []int{0, 1, 2, 5}},
		{in: " 1 , 3 ", want: []int{1, 3}},
		{in: "3-1", bad: true},
		{in: "-1", bad: true},
		{in: "", bad: true},
		{in: "x", bad: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.bad || !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, %v", tt.in, got, err)
		}
		if tt.bad {
			continue
		}
		back, err := Parse(Format(got))
		if err != nil || !slices.Equal(back, got) {
			t.Errorf("Parse(Format(%v)) = %v, %v", got, back, err)
		}
	}
}

func TestAllowedFromStatus(t *testing.T) {
	status := "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed_list:\t0\n"
	got, err := allowedFromStatus(status)
	if err != nil || !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("allowedFromStatus = %v, %v; want [0 1]", got, err)
	}
	if _, err := allowedFromStatus("Name:\tx\n"); err == nil {
		t.Fatal("a status without Cpus_allowed_list parsed")
	}
}
