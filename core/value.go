package core

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Length limits, in characters, as MLflow's: a parameter value holds at
// most MaxParamValueLength; a metric or parameter key, a tag and the name of
// a project, experiment, model or resource at most MaxKeyLength. A Tracker
// refuses longer ones with EInvalid, and such names and keys (usernames too)
// that hold a NUL character.
const (
	MaxKeyLength        = 250
	MaxParamValueLength = 6000
)

// FormatParamValue turns a parameter value into the text DearDiary stores.
// Strings are kept as they are; bools, integers and floats become the same
// decimal text Julia's string() gives (0.01 -> "0.01", 1e-5 -> "1.0e-5",
// 32 -> "32", 3.0 -> "3.0"), so a parameter reads the same whichever language
// logged it. Other types, empty strings and non-finite floats are errors.
func FormatParamValue(v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case int:
		s = strconv.FormatInt(int64(x), 10)
	case int8:
		s = strconv.FormatInt(int64(x), 10)
	case int16:
		s = strconv.FormatInt(int64(x), 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint:
		s = strconv.FormatUint(uint64(x), 10)
	case uint8:
		s = strconv.FormatUint(uint64(x), 10)
	case uint16:
		s = strconv.FormatUint(uint64(x), 10)
	case uint32:
		s = strconv.FormatUint(uint64(x), 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	case nil:
		return "", Invalid("parameter value is missing")
	default:
		return "", Invalid("parameter values must be a string, bool, integer or float, not %T", v)
	}
	if s == "" {
		return "", Invalid("parameter value must not be empty")
	}
	if !utf8.ValidString(s) {
		return "", Invalid("parameter value is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > MaxParamValueLength {
		return "", Invalid("parameter value is %d characters; at most %d are kept", n, MaxParamValueLength)
	}
	return s, nil
}

// formatFloat follows Julia's shortest float printing: plain decimal notation
// when the decimal point falls within -4 < pt <= 6 of the first digit, and
// d.ddde±x otherwise, always with at least one fraction digit.
func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", Invalid("parameter value %v is not a finite number", f)
	}
	sci := strconv.FormatFloat(f, 'e', -1, bits) // e.g. "-1.2345e+06"
	sign := ""
	if sci[0] == '-' {
		sign, sci = "-", sci[1:]
	}
	mantissa, expText, _ := strings.Cut(sci, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mantissa, ".", "", 1)
	if f == 0 {
		return sign + "0.0", nil
	}
	point := exp + 1 // digits are 0.d1d2... x 10^point
	switch {
	case point > 6 || point <= -4:
		frac := digits[1:]
		if frac == "" {
			frac = "0"
		}
		return sign + digits[:1] + "." + frac + "e" + strconv.Itoa(exp), nil
	case point <= 0:
		return sign + "0." + strings.Repeat("0", -point) + digits, nil
	case point >= len(digits):
		return sign + digits + strings.Repeat("0", point-len(digits)) + ".0", nil
	default:
		return sign + digits[:point] + "." + digits[point:], nil
	}
}
