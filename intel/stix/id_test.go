package stix

import (
	"encoding/json"
	"testing"
)

// The expected ids are the specification's own example (ipv4-addr
// 198.51.100.3, STIX 2.1 §2.9) and values computed independently with
// Python's uuid.uuid5 over json.dumps(sort_keys=True, separators=(",",
// ":"), ensure_ascii=False), which equals JCS for strings and integers.
func TestDeterministicID(t *testing.T) {
	tests := []struct {
		typ, props, want string
	}{
		{"ipv4-addr", `{"value":"198.51.100.3"}`, "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
		{"ipv4-addr", `{"value":"203.0.113.45","resolves_to_refs":["mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00"]}`, "ipv4-addr--cb9d70c5-d244-531c-9efb-bcae57adc793"},
		{"ipv6-addr", `{"value":"2001:0db8:85a3:0000:0000:8a2e:0370:7334"}`, "ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f"},
		{"domain-name", `{"value":"example.com"}`, "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
		{"domain-name", `{"value":"bücher.example"}`, "domain-name--dbf3aff2-b3cd-57d2-9616-0ddfde9d01ad"},
		{"url", `{"value":"https://example.com/research/index.html"}`, "url--47c3cf9a-5027-5bf0-997a-017c7edc7c55"},
		{"email-addr", `{"value":"john@example.com","display_name":"John Doe"}`, "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934"},
		{"file", `{"hashes":{"SHA-256":"ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a"},"size":25536}`, "file--70221dbf-52fd-5377-9619-c0ce6b3ffc8c"},
		// Only the preferred hash (MD5 first) contributes.
		{"file", `{"hashes":{"SHA-256":"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f","MD5":"cead3f77f6cda6ec00f57d76c9a6879f"},"name":"foo.exe"}`, "file--1910ca30-1dd9-57f3-9d48-0c64b19f0d5c"},
		{"file", `{"name":"qwerty.dll","mime_type":"application/x-dosexec"}`, "file--06ce4029-bd3e-524d-bc97-61a81394c0d6"},
		{"user-account", `{"user_id":"1001","account_login":"jdoe","account_type":"unix","display_name":"J Doe"}`, "user-account--f94d689e-707d-58c3-b803-c720bb6ed096"},
		{"autonomous-system", `{"number":15139,"name":"Slime Industries"}`, "autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff"},
		{"network-traffic", `{"src_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","dst_ref":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","dst_port":80,"protocols":["ipv4","tcp"],"src_byte_count":147600}`, "network-traffic--3b6f192e-5d8e-5110-8551-182fca0ea883"},
		// No contributing property, no id: the producer uses UUIDv4.
		{"process", `{"pid":1221}`, ""},
		{"file", `{"size":3}`, ""},
		{"x-custom", `{"value":"a"}`, ""},
	}
	for _, tt := range tests {
		var props map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.props), &props); err != nil {
			t.Fatal(err)
		}
		got, ok, err := DeterministicID(tt.typ, props)
		if err != nil {
			t.Errorf("%s %s: %v", tt.typ, tt.props, err)
			continue
		}
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("%s %s = %q, %v; want %q", tt.typ, tt.props, got, ok, tt.want)
		}
	}
	if _, _, err := DeterministicID("file", map[string]json.RawMessage{"hashes": json.RawMessage(`{}`)}); err == nil {
		t.Error("empty hashes: want an error")
	}
}

func TestUUIDv5(t *testing.T) {
	// RFC 9562's DNS namespace example.
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got, want := UUIDv5(dns, []byte("www.example.com")), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("UUIDv5 = %s, want %s", got, want)
	}
}

// Cases from RFC 8785 §3.2 and its number appendix.
func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b":1,"a":[true,null,"x"]}`, `{"a":[true,null,"x"],"b":1}`},
		{` { "z" : 1.0 , "y" : -0 } `, `{"y":0,"z":1}`},
		{`[1e21, 1e-7, 0.000001, 123456789012345680000, 4.50, 2e-3, 1E30]`, `[1e+21,1e-7,0.000001,123456789012345680000,4.5,0.002,1e+30]`},
		{`"\u20ac\/\u0001\n\"é"`, "\"€/\\u0001\\n\\\"é\""},
		// UTF-16 order: U+1F600 (surrogates D83D…) sorts before U+FB01.
		{`{"\ufb01":1,"\ud83d\ude00":2,"a":3}`, "{\"a\":3,\"😀\":2,\"ﬁ\":1}"},
	}
	for _, tt := range tests {
		got, err := Canonical([]byte(tt.in))
		if err != nil {
			t.Errorf("Canonical(%s): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("Canonical(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{`{`, `1 2`, `1e400`} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%s): want an error", bad)
		}
	}
}
