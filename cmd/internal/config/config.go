// Package config is the configuration of evalroom's binaries: one root
// Config with a nested struct per subsystem, DefaultConfig, and Load, which
// layers a YAML file, EVALROOM_* environment variables and command-line
// flags over the defaults, in that order.
//
// Every leaf field has a dotted key made of its yaml tags (for example
// "http.addr"); its environment variable is EVALROOM_ followed by the key
// in upper case with dots as underscores (EVALROOM_HTTP_ADDR), and its flag
// is -http.addr. The reference in the README is generated from these
// structs (make config-doc) and checked by a test.
package config

import (
	"github.com/evalroom/evalroom/expertpool"
)

// Config is the root configuration.
type Config struct {
	HTTP       HTTP       `yaml:"http"`
	Postgres   Postgres   `yaml:"postgres"`
	Redis      Redis      `yaml:"redis"`
	Log        Log        `yaml:"log"`
	Secrets    Secrets    `yaml:"secrets"`
	ExpertPool ExpertPool `yaml:"expertpool"`
	Notify     Notify     `yaml:"notify"`
	Room       Room       `yaml:"room"`
	Media      Media      `yaml:"media"`
	Cluster    Cluster    `yaml:"cluster"`
	Archive    Archive    `yaml:"archive"`
	Metrics    Metrics    `yaml:"metrics"`
	Demo       Demo       `yaml:"demo"`
}

// HTTP configures the API and panel server.
type HTTP struct {
	// Addr is the listen address (host:port).
	Addr string `yaml:"addr" doc:"listen address of the API and panels"`
	// PublicURL is the address users reach, used in links sent to experts.
	PublicURL string `yaml:"public_url" doc:"public base URL used in confirmation links"`
	// SecureCookies marks session cookies Secure (behind HTTPS).
	SecureCookies bool `yaml:"secure_cookies" doc:"mark session cookies Secure (set behind HTTPS)"`
	// SessionHours is how long a browser login lasts.
	SessionHours int `yaml:"session_hours" doc:"browser login lifetime in hours"`
}

// Postgres configures the database.
type Postgres struct {
	// DSN is a libpq connection string or URL.
	DSN string `yaml:"dsn" doc:"PostgreSQL connection string"`
	// MaxConns caps the pool size.
	MaxConns int `yaml:"max_conns" doc:"largest number of pooled connections"`
}

// Redis configures the Redis connection.
type Redis struct {
	// Addr is host:port.
	Addr string `yaml:"addr" doc:"Redis address host:port"`
	// Password is the AUTH password, if any.
	Password string `yaml:"password" doc:"Redis password" secret:"true"`
	// DB is the database number.
	DB int `yaml:"db" doc:"Redis database number"`
	// Prefix begins every key evalroom writes.
	Prefix string `yaml:"prefix" doc:"prefix of every Redis key"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" doc:"debug, info, warn or error"`
	// Format is text or json.
	Format string `yaml:"format" doc:"text or json"`
}

// Secrets holds key material.
type Secrets struct {
	// MasterKey is 32 random bytes, base64; every sealing, index and link
	// key is derived from it. Generate one with `evalroomctl keygen`.
	MasterKey string `yaml:"master_key" doc:"base64 32-byte master key (evalroomctl keygen)" secret:"true"`
}

// ExpertPool configures the draw rules.
type ExpertPool struct {
	// Rules are the recusal and committee rules of the trading centre.
	Rules expertpool.Rules `yaml:"rules"`
	// DeadlineSweepSeconds is how often unanswered invitations are checked.
	DeadlineSweepSeconds int `yaml:"deadline_sweep_seconds" doc:"seconds between checks for unanswered invitations"`
}

// Notify configures expert notification.
type Notify struct {
	// Provider is "log" (demo) or "webhook" (a voice/SMS gateway).
	Provider string `yaml:"provider" doc:"log or webhook"`
	// WebhookURL receives signed JSON messages.
	WebhookURL string `yaml:"webhook_url" doc:"voice/SMS gateway URL for the webhook provider"`
	// WebhookSecret signs messages to and callbacks from the gateway.
	WebhookSecret string `yaml:"webhook_secret" doc:"shared HMAC-SHA256 secret with the gateway" secret:"true"`
	// Workers is the number of delivery workers per node.
	Workers int `yaml:"workers" doc:"delivery workers per node"`
	// MaxAttempts before a message is dead-lettered.
	MaxAttempts int `yaml:"max_attempts" doc:"delivery attempts before a message is dead-lettered"`
}

// Room configures evaluation sessions.
type Room struct {
	// FaultBeforeStartMinutes is how long staff may wait for media between
	// venues that failed before the start, before the tenderer must decide.
	FaultBeforeStartMinutes int `yaml:"fault_before_start_minutes" doc:"minutes to wait for media that failed before the start (then the tenderer decides)"`
	// FaultDuringEvalMinutes is how long media that failed during the
	// evaluation may stay down before the session is aborted and sealed.
	FaultDuringEvalMinutes int `yaml:"fault_during_eval_minutes" doc:"minutes media may stay down during evaluation before the session is aborted and sealed"`
	// FaultSweepSeconds is how often expired fault clocks are acted on.
	FaultSweepSeconds int `yaml:"fault_sweep_seconds" doc:"seconds between checks of the fault clocks (0 leaves them to another node)"`
}

// Media configures the SFU and the media access tokens.
type Media struct {
	// TokenTTLSeconds is how long a media access token is valid.
	TokenTTLSeconds int `yaml:"token_ttl_seconds" doc:"lifetime of a media access token in seconds"`
	// UDPAddr is the single UDP address all media goes through (ICE UDP mux).
	UDPAddr string `yaml:"udp_addr" doc:"host:port of the single UDP port for all media (port 0 picks one)"`
	// TCPAddr is the ICE-TCP address for venues whose firewall blocks UDP.
	TCPAddr string `yaml:"tcp_addr" doc:"host:port for ICE over TCP (empty disables)"`
	// PublicIPs are announced instead of local addresses (1:1 NAT).
	PublicIPs string `yaml:"public_ips" doc:"comma-separated public IPs announced in ICE candidates (1:1 NAT)"`
	// STUNURLs are given to clients.
	STUNURLs string `yaml:"stun_urls" doc:"comma-separated STUN URLs given to clients"`
	// TURNURLs are given to clients with TURNUsername and TURNCredential.
	TURNURLs string `yaml:"turn_urls" doc:"comma-separated TURN URLs given to clients"`
	// TURNUsername is the TURN user name.
	TURNUsername string `yaml:"turn_username" doc:"TURN user name"`
	// TURNCredential is the TURN password.
	TURNCredential string `yaml:"turn_credential" doc:"TURN password" secret:"true"`
	// BatchSends sends each forwarded packet to all subscribers with one
	// sendmmsg system call where possible.
	BatchSends bool `yaml:"batch_sends" doc:"batch outgoing UDP packets with sendmmsg"`
}

// Cluster configures how several evalroomd nodes share sessions.
type Cluster struct {
	// NodeID names this node; empty uses the host name and process id.
	NodeID string `yaml:"node_id" doc:"this node's name (empty: host name and pid)"`
	// ClaimTTLSeconds is how long a dead node's sessions stay claimed.
	ClaimTTLSeconds int `yaml:"claim_ttl_seconds" doc:"seconds before a silent node's sessions may move to another node"`
}

// Archive configures the central archive of recordings.
type Archive struct {
	// Dir holds the content-addressed segment store (store fs), or the
	// spool where an upload waits while its hash is checked (store s3).
	Dir string `yaml:"dir" doc:"directory of the content-addressed store of uploaded segments (store fs), or of the spool of uploads being checked (store s3)"`
	// MaxSegmentMB is the largest segment accepted.
	MaxSegmentMB int `yaml:"max_segment_mb" doc:"largest segment accepted from a recorder, in MiB"`
	// Store chooses where segments are kept: "fs" (Dir) or "s3".
	Store string `yaml:"store" doc:"where uploaded segments are kept: fs (archive.dir) or s3 (S3-compatible object storage)"`
	// S3Endpoint, S3Bucket, S3AccessKey, S3SecretKey, S3UseSSL, S3Region
	// and S3Prefix configure the S3 store; the bucket must exist.
	S3Endpoint  string `yaml:"s3_endpoint" doc:"S3 endpoint host:port, without scheme (store s3)"`
	S3Bucket    string `yaml:"s3_bucket" doc:"S3 bucket of the segments; it must exist (store s3)"`
	S3AccessKey string `yaml:"s3_access_key" doc:"S3 access key (store s3)"`
	S3SecretKey string `yaml:"s3_secret_key" doc:"S3 secret key; give it through the environment, not a file (store s3)" secret:"true"`
	S3UseSSL    bool   `yaml:"s3_use_ssl" doc:"talk HTTPS to the S3 endpoint (store s3)"`
	S3Region    string `yaml:"s3_region" doc:"S3 region (empty: ask the server) (store s3)"`
	S3Prefix    string `yaml:"s3_prefix" doc:"prefix of the segments' object keys, e.g. segments/ (store s3)"`
	// RetentionYears is how long a session's recordings are kept after
	// the session ended; never below the legal minimum of 15 years.
	RetentionYears int `yaml:"retention_years" doc:"years a session's recordings are kept after it ended before the daily retention job deletes them (legal holds excepted); at least 15"`
	// ReplicaStore chooses the archive's second copy (the law asks for
	// two): "" (none), "fs" (ReplicaDir) or "s3" (ReplicaS3*). Each
	// accepted segment and its signed manifest are copied there.
	ReplicaStore string `yaml:"replica_store" doc:"second copy of the archive: empty (none), fs (archive.replica_dir) or s3 (archive.replica_s3_*); each accepted segment and manifest is copied there"`
	// ReplicaDir is the fs replica's folder (another disk or mount), or
	// the s3 replica's upload spool (empty: archive.dir/tmp).
	ReplicaDir string `yaml:"replica_dir" doc:"folder of the replica (replica_store fs), on another disk or mount; for replica_store s3 its upload spool (empty: archive.dir/tmp)"`
	// ReplicaS3Endpoint … ReplicaS3Prefix configure the s3 replica, as
	// S3Endpoint … S3Prefix do the primary; the bucket must exist.
	ReplicaS3Endpoint  string `yaml:"replica_s3_endpoint" doc:"S3 endpoint host:port of the replica, without scheme (replica_store s3)"`
	ReplicaS3Bucket    string `yaml:"replica_s3_bucket" doc:"S3 bucket of the replica; it must exist (replica_store s3)"`
	ReplicaS3AccessKey string `yaml:"replica_s3_access_key" doc:"S3 access key of the replica (replica_store s3)"`
	ReplicaS3SecretKey string `yaml:"replica_s3_secret_key" doc:"S3 secret key of the replica; give it through the environment (replica_store s3)" secret:"true"`
	ReplicaS3UseSSL    bool   `yaml:"replica_s3_use_ssl" doc:"talk HTTPS to the replica's S3 endpoint (replica_store s3)"`
	ReplicaS3Region    string `yaml:"replica_s3_region" doc:"S3 region of the replica (empty: ask the server) (replica_store s3)"`
	ReplicaS3Prefix    string `yaml:"replica_s3_prefix" doc:"prefix of the replica's object keys; its manifests go under this prefix followed by manifests/ (replica_store s3)"`
}

// Demo configures demo data seeded at start-up (make run).
type Demo struct {
	// Seed loads demo data when the pool is empty.
	Seed bool `yaml:"seed" doc:"seed demo users and experts into an empty database"`
	// Experts is how many made-up experts to seed.
	Experts int `yaml:"experts" doc:"number of demo experts"`
}

// Default returns the configuration used when nothing is set: a local
// server on 127.0.0.1:8080 against local PostgreSQL and Redis.
func Default() Config {
	return Config{
		HTTP:       HTTP{Addr: "127.0.0.1:8080", PublicURL: "http://127.0.0.1:8080", SessionHours: 8},
		Postgres:   Postgres{DSN: "postgres://postgres@127.0.0.1:5432/evalroom?sslmode=disable", MaxConns: 20},
		Redis:      Redis{Addr: "127.0.0.1:6379", Prefix: "evalroom:"},
		Log:        Log{Level: "info", Format: "text"},
		ExpertPool: ExpertPool{Rules: expertpool.DefaultRules(), DeadlineSweepSeconds: 15},
		Notify:     Notify{Provider: "log", Workers: 4, MaxAttempts: 8},
		Room:       Room{FaultBeforeStartMinutes: 120, FaultDuringEvalMinutes: 240, FaultSweepSeconds: 30},
		Media:      Media{TokenTTLSeconds: 600, UDPAddr: "127.0.0.1:7882", BatchSends: true},
		Cluster:    Cluster{ClaimTTLSeconds: 15},
		Archive:    Archive{Dir: "/var/lib/evalroom/archive", MaxSegmentMB: 512, Store: "fs", S3UseSSL: true, S3Prefix: "segments/", RetentionYears: 15, ReplicaS3UseSSL: true, ReplicaS3Prefix: "segments/"},
		Metrics:    Metrics{Enabled: true, ClockToleranceMS: 20},
		Demo:       Demo{Experts: 300},
	}
}
