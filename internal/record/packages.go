package record

// InstalledPackage is one package dpkg reports as installed in a generated
// image. An image stores the list of them (a JSON array, null when empty).
type InstalledPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
}
