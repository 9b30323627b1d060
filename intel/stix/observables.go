package stix

// Typed views of the cyber observables detection matches on. The others
// (artifact, directory, mutex, software, windows-registry-key, ...) decode
// as *Generic and keep every property.

// IPAddr is an ipv4-addr or ipv6-addr: an address or a CIDR block.
type IPAddr struct {
	Common
	Value          string   `json:"value"`
	ResolvesToRefs []string `json:"resolves_to_refs,omitempty"`
	BelongsToRefs  []string `json:"belongs_to_refs,omitempty"`
}

// DomainName is a DNS name.
type DomainName struct {
	Common
	Value          string   `json:"value"`
	ResolvesToRefs []string `json:"resolves_to_refs,omitempty"`
}

// URL is a uniform resource locator.
type URL struct {
	Common
	Value string `json:"value"`
}

// EmailAddr is an email address.
type EmailAddr struct {
	Common
	Value        string `json:"value"`
	DisplayName  string `json:"display_name,omitempty"`
	BelongsToRef string `json:"belongs_to_ref,omitempty"`
}

// File is a file, identified by its hashes and name.
type File struct {
	Common
	Hashes             map[string]string `json:"hashes,omitempty"` // "MD5", "SHA-1", "SHA-256", ...
	Size               *int64            `json:"size,omitempty"`
	Name               string            `json:"name,omitempty"`
	NameEnc            string            `json:"name_enc,omitempty"`
	MagicNumberHex     string            `json:"magic_number_hex,omitempty"`
	MimeType           string            `json:"mime_type,omitempty"`
	Ctime              Timestamp         `json:"ctime,omitzero"`
	Mtime              Timestamp         `json:"mtime,omitzero"`
	Atime              Timestamp         `json:"atime,omitzero"`
	ParentDirectoryRef string            `json:"parent_directory_ref,omitempty"`
	ContainsRefs       []string          `json:"contains_refs,omitempty"`
	ContentRef         string            `json:"content_ref,omitempty"`
}

// NetworkTraffic is a flow between two endpoints.
type NetworkTraffic struct {
	Common
	Start        Timestamp `json:"start,omitzero"`
	End          Timestamp `json:"end,omitzero"`
	IsActive     bool      `json:"is_active,omitempty"`
	SrcRef       string    `json:"src_ref,omitempty"`
	DstRef       string    `json:"dst_ref,omitempty"`
	SrcPort      *int      `json:"src_port,omitempty"`
	DstPort      *int      `json:"dst_port,omitempty"`
	Protocols    []string  `json:"protocols"`
	SrcByteCount *int64    `json:"src_byte_count,omitempty"`
	DstByteCount *int64    `json:"dst_byte_count,omitempty"`
	SrcPackets   *int64    `json:"src_packets,omitempty"`
	DstPackets   *int64    `json:"dst_packets,omitempty"`
}

// Process is a running program.
type Process struct {
	Common
	IsHidden             bool              `json:"is_hidden,omitempty"`
	PID                  *int              `json:"pid,omitempty"`
	CreatedTime          Timestamp         `json:"created_time,omitzero"`
	Cwd                  string            `json:"cwd,omitempty"`
	CommandLine          string            `json:"command_line,omitempty"`
	EnvironmentVariables map[string]string `json:"environment_variables,omitempty"`
	OpenedConnectionRefs []string          `json:"opened_connection_refs,omitempty"`
	CreatorUserRef       string            `json:"creator_user_ref,omitempty"`
	ImageRef             string            `json:"image_ref,omitempty"`
	ParentRef            string            `json:"parent_ref,omitempty"`
	ChildRefs            []string          `json:"child_refs,omitempty"`
}

// UserAccount is an account on a system or service.
type UserAccount struct {
	Common
	UserID            string    `json:"user_id,omitempty"`
	Credential        string    `json:"credential,omitempty"`
	AccountLogin      string    `json:"account_login,omitempty"`
	AccountType       string    `json:"account_type,omitempty"`
	DisplayName       string    `json:"display_name,omitempty"`
	IsServiceAccount  bool      `json:"is_service_account,omitempty"`
	IsPrivileged      bool      `json:"is_privileged,omitempty"`
	CanEscalatePrivs  bool      `json:"can_escalate_privs,omitempty"`
	IsDisabled        bool      `json:"is_disabled,omitempty"`
	AccountCreated    Timestamp `json:"account_created,omitzero"`
	AccountExpires    Timestamp `json:"account_expires,omitzero"`
	CredentialLastCh  Timestamp `json:"credential_last_changed,omitzero"`
	AccountFirstLogin Timestamp `json:"account_first_login,omitzero"`
	AccountLastLogin  Timestamp `json:"account_last_login,omitzero"`
}
