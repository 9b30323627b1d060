package pattern

import (
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

func TestPIIPositive(t *testing.T) {
	tests := []struct {
		kind, text, match string
	}{
		{"email", "write to john.doe+tag@mail.example.co.uk today", "john.doe+tag@mail.example.co.uk"},
		{"email", "mailto:ana@example.org", "ana@example.org"},
		{"phone", "call +1 415 555 0132", "+1 415 555 0132"},
		{"phone", "+44 20 7946 0958", "+44 20 7946 0958"},
		{"phone", "+14155550132", "+14155550132"},
		{"phone", "+1 (415) 555-0132", "+1 (415) 555-0132"},
		{"phone", "office (415) 555-0132 ext", "(415) 555-0132"},
		{"phone", "ring 415-555-0132", "415-555-0132"},
		{"phone", "ring 415.555.0132", "415.555.0132"},
		{"phone", "1 415 555 0132", "1 415 555 0132"},
		{"phone", "mobile 07700 900123", "07700 900123"},
		{"phone", "020 7946 0958", "020 7946 0958"},
		{"phone", "0044 20 7946 0958", "0044 20 7946 0958"},
		{"phone", "tel: 4155550132", "4155550132"},
		{"payment_card", "card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"},
		{"payment_card", "5555-5555-5555-4444", "5555-5555-5555-4444"},
		{"payment_card", "amex 378282246310005", "378282246310005"},
		{"payment_card", "6011111111111117", "6011111111111117"},
		{"iban", "IBAN DE89 3704 0044 0532 0130 00, BIC", "DE89 3704 0044 0532 0130 00"},
		{"iban", "GB82WEST12345698765432", "GB82WEST12345698765432"},
		{"iban", "FR1420041010050500013M02606", "FR1420041010050500013M02606"},
		{"us_ssn", "SSN 123-45-6789", "123-45-6789"},
		{"us_ssn", "social security number 123456789", "123456789"},
		{"uk_nino", "NI number AB 12 34 56 C", "AB 12 34 56 C"},
		{"uk_nino", "JG103759A", "JG103759A"},
		{"es_dni", "DNI 12345678Z", "12345678Z"},
		{"es_dni", "12345678-Z", "12345678-Z"},
		{"es_nie", "NIE X1234567L", "X1234567L"},
		{"in_aadhaar", "Aadhaar 2345 6789 0124", "2345 6789 0124"},
		{"in_aadhaar", "aadhaar no 234567890124", "234567890124"},
		{"de_tax_id", "Steuer-ID: 86095742719", "86095742719"},
	}
	s := NewPII()
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			expectOne(t, s, tc.text, tc.kind, tc.match)
		})
	}
}

func TestPIINegative(t *testing.T) {
	tests := []string{
		"released on 2024-01-15 and 15/01/2024 and 01.02.2024",
		"version 1.2.3 and 10.4.22.1",
		"servers 192.168.1.254 and 10.0.0.1",
		"costs $1,299.99 or 45.50 EUR",
		"Order number 415-555-0132 has shipped",
		"order #100234567890 ships",
		"invoice 4155550132",
		"ref: 020 7946 0958",
		"4111 1111 1111 1112",         // Luhn fails
		"1234 5678 9012 3456",         // no issuer starts with 1
		"000-12-3456 and 666-12-3456", // areas never issued
		"900-12-3456 and 123-00-4567", // area 9xx, group 00
		"icon@2x.png and logo@3x.jpg", // image names
		"user@localhost",              // no domain
		"postgres://user:pw@db.example.com/app",
		"12345678A",                   // wrong DNI letter
		"DE89 3704 0044 0532 0130 01", // mod 97 fails
		"QQ123456C and AB123456E",     // NINO prefix and suffix
		"2345 6789 0123",              // Verhoeff fails
		"86095742719",                 // tax id without context
		"timestamps 1700000000 and 1700000000123",
		"ISBN 978-3-16-148410-0",
		"x = 3.14159265358979",
		"call me at 5 pm",
		"port 8080, pid 123456, 12:30:45",
	}
	s := NewPII()
	for _, text := range tests {
		if fs := s.Scan(guard.Segment{Text: text}); len(fs) > 0 {
			t.Errorf("%q: want nothing, got %s", text, describe(fs))
		}
	}
}

func TestCheckDigits(t *testing.T) {
	if !luhn([]byte("79927398713")) || luhn([]byte("79927398710")) {
		t.Error("luhn")
	}
	if !verhoeff([]byte("2363")) || verhoeff([]byte("2364")) {
		t.Error("verhoeff")
	}
	if !ibanValid([]byte("GB82WEST12345698765432")) || ibanValid([]byte("GB82WEST12345698765433")) {
		t.Error("iban")
	}
	if !steuerID([]byte("86095742719")) || steuerID([]byte("86095742710")) || steuerID([]byte("11111111111")) {
		t.Error("steuer id")
	}
	if dniLetter([]byte("12345678")) != 'Z' {
		t.Error("dni")
	}
}
