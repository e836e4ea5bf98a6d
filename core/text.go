package core

import (
	"strings"
	"unicode/utf8"
)

// CheckText fails with EInvalid when a value is not valid UTF-8 or holds a
// NUL character: no store keeps either the same way (DuckDB's driver
// refuses bad UTF-8, PostgreSQL's text holds no NUL), and both stores must
// keep the same data. Arguments alternate field names and values.
func CheckText(fieldsAndValues ...string) error {
	for i := 0; i+1 < len(fieldsAndValues); i += 2 {
		v := fieldsAndValues[i+1]
		if !utf8.ValidString(v) {
			return Invalid("%s is not valid UTF-8 text", fieldsAndValues[i])
		}
		if strings.IndexByte(v, 0) >= 0 {
			return Invalid("%s must not hold a NUL character", fieldsAndValues[i])
		}
	}
	return nil
}

// RequireText fails with EInvalid when a required text field (a key, a
// name, a tag) is blank, fails CheckText, or is longer than MaxKeyLength
// characters.
func RequireText(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return Invalid("%s must not be empty", field)
	}
	if err := CheckText(field, value); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(value); n > MaxKeyLength {
		return Invalid("%s is %d characters; at most %d are kept", field, n, MaxKeyLength)
	}
	return nil
}
