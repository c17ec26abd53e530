// Package store persists Kiln's metadata behind one interface, implemented for
// SQLite (the embedded default, modernc.org/sqlite) and PostgreSQL (pgx). Both
// run the same SQL and the same migrations; the same tests run against both.
//
// The store knows rows, not wire objects: nested parts of a resource that are
// never queried (an appliance's install profile, for example) travel as an opaque
// JSON document owned by internal/service.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every implementation returns (wrapped) so callers can map them to HTTP.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Store is the whole persistence interface.
type Store interface {
	Users
	APIKeys
	Appliances
	Packages
	Images
	Scans
	Quotas
	// Close releases the database.
	Close() error
}

// User is an account. Roles are role names; their entitlements come from Roles.
// Roles are stored as a set: they come back sorted, without duplicates.
type User struct {
	ID           int64
	Login        string
	Email        string
	FirstName    string
	Surname      string
	PasswordHash string // encoded hash (argon2id / bcrypt), never the password
	Roles        []string
	Active       bool
	APIKeysQuota int
	Created      time.Time
	Modified     time.Time
}

// Users stores accounts.
type Users interface {
	// CreateUser inserts u, setting ID, Created and Modified. ErrConflict when the login exists.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, login string) (*User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser replaces every field but ID, Login and Created; sets Modified.
	UpdateUser(ctx context.Context, u *User) error
	CountUsers(ctx context.Context) (int, error)
	// DeleteUser removes an account with its roles, API keys and appliances.
	DeleteUser(ctx context.Context, login string) error
}

// APIKey is an API key pair. The store keeps SecretKey as given: the service
// seals it with the server key (internal/sealbox) before it gets here, so
// the column holds "v1:..." (or, for rows written by an older Kiln until the
// next start re-seals them, the plaintext).
type APIKey struct {
	ID          int64
	UserID      int64
	Name        string
	Description string
	PublicKey   string // unique
	SecretKey   string
	Expires     time.Time // zero: never
	Created     time.Time
	Modified    time.Time
}

// Expired reports whether the key no longer authenticates at now.
func (k *APIKey) Expired(now time.Time) bool {
	return !k.Expires.IsZero() && !now.Before(k.Expires)
}

// APIKeys stores API key pairs.
type APIKeys interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	GetAPIKeyByPublic(ctx context.Context, publicKey string) (*APIKey, error)
	ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error)
	ListAllAPIKeys(ctx context.Context) ([]APIKey, error)
	// ReplaceAPIKeySecret sets key id's secret to newSecret if it is still
	// oldSecret, and reports whether it did.
	ReplaceAPIKeySecret(ctx context.Context, id int64, oldSecret, newSecret string) (bool, error)
	// UpdateAPIKey changes Name and Description of key (userID, ID).
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	DeleteAPIKey(ctx context.Context, userID, id int64) error
}

// Appliance is a template. Name and Version are unique per owner.
type Appliance struct {
	ID       int64
	OwnerID  int64
	Name     string
	Version  string
	Revision int
	Doc      []byte // JSON owned by internal/service (description, OS profile, install profile …)
	Created  time.Time
	Modified time.Time
}

// Appliances stores templates.
type Appliances interface {
	// CreateAppliance inserts a, setting ID, Created, Modified. ErrConflict on a
	// duplicate name+version; a *QuotaError when the owner holds lim.Appliances.
	CreateAppliance(ctx context.Context, a *Appliance, lim Limits) error
	GetAppliance(ctx context.Context, ownerID, id int64) (*Appliance, error)
	ListAppliances(ctx context.Context, ownerID int64) ([]Appliance, error)
	// UpdateAppliance replaces Name, Version, Revision and Doc; sets Modified.
	UpdateAppliance(ctx context.Context, a *Appliance) error
	DeleteAppliance(ctx context.Context, ownerID, id int64) error
}

// Package is one binary package of a distribution's mirror index.
type Package struct {
	ID             int64
	DistributionID int64
	Name           string
	Version        string
	Arch           string
	Section        string
	Size           int64 // installed size, bytes
	Filename       string
}

// PackageFilter selects packages. Name and Version are exact unless they contain
// '*', which matches any run of characters.
type PackageFilter struct {
	Name    string
	Version string
	Offset  int
	Limit   int // 0 = no limit
}

// Packages stores distribution package indexes.
type Packages interface {
	// ReplacePackages swaps the whole index of a distribution in one transaction.
	ReplacePackages(ctx context.Context, distributionID int64, pkgs []Package, refreshed time.Time) error
	// SearchPackages returns one page of matches ordered by name, version and the total count.
	SearchPackages(ctx context.Context, distributionID int64, f PackageFilter) ([]Package, int, error)
	GetPackage(ctx context.Context, distributionID, id int64) (*Package, error)
	// PackagesByName returns the packages with these names (every version the index has).
	PackagesByName(ctx context.Context, distributionID int64, names []string) ([]Package, error)
	// PackageIndex reports how many packages a distribution has and when they were read.
	// A distribution never indexed reports 0 and the zero time, not an error.
	PackageIndex(ctx context.Context, distributionID int64) (count int, refreshed time.Time, err error)
}

// Image states. Terminal states never change again.
const (
	ImageQueued    = "queued"
	ImageRunning   = "running"
	ImageComplete  = "complete"
	ImageError     = "error"
	ImageCancelled = "cancelled"
)

// Image is one generation of a machine image (regenerate makes a new one).
type Image struct {
	ID          int64
	OwnerID     int64
	ApplianceID int64 // 0 for an image generated from a scan
	ScanID      int64 // 0 for an image generated from an appliance
	// ScanInstanceID is the scanned instance of ScanID (read, never written:
	// the scan row holds it), for the image's URI.
	ScanInstanceID int64
	FormatID       int64 // target format
	Name           string
	Version        string
	Revision       int
	Compress       bool
	Spec           []byte // the build spec (JSON), immutable: the input of regenerate
	Request        []byte // the image request as received (JSON), echoed on the wire
	State          string
	Percentage     int
	Message        string
	ErrorMsg       string
	DetailedErr    string
	JobID          int64
	Artifact       string // artifact store key, when complete
	FileSize       int64
	SHA256         string
	Packages       []byte // installed packages (JSON)
	Fidelity       []byte // scan images: the source-versus-image comparison (JSON)
	DownloadKey    string // current single-use download key
	// DownloadKeyIssued is when DownloadKey was made: an unused key expires.
	DownloadKeyIssued time.Time
	Started           time.Time
	Finished          time.Time
	Created           time.Time
	Modified          time.Time
}

// Terminal reports whether the image's state can no longer change.
func (i *Image) Terminal() bool {
	return i.State == ImageComplete || i.State == ImageError || i.State == ImageCancelled
}

// ImageFilter selects images; zero fields do not filter.
type ImageFilter struct {
	OwnerID     int64
	ApplianceID int64
	ScanID      int64
	State       string
}

// ImageOutcome is how a generation ended.
type ImageOutcome struct {
	State       string // ImageComplete, ImageError or ImageCancelled
	Message     string
	ErrorMsg    string
	DetailedErr string
	Artifact    string
	FileSize    int64
	SHA256      string
	Packages    []byte
	Fidelity    []byte
}

// Images stores machine images.
type Images interface {
	// CreateImage inserts img, setting ID, Created, Modified and
	// DownloadKeyIssued; a *QuotaError when the owner holds lim.Images images,
	// lim.Active queued or running ones, or lim.DiskBytes bytes.
	CreateImage(ctx context.Context, img *Image, lim Limits) error
	GetImage(ctx context.Context, id int64) (*Image, error)
	ListImages(ctx context.Context, f ImageFilter) ([]Image, error)
	// SetImageJob records the queue job of an image.
	SetImageJob(ctx context.Context, id, jobID int64) error
	// ImageProgress moves a non-terminal image to running with a percentage and
	// message; false when the image is already terminal (cancelled, say).
	ImageProgress(ctx context.Context, id int64, percentage int, message string) (bool, error)
	// FinishImage sets a terminal state, once: false when the image was terminal already.
	FinishImage(ctx context.Context, id int64, o ImageOutcome) (bool, error)
	// SwapDownloadKey replaces old by new atomically, issued now; false when
	// old is not the current key.
	SwapDownloadKey(ctx context.Context, id int64, old, new string) (bool, error)
	DeleteImage(ctx context.Context, id int64) error
}

// ScannedInstance groups the successive scans of one live machine. Its name is
// unique per owner: a new scan under an existing name joins that instance.
type ScannedInstance struct {
	ID              int64
	OwnerID         int64
	Name            string
	DistributionID  int64
	OverlayIncluded bool // the scans carry every added file (scan -o), not only modified ones
	Created         time.Time
	Modified        time.Time
}

// Scan states. Terminal states never change again.
const (
	ScanRunning   = "running" // report received, overlay being uploaded
	ScanComplete  = "complete"
	ScanError     = "error"
	ScanCancelled = "cancelled"
)

// Scan is one scan report of a scanned instance and its overlay.
type Scan struct {
	ID         int64
	InstanceID int64
	OwnerID    int64
	Name       string
	State      string
	Percentage int
	Message    string
	ErrorMsg   string
	Report     []byte // the agent's report (JSON), as uploaded and validated
	// The overlay: a tar of the files no package provides unchanged, received
	// in chunks. OverlayReceived is the resume point while uploading; once the
	// upload is complete and checked, OverlayKey names it in the artifact
	// store and OverlayManifest lists its entries (JSON).
	OverlayReceived int64
	OverlaySize     int64
	OverlaySHA256   string
	OverlayKey      string
	OverlayManifest []byte
	Created         time.Time
	Modified        time.Time
}

// Terminal reports whether the scan's state can no longer change.
func (s *Scan) Terminal() bool {
	return s.State == ScanComplete || s.State == ScanError || s.State == ScanCancelled
}

// ScanFilter selects scans; zero fields do not filter.
type ScanFilter struct {
	OwnerID    int64
	InstanceID int64
}

// Scans stores scanned instances and their scans.
type Scans interface {
	// CreateScannedInstance inserts in, setting ID, Created and Modified;
	// ErrConflict when the owner has an instance of that name.
	CreateScannedInstance(ctx context.Context, in *ScannedInstance) error
	GetScannedInstance(ctx context.Context, id int64) (*ScannedInstance, error)
	// ListScannedInstances returns the owner's instances, oldest first; a
	// non-empty name selects that one name.
	ListScannedInstances(ctx context.Context, ownerID int64, name string) ([]ScannedInstance, error)
	// DeleteScannedInstance removes an instance with its scans and their images' rows.
	DeleteScannedInstance(ctx context.Context, id int64) error

	// CreateScan inserts sc, setting ID, Created and Modified; a *QuotaError
	// when the owner holds lim.Scans scans or lim.DiskBytes bytes.
	CreateScan(ctx context.Context, sc *Scan, lim Limits) error
	GetScan(ctx context.Context, id int64) (*Scan, error)
	// ListScans returns the scans matching f, oldest first.
	ListScans(ctx context.Context, f ScanFilter) ([]Scan, error)
	// RenameScan changes the name of a scan.
	RenameScan(ctx context.Context, id int64, name string) error
	// ScanOverlayProgress records bytes received so far of a running scan's
	// overlay (and its percentage and message); false when the scan is terminal.
	ScanOverlayProgress(ctx context.Context, id, received int64, percentage int, message string) (bool, error)
	// CompleteScan records the stored overlay (key, size, sha256, manifest)
	// and makes a running scan complete ("Scan complete", 100%); false when it was terminal already.
	CompleteScan(ctx context.Context, id int64, key string, size int64, sha256 string, manifest []byte) (bool, error)
	// FailScan makes a running scan error or cancelled (state), once; false
	// when it was terminal already.
	FailScan(ctx context.Context, id int64, state, message, errMsg string) (bool, error)
	// DeleteScan removes a scan and its images' rows.
	DeleteScan(ctx context.Context, id int64) error
}
