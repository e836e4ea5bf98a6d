package core

import "testing"

func TestFormatParamValue(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"adam", "adam"},
		{0.01, "0.01"},
		{32.55, "32.55"},
		{0.1, "0.1"},
		{1e-3, "0.001"},
		{5e-4, "0.0005"},
		{1e-4, "0.0001"},
		{1e-5, "1.0e-5"},
		{2.5e-7, "2.5e-7"},
		{3.0, "3.0"},
		{-3.0, "-3.0"},
		{0.0, "0.0"},
		{100000.0, "100000.0"},
		{123456.7, "123456.7"},
		{1e6, "1.0e6"},
		{1234567.0, "1.234567e6"},
		{-1.5e20, "-1.5e20"},
		{float32(0.1), "0.1"},
		{32, "32"},
		{int64(-7), "-7"},
		{uint8(255), "255"},
		{true, "true"},
		{false, "false"},
	}
	for _, c := range cases {
		got, err := FormatParamValue(c.in)
		if err != nil || got != c.want {
			t.Errorf("FormatParamValue(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestFormatParamValueRejects(t *testing.T) {
	nan := 0.0
	nan = nan / nan
	for _, v := range []any{"", nil, []int{1}, struct{}{}, nan} {
		if _, err := FormatParamValue(v); ErrorCode(err) != EInvalid {
			t.Errorf("FormatParamValue(%#v) error = %v, want %s", v, err, EInvalid)
		}
	}
}
