// Package idcard validates, masks and generates 18-digit Chinese resident
// identity numbers (公民身份号码) as defined by GB 11643-1999: a 6-digit
// administrative division code, an 8-digit birth date (YYYYMMDD), a 3-digit
// sequence code (odd for men, even for women) and one check character
// computed with ISO 7064 MOD 11-2 (0–9 or X).
//
// The package knows nothing about storage or experts; it never logs and
// never panics on input.
package idcard

import (
	"errors"
	"strings"
	"time"
)

// Length is the number of characters of an identity number.
const Length = 18

// ErrLength is returned for a number that is not 18 characters long.
var ErrLength = errors.New("身份证号应为18位")

// ErrChars is returned for a number whose first 17 characters are not all
// digits or whose last character is not a digit or X.
var ErrChars = errors.New("身份证号前17位应为数字，最后一位应为数字或X")

// ErrRegion is returned when the first six digits are not a plausible
// administrative division code (unknown province).
var ErrRegion = errors.New("身份证号地区码无效")

// ErrBirthDate is returned when digits 7–14 are not a real date, lie before
// 1900 or lie in the future.
var ErrBirthDate = errors.New("身份证号出生日期无效")

// ErrChecksum is returned when the check character does not match.
var ErrChecksum = errors.New("身份证号校验位错误")

// weights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for i = 0..16.
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum mod 11 to the check character.
const checkChars = "10X98765432"

// china is the time zone in which a birth date "today" is judged.
var china = time.FixedZone("CST", 8*3600)

// Normalize trims surrounding white space and upper-cases a trailing x, so
// that the same number always has the same spelling.
func Normalize(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// CheckChar returns the check character for the first 17 digits of a
// number. It returns 0 if the input is not 17 ASCII digits.
func CheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * weights[i]
	}
	return checkChars[sum%11]
}

// Validate checks a number's length, characters, region, birth date (a
// real date from 1900 on; the future is not checked) and check character.
// A lower-case x is accepted. Use ValidateAt to also refuse birth dates in
// the future.
func Validate(s string) error {
	return validate(s, time.Time{})
}

// ValidateAt is Validate that also refuses a birth date after the day of
// now (judged in China Standard Time).
func ValidateAt(s string, now time.Time) error {
	return validate(s, now)
}

func validate(s string, now time.Time) error {
	s = Normalize(s)
	if len(s) != Length {
		return ErrLength
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrChars
		}
	}
	if last := s[17]; (last < '0' || last > '9') && last != 'X' {
		return ErrChars
	}
	if !ValidRegion(s[:6]) {
		return ErrRegion
	}
	birth, ok := parseBirth(s[6:14])
	if !ok {
		return ErrBirthDate
	}
	if !now.IsZero() {
		n := now.In(china)
		today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
		if birth.After(today) {
			return ErrBirthDate
		}
	}
	if CheckChar(s[:17]) != s[17] {
		return ErrChecksum
	}
	return nil
}

// BirthDate returns the birth date encoded in a number that passes
// Validate, as midnight UTC of that day.
func BirthDate(s string) (time.Time, error) {
	if err := Validate(s); err != nil {
		return time.Time{}, err
	}
	t, _ := parseBirth(Normalize(s)[6:14])
	return t, nil
}

func parseBirth(ymd string) (time.Time, bool) {
	t, err := time.Parse("20060102", ymd)
	if err != nil || t.Year() < 1900 {
		return time.Time{}, false
	}
	return t, true
}

// provinces are the first two digits of the administrative division codes
// in use (GB/T 2260), including Taiwan, Hong Kong and Macao.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ValidRegion reports whether code looks like a 6-digit administrative
// division code: six digits starting with a known province code. It does
// not check that the city or county exists.
func ValidRegion(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return provinces[code[:2]]
}

// Mask returns the number with everything but the first 6 and the last 4
// characters replaced by asterisks ("110101********123X"). Input shorter
// than 10 characters is masked completely.
func Mask(s string) string {
	s = Normalize(s)
	if len(s) < 10 {
		return strings.Repeat("*", len(s))
	}
	return s[:6] + strings.Repeat("*", len(s)-10) + s[len(s)-4:]
}

// Last returns the last n characters of the normalized number (all of it
// if it is shorter), for example to let an expert confirm an identity.
func Last(s string, n int) string {
	s = Normalize(s)
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	return s[len(s)-n:]
}

// Generate returns a valid number for region (6 digits), birth date and
// sequence seq (taken modulo 1000). It is meant for demo data and tests;
// the caller supplies a plausible region.
func Generate(region string, birth time.Time, seq int) string {
	seq %= 1000
	if seq < 0 {
		seq += 1000
	}
	b := make([]byte, 0, Length)
	b = append(b, region...)
	b = birth.AppendFormat(b, "20060102")
	b = append(b, byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10))
	return string(append(b, CheckChar(string(b))))
}
